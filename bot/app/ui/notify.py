"""Errors for people on the page: a BotError's own sentence, a generic Chinese sentence otherwise (never a
traceback)."""

from __future__ import annotations

import html
import logging

import gradio as gr

from bot.core.errors import BotError
from tools.errors import ToolError

log = logging.getLogger("bot.ui")

INTERNAL_ERROR = "出错了：系统内部错误（已记录在服务器日志中）。请稍后重试；如果问题持续，请联系维护人员。"


def message_for(exc: BaseException) -> str:
    """What the page says about an exception; unexpected ones are logged with their traceback."""
    if isinstance(exc, (BotError, ToolError)):
        return str(exc)
    log.exception("unexpected error in a page callback", exc_info=exc)
    return INTERNAL_ERROR


def warn(exc: BaseException | str) -> str:
    """Show a toast and return the message (callers also put it inline in the page). Messages can echo
    what a user typed or uploaded (a file's cells, a filter): the toast gets it HTML-escaped."""
    msg = exc if isinstance(exc, str) else message_for(exc)
    gr.Warning(html.escape(msg, quote=False), title="提示")
    return msg


def inline(msg: str) -> str:
    """The Markdown shown under a form for a problem, the message shown literally (no links or images)."""
    from bot.app.ui.render import md_escape

    return f"**提示**：{md_escape(msg)}"
