"""Eval datasets (JSONL), runner and metrics."""
