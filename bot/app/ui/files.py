"""Uploaded files: the local path behind a Gradio upload value (a path string, a file object or a dict)."""

from __future__ import annotations

from typing import Any


def upload_path(f: Any) -> str | None:
    """The path of an upload, or None when nothing was uploaded."""
    if f is None:
        return None
    if isinstance(f, str):
        return f or None
    return getattr(f, "name", None) or (f.get("path") if isinstance(f, dict) else None)
