"""Briefings a researcher can forward: typed sections from the tool layer and retrieval, every number checked
against its sources before output, exported as Markdown, Word or PDF (build.make_briefing, export.export)."""
