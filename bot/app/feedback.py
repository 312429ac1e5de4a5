"""Feedback on answers (👍/👎 with an optional comment), stored append-only in SQLite under the data
folder."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from bot.core.errors import BotError, InputError

FILE_NAME = "feedback.sqlite"
MAX_COMMENT_CHARS = 2000
MAX_QUESTION_CHARS = 4000

# Spellings accepted for a rating; stored as +1 (helpful) or -1 (not helpful).
_RATINGS: dict[Any, int] = {
    1: 1,
    -1: -1,
    "1": 1,
    "-1": -1,
    "+1": 1,
    "up": 1,
    "down": -1,
    "like": 1,
    "dislike": -1,
    "good": 1,
    "bad": -1,
    "👍": 1,
    "👎": -1,
    "有帮助": 1,
    "没帮助": -1,
}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    ts          TEXT    NOT NULL,
    question    TEXT    NOT NULL,
    answer_json TEXT    NOT NULL,
    rating      INTEGER NOT NULL CHECK (rating IN (1, -1)),
    comment     TEXT    NOT NULL DEFAULT ''
);
CREATE TRIGGER IF NOT EXISTS feedback_no_update BEFORE UPDATE ON feedback
BEGIN SELECT RAISE(ABORT, 'feedback is append-only'); END;
CREATE TRIGGER IF NOT EXISTS feedback_no_delete BEFORE DELETE ON feedback
BEGIN SELECT RAISE(ABORT, 'feedback is append-only'); END;
"""


@dataclass(frozen=True)
class FeedbackRecord:
    """One stored piece of feedback."""

    id: int
    ts: str
    question: str
    answer_json: str
    rating: int
    comment: str

    @property
    def answer(self) -> dict[str, Any]:
        return json.loads(self.answer_json)


def parse_rating(rating: Any) -> int:
    """+1 or -1 from the accepted spellings (1/-1, up/down, 👍/👎); InputError otherwise."""
    key = rating.strip().lower() if isinstance(rating, str) else rating
    if isinstance(key, bool) or key not in _RATINGS:
        raise InputError(f"评价“{rating}”无效：只能是 👍（有帮助）或 👎（没帮助）。")
    return _RATINGS[key]


def _answer_json(answer: BaseModel | dict | str) -> str:
    if isinstance(answer, BaseModel):
        return answer.model_dump_json()
    if isinstance(answer, str):
        return json.dumps({"answer": answer}, ensure_ascii=False)
    return json.dumps(answer, ensure_ascii=False, default=str)


class FeedbackStore:
    """Append-only feedback table in `<data_dir>/feedback.sqlite` (UPDATE and DELETE are refused by triggers).

    Every call opens its own connection, so one store can be shared by the server's worker threads.
    """

    def __init__(self, data_dir: Path):
        self.path = Path(data_dir) / FILE_NAME
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as con:
                con.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise BotError(
                f"无法打开反馈数据库 {self.path}（{exc}），请检查数据目录是否可写"
                "（设置 BOT_PATHS__DATA_DIR 可换一个目录）。"
            ) from exc

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.path, timeout=10)
        try:
            with con:  # commits, or rolls back on error
                yield con
        finally:
            con.close()

    def add(
        self, question: str, answer: BaseModel | dict | str, rating: Any, comment: str | None = ""
    ) -> int:
        """Store one feedback row and return its id. Raises InputError for a bad rating or an empty
        question."""
        value = parse_rating(rating)
        question = (question or "").strip()
        if not question:
            raise InputError("反馈缺少对应的问题：请先提问，再评价回答。")
        comment = (comment or "").strip()
        if len(comment) > MAX_COMMENT_CHARS:
            raise InputError(f"意见太长（{len(comment)} 字），请控制在 {MAX_COMMENT_CHARS} 字以内。")
        ts = datetime.now(UTC).isoformat(timespec="seconds")
        try:
            with self._connect() as con:
                cur = con.execute(
                    "INSERT INTO feedback (ts, question, answer_json, rating, comment) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (ts, question[:MAX_QUESTION_CHARS], _answer_json(answer), value, comment),
                )
                return int(cur.lastrowid or 0)
        except sqlite3.Error as exc:
            raise BotError(f"反馈未能保存（{exc}），请稍后再试。") from exc

    def all(self) -> list[FeedbackRecord]:
        """Every stored row, oldest first."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT id, ts, question, answer_json, rating, comment FROM feedback ORDER BY id"
            )
            return [FeedbackRecord(*r) for r in rows.fetchall()]

    def count(self) -> int:
        with self._connect() as con:
            return int(con.execute("SELECT COUNT(*) FROM feedback").fetchone()[0])
