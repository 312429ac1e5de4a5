"""Typed pipeline data shared by every stage: documents, chunks, search hits, citations, tool calls,
answers."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class DocMeta(BaseModel):
    """One corpus document as listed in corpus/manifest.json."""

    id: str
    file: str
    title: str
    kind: str
    date: str = ""
    source: str = ""
    publisher: str = ""
    aliases: list[str] = Field(
        default_factory=list, description="Names staff use for the document (科技日报, 指数报告…)."
    )


class Chunk(BaseModel):
    """A retrievable passage with its place in the source file."""

    chunk_id: str = Field(description="Stable id: doc id + hash of the text.")
    doc_id: str
    title: str
    section: str = Field("", description="Section path, ' > '-joined.")
    text: str = Field(description="Cleaned text of the passage.")
    start: int = Field(description="Start character offset in the source file.")
    end: int = Field(description="End character offset (exclusive) in the source file.")
    start_line: int = Field(1, description="1-based line of `start` in the source file.")
    is_table: bool = False
    ordinal: int = Field(0, description="Position of the chunk within its document.")

    def metadata(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "section": self.section,
            "start": self.start,
            "end": self.end,
            "start_line": self.start_line,
            "is_table": self.is_table,
            "ordinal": self.ordinal,
        }


class Hit(BaseModel):
    """A chunk returned by a retriever, with the score of that retriever."""

    chunk: Chunk
    score: float
    rank: int = 0
    sources: dict[str, int] = Field(
        default_factory=dict, description="Rank in each fused list (bm25, dense)."
    )
    bm25: float | None = Field(None, description="BM25 score, when the BM25 list had this chunk.")
    dense: float | None = Field(None, description="Cosine similarity, when the dense list had this chunk.")


class Citation(BaseModel):
    doc_id: str
    title: str
    section: str = ""
    quote: str = ""
    chunk_id: str = ""
    score: float = 0.0
    line: int | None = Field(None, description="Source line, for table rows and passages.")


class ToolCall(BaseModel):
    """One tool call: a table tool's result stays a typed `tools.result.ToolResult` until the JSON edge;
    corpus searches and failed calls hold a small dict ({"passages": …} / {"error": …})."""

    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    result: Any = None
    label: str = Field("", description="The marker the LLM cites this result by (T1, T2…); empty offline.")


class Answer(BaseModel):
    """The one answer object the UI renders, the CLI prints and the evals score."""

    question: str
    answer: str
    answerable: bool = True
    citations: list[Citation] = Field(default_factory=list)
    tool_calls: list[ToolCall] = Field(default_factory=list)
    mode: Literal["offline", "llm"] = "offline"
    latency_ms: float = 0.0
    note: str = Field(
        "", description="A visible remark, e.g. that the LLM failed and the offline engine answered."
    )
    related: list[Citation] = Field(default_factory=list, description="Closest passages when unanswerable.")
    caveats: list[str] = Field(
        default_factory=list,
        description="How a figure must be read (a two-year mean, a rank within the cluster).",
    )
