"""Feedback store: append-only SQLite under the data folder that survives re-opening; bad input rejected."""

from __future__ import annotations

import json
import sqlite3

import pytest

from bot.app.feedback import FILE_NAME, FeedbackStore, parse_rating
from bot.core.errors import BotError, InputError
from bot.core.schema import Answer, Citation


def _answer() -> Answer:
    return Answer(
        question="产业互联网的C2B是什么意思？",
        answer="根据《产业互联网》：“C2B……”",
        citations=[Citation(doc_id="book", title="产业互联网", quote="C2B……", line=219)],
        note="",
    )


def test_store_survives_reopen_and_keeps_everything(tmp_path):
    data = tmp_path / "data"  # does not exist yet: the store creates it
    store = FeedbackStore(data)
    first = store.add("产业互联网的C2B是什么意思？", _answer(), "up", "  引文准确  ")
    second = store.add("火星上有多少人口？", {"answer": "语料中没有", "answerable": False}, -1)
    assert second > first

    reopened = FeedbackStore(data)
    rows = reopened.all()
    assert [r.rating for r in rows] == [1, -1]
    assert rows[0].question == "产业互联网的C2B是什么意思？"
    assert rows[0].comment == "引文准确"
    assert rows[0].answer["citations"][0]["line"] == 219  # the whole answer object is kept as JSON
    assert rows[1].comment == ""
    assert rows[0].ts.endswith("+00:00")
    reopened.add("第三个问题", "一个回答", "👎", "")
    assert FeedbackStore(data).count() == 3
    assert (data / FILE_NAME).exists()


def test_schema_has_the_agreed_columns(tmp_path):
    FeedbackStore(tmp_path)
    with sqlite3.connect(tmp_path / FILE_NAME) as con:
        cols = [r[1] for r in con.execute("PRAGMA table_info(feedback)")]
    assert cols == ["id", "ts", "question", "answer_json", "rating", "comment"]


def test_rows_cannot_be_changed_or_deleted(tmp_path):
    store = FeedbackStore(tmp_path)
    store.add("问题", "回答", 1, "好")
    con = sqlite3.connect(tmp_path / FILE_NAME)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute("UPDATE feedback SET rating = -1")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute("DELETE FROM feedback")
    finally:
        con.close()
    assert [(r.rating, r.comment) for r in store.all()] == [(1, "好")]


@pytest.mark.parametrize("rating", [0, 2, "meh", "", None, True, 5.5, "👌"])
def test_bad_rating_is_rejected_with_a_chinese_message(tmp_path, rating):
    store = FeedbackStore(tmp_path)
    with pytest.raises(InputError, match="评价.*无效"):
        store.add("问题", "回答", rating)
    assert store.count() == 0


@pytest.mark.parametrize(
    ("given", "stored"),
    [("up", 1), ("DOWN", -1), ("👍", 1), ("👎", -1), (1, 1), (-1, -1), ("有帮助", 1), ("没帮助", -1)],
)
def test_rating_spellings(given, stored):
    assert parse_rating(given) == stored


def test_empty_question_and_long_comment_rejected(tmp_path):
    store = FeedbackStore(tmp_path)
    with pytest.raises(InputError, match="问题"):
        store.add("   ", "回答", 1)
    with pytest.raises(InputError, match="意见太长"):
        store.add("问题", "回答", 1, "很" * 5000)
    assert store.count() == 0


def test_unwritable_data_dir_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(BotError, match="无法打开反馈数据库"):
        FeedbackStore(blocker / "data")


def test_answer_json_is_valid_json_for_each_input_kind(tmp_path):
    store = FeedbackStore(tmp_path)
    store.add("q1", _answer(), 1)
    store.add("q2", {"answer": "甲"}, 1)
    store.add("q3", "纯文本回答", 1)
    kinds = [json.loads(r.answer_json) for r in store.all()]
    assert kinds[0]["question"] == "产业互联网的C2B是什么意思？"
    assert kinds[1] == {"answer": "甲"}
    assert kinds[2] == {"answer": "纯文本回答"}
