"""The answer interface both engines satisfy, and the pieces they share (history, citations)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from bot.core.schema import Answer, Citation, Hit
from bot.index.ingest import squash

History = list[dict]  # [{"role": "user"|"assistant", "content": str}, ...]


class ChatModel(Protocol):
    """What every engine offers: a whole answer, or a stream of text pieces ending with the answer object."""

    name: str

    def answer(self, question: str, history: History | None = None) -> Answer: ...

    def stream(self, question: str, history: History | None = None) -> Iterator[str | Answer]: ...


def user_questions(history: History | None) -> list[str]:
    return [
        m["content"] for m in history or [] if m.get("role") == "user" and isinstance(m.get("content"), str)
    ]


def cite(hit: Hit, quote: str) -> Citation:
    c = hit.chunk
    # Quotes are checked against the chunk text: a quote that is not in it is replaced by the chunk's opening.
    if squash(quote) not in squash(c.text):
        quote = c.text[:120]
    line = c.start_line
    return Citation(
        doc_id=c.doc_id,
        title=c.title,
        section=c.section,
        quote=quote,
        chunk_id=c.chunk_id,
        score=round(hit.score, 4),
        line=line,
    )
