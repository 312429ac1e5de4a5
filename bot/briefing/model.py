"""The briefing as typed data: sections of checkable units (sentences, quotes, table rows, chart bars), each
naming the table lines, passages and tool results its numbers come from."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, Field

from bot.core.schema import Citation, ToolCall

Kind = Literal["cluster", "city", "province", "industry", "topic", "compare"]
Progress = Callable[[float, str], None]


class Derived(BaseModel):
    """A number the briefing computes from cited numbers; the check recomputes it from `inputs`."""

    op: Literal["rank", "diff", "count"]
    inputs: list[float] = Field(description="The cited numbers it is computed from.")
    of: float | None = Field(None, description="rank: the value whose position among `inputs` is taken.")
    value: float = 0.0

    @staticmethod
    def compute(op: str, inputs: list[float], of: float | None = None) -> float:
        if op == "rank":  # 1-based position from the top (ties share the better position)
            assert of is not None
            return float(1 + sum(1 for x in inputs if x > of + 1e-9))
        if op == "diff":
            return float(inputs[0] - inputs[1])
        if op == "count":
            return float(len(inputs))
        raise ValueError(op)

    @classmethod
    def make(
        cls, op: Literal["rank", "diff", "count"], inputs: list[float], of: float | None = None
    ) -> Derived:
        return cls(op=op, inputs=inputs, of=of, value=cls.compute(op, inputs, of))


class Unit(BaseModel):
    """One checkable piece of text: a sentence, a quote, or a table row (cells). Its numbers must be found in
    the cited table lines, passages and tool results, or be derived from them."""

    text: str = ""
    cells: list[str] = Field(default_factory=list, description="Table row cells (then `text` is empty).")
    refs: list[int] = Field(default_factory=list, description="1-based numbers of Briefing.sources.")
    lines: list[int] = Field(default_factory=list, description="Report lines (table rows) relied on.")
    chunks: list[str] = Field(default_factory=list, description="Chunk ids of the passages relied on.")
    tools: list[int] = Field(default_factory=list, description="Indexes into Briefing.tool_calls.")
    derived: list[Derived] = Field(default_factory=list)
    titles: bool = Field(True, description="Whether the titles of the cited tables count as evidence.")
    quote: bool = Field(False, description="Verbatim quote: must be found in its passage.")
    cut: bool = Field(False, description="A quote shortened at a clause boundary (shown with ……).")
    strong: bool = Field(False, description="Highlighted row (the subject of the briefing).")


class Table(BaseModel):
    header: Unit
    rows: list[Unit] = Field(default_factory=list)
    caption: Unit | None = None


class Bar(BaseModel):
    label: str
    value: float
    lines: list[int] = Field(default_factory=list)
    tools: list[int] = Field(default_factory=list)
    strong: bool = False


class Series(BaseModel):
    name: str = ""
    bars: list[Bar] = Field(default_factory=list)


class Chart(BaseModel):
    caption: Unit
    axis: str = Field(description="Value axis label.")
    series: list[Series]
    lower_is_better: bool = Field(False, description="Ranks: a shorter bar is a better position.")
    refs: list[int] = Field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        return list(dict.fromkeys(b.label for s in self.series for b in s.bars))


class Section(BaseModel):
    key: str = Field(
        description="overview, key_data, chart, growth, industries, report, related, compare, notes"
    )
    heading: str
    style: Literal["paragraph", "bullets", "quotes"] = "bullets"
    units: list[Unit] = Field(default_factory=list)
    table: Table | None = None
    chart: Chart | None = None

    def empty(self) -> bool:
        return not self.units and self.table is None and self.chart is None


class Source(Citation):
    """A numbered source: a report table (every row used) or a passage."""

    kind: Literal["table", "passage"] = "passage"
    lines: list[int] = Field(default_factory=list, description="Table rows used (report lines).")


class Briefing(BaseModel):
    subject: str = Field(description="What the briefing is about, as shown in its title.")
    kind: Kind
    names: list[str] = Field(default_factory=list, description="Canonical names of the subjects.")
    generated: str = ""
    mode: Literal["offline", "llm"] = "offline"
    note: str = Field("", description="A visible remark, e.g. that the LLM failed and a template was used.")
    sections: list[Section] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)
    tool_calls: list[ToolCall] = Field(default_factory=list)
    checked: bool = Field(False, description="Set by the number check; exports refuse unchecked briefings.")

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)

    def units(self) -> list[tuple[Section, Unit]]:
        """Every unit with its section (tables: caption, header and rows; charts: caption)."""
        out: list[tuple[Section, Unit]] = []
        for s in self.sections:
            out += [(s, u) for u in s.units]
            if s.table is not None:
                if s.table.caption is not None:
                    out.append((s, s.table.caption))
                out += [(s, s.table.header)] + [(s, r) for r in s.table.rows]
            if s.chart is not None:
                out.append((s, s.chart.caption))
        return out
