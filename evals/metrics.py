"""Scoring rules from design.md: answer correctness (accept alternatives) and retrieval hits over evidence."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

from bot.core.schema import Chunk
from bot.index.ingest import squash


def norm(text: str) -> str:
    """NFKC, then all white space removed."""
    return squash(unicodedata.normalize("NFKC", text or ""))


def as_list(value: Any) -> list:
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, list) else [value]


def answer_correct(item: dict, answer: dict) -> bool:
    """True when one `accept` alternative occurs in the answer (unanswerable: when answerable is false)."""
    if item["type"] == "unanswerable":
        return answer.get("answerable") is False
    if answer.get("answerable") is False:
        return False
    text = norm(answer.get("answer", ""))
    for alt in as_list(item.get("accept")):
        parts = alt if isinstance(alt, list) else [alt]
        if parts and all(norm(p) in text for p in parts):
            return True
    return False


def evidence_found(
    evidence: str, chunk: Chunk, neighbours: Callable[[Chunk], tuple[Chunk | None, Chunk | None]]
) -> bool:
    """Evidence lies in the chunk, or across the chunk and one adjacent chunk."""
    ev = norm(evidence)
    own = norm(chunk.text)
    if ev in own:
        return True
    prev, nxt = neighbours(chunk)
    for a, b in ((prev, chunk), (chunk, nxt)):
        if a is not None and b is not None:
            left, right = norm(a.text), norm(b.text)
            joined = left + right
            at = joined.find(ev)
            if at >= 0 and at < len(left) < at + len(ev):  # really crosses the boundary
                return True
    return False


def first_hit_rank(
    evidence: Sequence[str],
    ranked: Sequence[Chunk],
    neighbours: Callable[[Chunk], tuple[Chunk | None, Chunk | None]],
) -> int | None:
    """Smallest r such that every evidence string is found within the top-r chunks; None if never."""
    if not evidence:
        return None
    need = {i: ev for i, ev in enumerate(evidence)}
    for r, chunk in enumerate(ranked, start=1):
        for i in [i for i, ev in need.items() if evidence_found(ev, chunk, neighbours)]:
            del need[i]
        if not need:
            return r
    return None


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    idx = min(len(s) - 1, max(0, round(q / 100 * (len(s) - 1))))
    return float(s[idx])
