"""Eval scoring rules (design.md) and baseline comparison: fast unit tests."""

from __future__ import annotations

import pytest

from bot.core.schema import Chunk
from evals.metrics import answer_correct, evidence_found, first_hit_rank, norm
from evals.runner import compare


def _chunk(i: int, text: str) -> Chunk:
    return Chunk(chunk_id=f"d:{i}", doc_id="d", title="t", text=text, start=0, end=1, ordinal=i)


def test_norm_is_nfkc_without_white_space():
    assert norm("１２３ ％\tＡ\n") == "123%A"


@pytest.mark.parametrize(
    "accept,answer,ok",
    [
        (["德阳"], "第5名是德阳市。", True),
        (["德阳"], "第5名是南充市。", False),
        ([["成都", "重庆"]], "成都、重庆", True),
        ([["成都", "重庆"]], "成都", False),
        (["128.5%", "128.46%"], "平均值为 128.46 %", True),
    ],
)
def test_accept_alternatives(accept, answer, ok):
    item = {"type": "calc", "accept": accept}
    assert answer_correct(item, {"answer": answer, "answerable": True}) is ok


def test_refusing_an_answerable_item_is_wrong_and_refusing_unanswerable_is_right():
    assert not answer_correct({"type": "fact", "accept": ["x"]}, {"answer": "x", "answerable": False})
    assert answer_correct({"type": "unanswerable", "accept": []}, {"answer": "", "answerable": False})
    assert not answer_correct({"type": "unanswerable", "accept": []}, {"answer": "x", "answerable": True})


def test_evidence_across_two_adjacent_chunks_counts():
    a, b, c = _chunk(0, "甲乙丙丁"), _chunk(1, "戊己庚"), _chunk(2, "辛壬")
    order = [a, b, c]

    def neighbours(x):
        i = order.index(x)
        return (order[i - 1] if i else None, order[i + 1] if i + 1 < len(order) else None)

    assert evidence_found("丁戊", a, neighbours)
    assert evidence_found("丁戊", b, neighbours)
    assert not evidence_found("丁戊", c, neighbours)
    assert not evidence_found("庚辛壬癸", b, neighbours)
    assert first_hit_rank(["辛壬", "甲乙"], [c, b, a], neighbours) == 3
    assert first_hit_rank(["不存在"], [a, b, c], neighbours) is None


def _report(acc: float, hit5: float, items: list[tuple[str, bool]]) -> dict:
    return {
        "aggregate": {
            "retrieval_hit@1": 0.5,
            "retrieval_hit@5": hit5,
            "mrr": 0.6,
            "answer_accuracy": acc,
            "false_refusal_rate": 0.02,
        },
        "items": [{"id": i, "question": i, "correct": c} for i, c in items],
    }


def test_compare_flags_regressions_and_lists_lost_items():
    base = _report(0.80, 0.95, [("a", True), ("b", True), ("c", False)])
    text, regressed = compare(_report(0.70, 0.95, [("a", False), ("b", True), ("c", True)]), base)
    assert regressed and "✗ a" in text and "新答对 1" in text
    _, regressed = compare(_report(0.805, 0.945, [("a", True), ("b", True), ("c", False)]), base)
    assert not regressed
