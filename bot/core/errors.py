"""Errors for people: each message says what happened and what to do (in Chinese, shown as is by UI and CLI).

The tool layer has its own `tools.errors.ToolError`; the app layer shows both the same way."""

from __future__ import annotations


class BotError(Exception):
    """Base class; `str(err)` is one sentence a user can act on."""

    exit_code = 1


class InputError(BotError):
    """The question or file the user gave cannot be used."""

    exit_code = 2


class IndexMissingError(BotError):
    """There is no usable index; tells the command that builds it."""


class CorpusError(BotError):
    """No document in the corpus could be read."""


class LLMError(BotError):
    """The configured language model could not be reached or answered badly."""


class StoreError(BotError):
    """The vector store could not be reached (for example a Chroma server that is down)."""


class BriefingCheckError(BotError):
    """A number (or quote) in a briefing is not backed by the table rows and passages it cites."""


class ExportError(BotError):
    """A briefing could not be written as Word or PDF (for example Chromium is missing)."""
