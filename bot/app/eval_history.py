"""Eval run history in SQLite (data/evals.sqlite): dataset name and hash, code version, the settings that
matter, time and figures of every run, with the full report kept (compressed) for later comparison."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import unicodedata
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.core import prompts
from bot.core.errors import InputError
from bot.core.settings import REPO_ROOT

FILE_NAME = "evals.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    ts            TEXT    NOT NULL,
    dataset       TEXT    NOT NULL,
    dataset_hash  TEXT    NOT NULL,
    n             INTEGER NOT NULL,
    code_version  TEXT    NOT NULL,
    mode          TEXT    NOT NULL,
    origin        TEXT    NOT NULL,
    settings_json TEXT    NOT NULL,
    figures_json  TEXT    NOT NULL,
    report_z      BLOB    NOT NULL
);
"""


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=5, check=True
    ).stdout.strip()


@lru_cache(maxsize=1)
def code_version() -> str:
    """The git commit (with -dirty when the work tree has changes) when there is a repository, else the
    package version."""
    try:
        head = _git("rev-parse", "--short=10", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
        if head:
            return head + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        pass
    from importlib.metadata import PackageNotFoundError, version

    try:
        return "v" + version("shuzihua-bot")
    except PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True)
class RunInfo:
    """One row of the history (without the full report)."""

    id: int
    ts: str
    dataset: str
    dataset_hash: str
    n: int
    code_version: str
    mode: str
    origin: str
    settings: dict[str, Any]
    figures: dict[str, Any]

    def label(self) -> str:
        acc = self.figures.get("answer_accuracy")
        acc_text = "-" if acc is None else f"{acc:.3f}"
        return f"#{self.id} {self.ts[:16].replace('T', ' ')} {self.dataset}（{self.n} 题，准确率 {acc_text}）"


class EvalHistory:
    """Append-only store of eval runs under the data folder."""

    def __init__(self, data_dir: Path):
        self.path = Path(data_dir) / FILE_NAME

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=10)
        try:
            con.executescript(_SCHEMA)
            with con:
                yield con
        finally:
            con.close()

    def add(self, report: dict, origin: str = "cli") -> int:
        """Store a finished run; returns its id (the report gets `run_id` and `code_version`)."""
        report.setdefault("code_version", code_version())
        agg = report["aggregate"]
        figures = {k: v for k, v in agg.items() if k != "by_type"}
        figures["by_type"] = {t: v.get("answer_accuracy") for t, v in agg.get("by_type", {}).items()}
        ds = report.get("dataset", {})
        with self._db() as con:
            cur = con.execute(
                "INSERT INTO runs (ts, dataset, dataset_hash, n, code_version, mode, origin, settings_json,"
                " figures_json, report_z) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    report.get("started", ""),
                    ds.get("name", ""),
                    ds.get("hash", ""),
                    len(report.get("items", [])),
                    report["code_version"],
                    report.get("settings", {}).get("mode", ""),
                    origin,
                    json.dumps(report.get("settings", {}), ensure_ascii=False),
                    json.dumps(figures, ensure_ascii=False),
                    zlib.compress(json.dumps(report, ensure_ascii=False).encode("utf-8"), 6),
                ),
            )
            run_id = int(cur.lastrowid or 0)
        report["run_id"] = run_id
        return run_id

    def runs(self, limit: int = 200) -> list[RunInfo]:
        """The latest runs, newest first."""
        if not self.path.exists():
            return []
        with self._db() as con:
            rows = con.execute(
                "SELECT id, ts, dataset, dataset_hash, n, code_version, mode, origin, settings_json,"
                " figures_json FROM runs ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            RunInfo(
                id=row[0],
                ts=row[1],
                dataset=row[2],
                dataset_hash=row[3],
                n=row[4],
                code_version=row[5],
                mode=row[6],
                origin=row[7],
                settings=json.loads(row[8]),
                figures=json.loads(row[9]),
            )
            for row in rows
        ]

    def get(self, run_id: int | str) -> dict:
        """The full report of a run; InputError naming the run when there is none."""
        try:
            key = int(str(run_id).lstrip("#"))
        except ValueError as exc:
            raise InputError(prompts.EVAL_HISTORY_BAD_RUN.format(run=run_id)) from exc
        row = None
        if self.path.exists():
            with self._db() as con:
                row = con.execute("SELECT report_z FROM runs WHERE id = ?", (key,)).fetchone()
        if row is None:
            raise InputError(prompts.EVAL_HISTORY_NO_RUN.format(run=run_id))
        report = json.loads(zlib.decompress(row[0]).decode("utf-8"))
        report["run_id"] = key
        return report

    def count(self) -> int:
        if not self.path.exists():
            return 0
        with self._db() as con:
            return int(con.execute("SELECT COUNT(*) FROM runs").fetchone()[0])


def _pad(text: str, width: int, right: bool = False) -> str:
    """Pad to a display width (CJK characters count double)."""
    shown = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    fill = " " * max(0, width - shown)
    return fill + text if right else text + fill


def format_history(runs: list[RunInfo]) -> str:
    """The runs as a text table (CLI `eval --history`)."""
    if not runs:
        return prompts.EVAL_HISTORY_EMPTY

    def f(v: Any) -> str:
        return "-" if v is None else f"{v:.3f}"

    widths = (5, 17, 14, 13, 5, 17, 8, 8, 8, 8, 8, 8)
    right = (True, False, False, False, True, False, False, True, True, True, True, False)
    header = (
        "编号",
        "时间",
        "评测集",
        "哈希",
        "题数",
        "代码版本",
        "模式",
        "准确率",
        "hit@5",
        "MRR",
        "误拒率",
        "来源",
    )
    rows = [header]
    for r in runs:
        g = r.figures
        rows.append(
            (
                f"#{r.id}",
                r.ts[:16].replace("T", " "),
                r.dataset[:14],
                r.dataset_hash[:12],
                str(r.n),
                r.code_version[:16],
                r.mode,
                f(g.get("answer_accuracy")),
                f(g.get("retrieval_hit@5")),
                f(g.get("mrr")),
                f(g.get("false_refusal_rate")),
                r.origin,
            )
        )
    return "\n".join(
        " ".join(_pad(cell, w, rt) for cell, w, rt in zip(row, widths, right)).rstrip() for row in rows
    )
