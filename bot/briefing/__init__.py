"""Briefing: cited summaries of a region, industry or theme, built from the tools and retrieval."""
