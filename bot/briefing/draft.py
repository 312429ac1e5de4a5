"""The workbench a briefing is built on: tool calls recorded once, sources numbered in order of first use
(one per report table, one per passage), units created with their references."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from bot.answer.base import cite
from bot.briefing.model import Briefing, Derived, Unit
from bot.briefing.model import Source as BriefSource
from bot.core.schema import Chunk, Hit, ToolCall
from bot.core.settings import BriefingSettings
from tools.errors import ToolError
from tools.registry import call_tool
from tools.result import ToolResult
from tools.tables import report_source, source_line, table_title


class Draft:
    """Collects the tool calls and sources of one briefing while its sections are built."""

    def __init__(self, brief: Briefing, chunks: list[Chunk], settings: BriefingSettings):
        self.brief = brief
        self.chunks = chunks
        self.settings = settings
        self._calls: dict[str, int] = {}
        self._tables: dict[str, int] = {}  # table title -> index into brief.sources
        self._passages: dict[str, int] = {}  # chunk id -> index

    # ------------------------------------------------------------ tools

    def tool(self, name: str, **args: Any) -> tuple[int, ToolResult]:
        """Run a tool through the registry (validated), once per distinct call; returns (index, result)."""
        key = name + json.dumps(args, sort_keys=True, ensure_ascii=False)
        if key not in self._calls:
            result = call_tool(name, args)
            self._calls[key] = len(self.brief.tool_calls)
            self.brief.tool_calls.append(ToolCall(name=name, arguments=args, result=result))
        i = self._calls[key]
        return i, self.brief.tool_calls[i].result

    def try_tool(self, name: str, **args: Any) -> tuple[int, ToolResult] | None:
        """Like `tool`, but None when the tool refuses the arguments (a name of the wrong kind)."""
        try:
            return self.tool(name, **args)
        except ToolError:
            return None

    def result(self, i: int) -> ToolResult:
        return self.brief.tool_calls[i].result

    # ------------------------------------------------------------ sources

    def cite_lines(self, lines: Iterable[int]) -> list[int]:
        """1-based source numbers of report table lines; one source per table, listing every row used."""
        src = report_source()
        refs: list[int] = []
        for line in lines:
            title = table_title(line)
            if title not in self._tables:
                self._tables[title] = len(self.brief.sources)
                self.brief.sources.append(
                    BriefSource(
                        doc_id=src.doc_id,
                        title=src.title,
                        section=title,
                        quote=source_line(line),
                        score=1.0,
                        line=line,
                        kind="table",
                        lines=[],
                    )
                )
            source = self.brief.sources[self._tables[title]]
            if line not in source.lines:
                source.lines = sorted([*source.lines, line])
                source.line = source.lines[0]
                source.quote = source_line(source.line)
            refs.append(self._tables[title] + 1)
        return list(dict.fromkeys(refs))

    def cite_passage(self, chunk: Chunk, quote: str) -> int:
        """One source per passage (its first quote is the one shown when the source is opened)."""
        key = chunk.chunk_id
        if key not in self._passages:
            c = cite(Hit(chunk=chunk, score=1.0), quote)
            self._passages[key] = len(self.brief.sources)
            self.brief.sources.append(BriefSource(**c.model_dump(), kind="passage"))
        return self._passages[key] + 1

    # ------------------------------------------------------------ units

    def unit(
        self,
        text: str = "",
        *,
        cells: list[str] | None = None,
        lines: Iterable[int] = (),
        tools: Iterable[int] = (),
        derived: Iterable[Derived] = (),
        titles: bool = True,
        strong: bool = False,
        cite_tools: bool = True,
    ) -> Unit:
        """A sentence or table row resting on table lines and tool results; cites every row behind them
        (without `cite_tools`, only `lines`: the tools then back wording such as 前10, not the content)."""
        lines = list(dict.fromkeys(int(x) for x in lines))
        tools = list(dict.fromkeys(tools))
        behind = lines + [int(p["line"]) for i in tools if cite_tools for p in self.result(i).provenance]
        return Unit(
            text=text,
            cells=cells or [],
            refs=self.cite_lines(behind),
            lines=lines,
            tools=tools,
            derived=list(derived),
            titles=titles,
            strong=strong,
        )

    def quote(self, chunk: Chunk, text: str, cut: bool = False) -> Unit:
        return Unit(
            text=text, refs=[self.cite_passage(chunk, text)], chunks=[chunk.chunk_id], quote=True, cut=cut
        )
