"""The number check: every number in a briefing must be found in the table rows, passages and tool results
its unit cites (tools re-run here), or be derived from such numbers; quotes must be verbatim. One failure
stops the briefing with an error naming the number and the section."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from bot.briefing.model import Briefing, Chart, Derived, Section, Unit
from bot.core import prompts
from bot.core.errors import BriefingCheckError
from bot.core.schema import Chunk
from bot.index.ingest import squash
from tools.registry import call_tool
from tools.tables import source_line, table_title

# A number: digits with an optional decimal part; a sign counts only when it does not follow a letter or
# digit (so 2020Q1-2022Q1 is two periods, not a negative number).
_NUMBER = re.compile(r"(?<![A-Za-z0-9.])([+\-−]?)(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)")
_EPS = 1e-9
EXACT = 99  # the "decimals" of a computed value: it may be shown rounded to any number of digits


@dataclass(frozen=True)
class Num:
    value: float  # signed when a sign was written (or for computed values)
    decimals: int  # digits after the point as written; computed values count as EXACT
    signed: bool = False
    text: str = ""


def numbers(text: str) -> list[Num]:
    """The numbers written in `text`."""
    out = []
    for m in _NUMBER.finditer(text):
        sign, digits = (m.group(1) or "", m.group(2)) if m.group(2) else ("", m.group(3))
        value = float(digits)
        decimals = len(digits.split(".")[1]) if "." in digits else 0
        if sign in "-−" and sign:
            value = -value
        out.append(Num(value, decimals, bool(sign), m.group(0)))
    return out


def _rounds_to(exact: float, decimals: int) -> float:
    q = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(abs(exact))).quantize(q, rounding=ROUND_HALF_UP))


def matches(claim: Num, evidence: Num) -> bool:
    """Same value (sign-aware when the claim writes a sign), or a computed (exact) evidence value rounded to
    the claim's digits; a number as printed in the source is never rounded (2.6 does not back 3)."""
    if claim.signed:
        if (claim.value < 0) != (evidence.value < 0) and abs(claim.value) > _EPS:
            return False
    a, b = abs(claim.value), abs(evidence.value)
    if abs(a - b) < _EPS:
        return True
    return evidence.decimals >= EXACT > claim.decimals and abs(_rounds_to(b, claim.decimals) - a) < _EPS


class Checker:
    """Checks one briefing; `chunk` gives a passage by chunk id (None when unknown)."""

    def __init__(self, brief: Briefing, chunk: Callable[[str], Chunk | None]):
        self.brief = brief
        self.chunk = chunk
        self._tools: dict[int, list[Num]] = {}

    def tool_numbers(self, i: int) -> list[Num]:
        """The numbers of tool call i, from a fresh run of the same call (never from the stored result)."""
        if i not in self._tools:
            if not 0 <= i < len(self.brief.tool_calls):
                self._tools[i] = []
            else:
                call = self.brief.tool_calls[i]
                res = call_tool(call.name, json.loads(json.dumps(call.arguments)))
                # The tool's own sentence (every figure it states) and the titles of the tables it read;
                # not its rows, which hold every rank of a table (a unit relying on rows cites their lines).
                found = numbers(res.text) + [
                    n for p in res.provenance for n in numbers(str(p.get("table", "")))
                ]
                self._tools[i] = found
        return self._tools[i]

    def pool(
        self, lines: Iterable[int], tools: Iterable[int], chunks: Iterable[str], titles: bool
    ) -> list[Num]:
        found: list[Num] = []
        for line in lines:
            found += numbers(source_line(line))
            if titles:
                found += numbers(table_title(line))
        for i in tools:
            found += self.tool_numbers(i)
        for cid in chunks:
            c = self.chunk(cid)
            if c is not None:  # the passage and the title of its document
                found += numbers(c.text) + numbers(c.title)
        return found

    def _derived(self, derived: list[Derived], pool: list[Num], section: Section) -> list[Num]:
        out = []
        for dv in derived:
            for x in dv.inputs:  # exact inputs; the evidence may print them rounded
                if not any(matches(Num(x, EXACT), e) or matches(e, Num(x, EXACT)) for e in pool):
                    self.fail(section, fmt(x))
            value = Derived.compute(dv.op, dv.inputs, dv.of)
            out.append(Num(value, 0 if value.is_integer() else EXACT, value < 0))
        return out

    def fail(self, section: Section, number: str, hint: str = "") -> None:
        raise BriefingCheckError(
            prompts.BRIEF_CHECK_FAILED.format(section=section.heading, number=number, hint=hint)
        )

    def unit(self, section: Section, u: Unit, hint: str = "") -> None:
        text = u.text or "\t".join(u.cells)
        if u.quote:
            sources = [c.text for c in map(self.chunk, u.chunks) if c is not None]
            if not any(squash(u.text) and squash(u.text) in squash(s) for s in sources):
                raise BriefingCheckError(
                    prompts.BRIEF_QUOTE_FAILED.format(section=section.heading, quote=u.text[:30])
                )
        pool = self.pool(u.lines, u.tools, u.chunks, u.titles)
        pool += self._derived(u.derived, pool, section)
        for n in numbers(text):
            if not any(matches(n, e) for e in pool):
                self.fail(section, n.text.strip(), hint)

    def chart(self, section: Section, chart: Chart) -> None:
        for text in [chart.axis] + [s.name for s in chart.series]:
            for n in numbers(text):
                self.fail(section, n.text)
        for series in chart.series:
            for bar in series.bars:
                pool = self.pool(bar.lines, bar.tools, [], titles=False)
                for n in numbers(bar.label):
                    if not any(matches(n, e) for e in pool):
                        self.fail(section, n.text)
                claim = Num(bar.value, EXACT if not float(bar.value).is_integer() else 0)
                if not any(matches(claim, e) or matches(e, claim) for e in pool):
                    self.fail(section, fmt(bar.value))

    def run(self, llm_overview: bool = False) -> None:
        for section in self.brief.sections:
            for n in numbers(section.heading):
                self.fail(section, n.text)
        for section, u in self.brief.units():
            hint = prompts.BRIEF_CHECK_LLM_HINT if llm_overview and section.key == "overview" else ""
            self.unit(section, u, hint)
        for section in self.brief.sections:
            if section.chart is not None:
                self.chart(section, section.chart)


def fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def check(brief: Briefing, chunk: Callable[[str], Chunk | None], llm_overview: bool = False) -> Briefing:
    """Check every number and quote of `brief`; raises BriefingCheckError on the first failure."""
    Checker(brief, chunk).run(llm_overview)
    brief.checked = True
    return brief
