"""The chat page (Gradio): chat, data tables, index calculator and corpus browser over one Engine."""

from __future__ import annotations

from bot.app.ui.app import build_app, free_port, launch_app, make_ask, serve_background

__all__ = ["build_app", "free_port", "launch_app", "make_ask", "serve_background"]
