"""The one result type every tool returns: rows, a one-sentence Chinese answer, provenance and display
hints."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
from pydantic import BaseModel, Field


class ToolResult(BaseModel):
    """What a table query or calculation returns (rendered by the UI, printed by the CLI, cited by
    answers)."""

    rows: list[dict[str, Any]] = Field(default_factory=list, description="Result rows (English column keys).")
    text: str = Field(
        description="One short Chinese sentence stating the values, with period and growth note."
    )
    provenance: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Source rows used: {file, line, table}; empty for calculations on user data.",
    )
    columns: list[str] = Field(default_factory=list, description="Display order of the row keys.")
    data: dict[str, Any] = Field(
        default_factory=dict,
        description="Structured values (an aggregate, its inputs) the answer layer words.",
    )
    chart: dict[str, str] | None = Field(
        default=None, description='{"label": col, "value": col} when a bar chart fits.'
    )

    def to_frame(self, labels: bool = True) -> pd.DataFrame:
        """Rows as a DataFrame in display order; with `labels`, Chinese column headers."""
        from tools.tables import COLUMN_LABELS

        cols = self.columns or (list(self.rows[0]) if self.rows else [])
        frame = pd.DataFrame([{c: r.get(c) for c in cols} for r in self.rows], columns=cols, dtype=object)
        frame = frame.where(frame.notna(), "")
        return frame.rename(columns=COLUMN_LABELS) if labels else frame

    def for_model(self) -> str:
        """Compact text for a language model: the sentence, then the rows as JSON."""
        rows = [{k: r.get(k) for k in (self.columns or r)} for r in self.rows[:50]]
        return self.text + "\n" + json.dumps(rows, ensure_ascii=False, default=str)

    def __str__(self) -> str:
        return self.for_model()


def fmt_number(x: float, digits: int = 2) -> str:
    """A computed number with at most `digits` decimals and no trailing zeros: 65.0 -> '65', 0.48276 ->
    '0.48'."""
    text = f"{float(x):.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fmt_percent(x: float) -> str:
    """A computed percentage: two decimals at most, with the one-decimal rounding added when it differs:
    93.884 -> '93.88%（约93.9%）', 65 -> '65%'."""
    two, one = fmt_number(x, 2), fmt_number(x, 1)
    return f"{two}%" if two == one else f"{two}%（约{one}%）"
