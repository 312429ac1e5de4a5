"""The chat page (Gradio): chat, data tables, index calculator and corpus browser over one Engine."""
from __future__ import annotations

from .app import build_app, launch_app, make_ask

__all__ = ["build_app", "launch_app", "make_ask"]
