"""Errors of the tool layer: each message is one Chinese sentence a user can act on (shown as is by UI and
CLI)."""

from __future__ import annotations


class ToolError(ValueError):
    """A table query or calculation got arguments it cannot use."""

    exit_code = 2


class ReportMissingError(ToolError):
    """The report the tables are parsed from cannot be found or read."""

    exit_code = 1
