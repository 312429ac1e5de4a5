"""CSV files for spreadsheets, safe to open: cells that a spreadsheet would run as a formula are escaped."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pandas as pd

# OWASP CSV injection: a cell starting with one of these is read as a formula by Excel, LibreOffice, Sheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?")


def csv_cell(value: Any) -> Any:
    """A cell as written to CSV: text starting with = + - @ tab or CR gets a leading apostrophe (shown, not
    run); numbers, and text that is just a number such as "-3.5", are left as they are."""
    if not isinstance(value, str) or not value.startswith(FORMULA_START):
        return value
    if _PLAIN_NUMBER.fullmatch(value.strip()):
        return value
    return "'" + value


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` with every text cell and column name escaped by `csv_cell`."""
    out = frame.copy()
    out.columns = [csv_cell(str(c)) for c in out.columns]
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(csv_cell)
    return out


def write_csv(frame: pd.DataFrame, path: str | Path, index: bool = False) -> None:
    """Write `frame` as UTF-8 CSV with a BOM (Excel opens it directly), formula-leading cells escaped."""
    safe = csv_safe(frame.reset_index() if index else frame)
    # Text is always quoted: a bare CR inside a cell would otherwise start a new row in a spreadsheet, and
    # that row's first cell could be a formula.
    safe.to_csv(path, index=False, encoding="utf-8-sig", quoting=csv.QUOTE_NONNUMERIC)
