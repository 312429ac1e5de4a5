"""Builds a briefing on a cluster, city, province, industry or topic (or a comparison): sections from the tool
layer and from retrieval, a template overview (or an LLM-written one), data notes, then the number check."""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Sequence
from typing import Any

from bot.briefing import passages, regions, sectors
from bot.briefing.draft import Draft
from bot.briefing.model import Briefing, Progress, Section, Unit
from bot.briefing.subject import Subject, parse
from bot.briefing.verify import check
from bot.core import prompts
from bot.core.errors import BotError, InputError
from bot.core.schema import Chunk
from tools.queries import INCONSISTENT_NOTE
from tools.tables import tables_readonly

ORDER = ("overview", "key_data", "chart", "growth", "industries", "report", "related", "compare", "notes")
_MARKER = re.compile(r"\s*[\[［【]\s*(\d{1,3})\s*[\]］】]")


def _quiet(_: float, __: str) -> None:
    pass


def make_briefing(
    engine: Any,
    subject: str,
    compare: Sequence[str] = (),
    *,
    use_llm: bool | None = None,
    progress: Progress | None = None,
) -> Briefing:
    """A checked briefing on `subject` (and the `compare` subjects) from the engine the chat uses: its
    retriever for passages, the tool layer for every figure, its LLM (when configured) for the overview."""
    say = progress or _quiet
    say(0.02, prompts.BRIEF_STEP_SUBJECT)
    subjects = parse(subject, compare)
    kind = "compare" if len(subjects) > 1 else subjects[0].kind
    shown = prompts.BRIEF_COMPARE_JOIN.join(s.name for s in subjects)
    brief = Briefing(
        subject=shown if kind != "compare" else prompts.BRIEF_COMPARE_SUBJECT.format(names=shown),
        kind=kind,  # type: ignore[arg-type]
        names=[s.name for s in subjects],
        generated=_dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
    )
    settings = engine.settings.briefing
    d = Draft(brief, engine.retriever.chunks, settings)

    say(0.1, prompts.BRIEF_STEP_TABLES)
    sections, members = _table_sections(d, subjects)

    say(0.35, prompts.BRIEF_STEP_PASSAGES)
    finder = passages.PassageFinder(d, engine.retriever.search)
    sections["report"] = passages.report_views(finder, subjects, settings.report_quotes)
    sections["related"] = passages.related(finder, subjects, members, settings.related_passages)
    if "overview" not in sections:  # topics: the overview says where the corpus discusses them
        sections["overview"] = _topic_overview(d, subjects[0], sections)
    sections["notes"] = _notes(d, sections)
    brief.sections = [sections[k] for k in ORDER if k in sections and not sections[k].empty()]
    _renumber(brief)
    if not any(s.key not in ("overview", "notes") for s in brief.sections):
        short = brief.subject if len(brief.subject) <= 40 else brief.subject[:40] + "…"
        raise InputError(prompts.BRIEF_NOT_IN_CORPUS.format(subject=short))

    say(0.6, prompts.BRIEF_STEP_CHECK)
    chunk = _chunk_lookup(engine)
    check(brief, chunk)
    if use_llm is not False and engine.settings.llm.configured and engine.llm is not None:
        say(0.7, prompts.BRIEF_STEP_LLM)
        _llm_overview(engine, brief, chunk)
    say(0.85, prompts.BRIEF_STEP_DONE)
    return brief


def _table_sections(d: Draft, subjects: list[Subject]) -> tuple[dict[str, Section], dict[str, list[str]]]:
    """Sections from the tables, and the member names (cities, provinces) used to find related passages."""
    reg = regions.Regions(d)
    members: dict[str, list[str]] = {}
    for s in subjects:
        if s.kind == "cluster":
            own = passages.section_chunks(d.chunks, s)
            provinces = passages.provinces_named(own)
            cities = [r.city for r in reg.facts(s.name).rows] if s.ranked else []
            members[s.name] = list(dict.fromkeys(provinces + [c.removesuffix("市") for c in cities]))
            if len(subjects) == 1:
                return reg.cluster(s, provinces), members
    if len(subjects) > 1:
        return reg.compare(subjects), members
    s = subjects[0]
    if s.kind == "city":
        return reg.city(s), members
    if s.kind == "province":
        return sectors.province(d, s), members
    if s.kind == "industry":
        return sectors.industry(d, s), members
    return {}, members


def _topic_overview(d: Draft, s: Subject, sections: dict[str, Section]) -> Section:
    """Where the corpus discusses a topic: the documents of the quoted passages (titles are evidence)."""
    quoted = [u for key in ("report", "related") if key in sections for u in sections[key].units]
    first: dict[str, Unit] = {}
    for u in quoted:
        title = d.brief.sources[u.refs[0] - 1].title
        first.setdefault(title, u)
    text = prompts.BRIEF_TOPIC_OVERVIEW.format(topic=s.name, docs="、".join(f"《{t}》" for t in first))
    units = []
    if first:
        units = [
            Unit(
                text=text,
                refs=[u.refs[0] for u in first.values()],
                chunks=[u.chunks[0] for u in first.values()],
            )
        ]
    return Section(key="overview", heading=prompts.BRIEF_HEADINGS["overview"], style="paragraph", units=units)


def _line_tables() -> dict[int, str]:
    out: dict[int, str] = {}
    for name, df in tables_readonly().items():
        if "line" in df and name != "city_overview":
            out.update({int(x): name for x in df["line"]})
    return out


def _notes(d: Draft, sections: dict[str, Section]) -> Section:
    """数据说明: how the figures used here must be read, each note citing the rows it is about."""
    kinds = _line_tables()
    used: dict[str, list[int]] = {}
    tools: dict[str, list[int]] = {}
    units = [u for s in sections.values() for u in s.units]
    units += [x for s in sections.values() if s.table for x in [s.table.header, *s.table.rows]]
    for u in units:
        for line in u.lines:
            used.setdefault(kinds.get(line, ""), []).append(line)
    for i, call in enumerate(d.brief.tool_calls):
        for p in call.result.provenance:
            tools.setdefault(kinds.get(int(p["line"]), ""), []).append(i)
            used.setdefault(kinds.get(int(p["line"]), ""), []).append(int(p["line"]))
    out: list[Unit] = []
    if used.get("city_growth"):
        out.append(d.unit(prompts.BRIEF_NOTE_GROWTH, lines=used["city_growth"][:1]))
    ranks = used.get("city_rank_2021", [])[:1] + used.get("city_rank_2022Q1", [])[:1]
    if ranks:
        out.append(d.unit(prompts.BRIEF_NOTE_RANKS, lines=ranks))
        bad = _inconsistent(d, sections)
        if bad:
            note = INCONSISTENT_NOTE.format(clusters="、".join(bad)) + "。"
            out.append(d.unit(note, lines=used.get("city_rank_2022Q1", [])[:1]))
    if used.get("cluster_top3_industries"):
        out.append(d.unit(prompts.BRIEF_NOTE_TOP3, lines=used["cluster_top3_industries"][:1]))
    if used.get("province_industry_rank"):
        out.append(
            d.unit(
                prompts.BRIEF_NOTE_PROVINCE,
                lines=used["province_industry_rank"][:1],
                tools=tools.get("province_industry_rank", [])[:1],
                cite_tools=False,
            )
        )
    if out:
        out.append(Unit(text=prompts.BRIEF_NOTE_CHECKED))
    return Section(key="notes", heading=prompts.BRIEF_HEADINGS["notes"], units=out)


def _inconsistent(d: Draft, sections: dict[str, Section]) -> list[str]:
    """Clusters whose printed 排名变化 disagrees with the two ranks in the rows this briefing shows."""
    ov = tables_readonly()["city_overview"]
    shown = {int(x) for s in sections.values() if s.table for r in s.table.rows for x in r.lines}
    bad = ov[(~ov["change_consistent"].astype(bool)) & ov["line_2022Q1"].isin(shown)]
    return list(dict.fromkeys(str(c) for c in bad["cluster"]))


def _renumber(brief: Briefing) -> None:
    """Sources numbered in reading order (sections in their final order, then rows), unused ones dropped."""
    order: list[int] = []
    for _, u in brief.units():
        order += [r for r in u.refs if r not in order]
    mapping = {old: new for new, old in enumerate(order, 1)}
    brief.sources = [brief.sources[old - 1] for old in order]
    for _, u in brief.units():
        u.refs = [mapping[r] for r in u.refs]


def _chunk_lookup(engine: Any) -> Callable[[str], Chunk | None]:
    chunks: list[Chunk] = engine.retriever.chunks
    by_id: dict[str, int] = engine.retriever.by_id

    def find(chunk_id: str) -> Chunk | None:
        i = by_id.get(chunk_id)
        return chunks[i] if i is not None else None

    return find


def _llm_overview(engine: Any, brief: Briefing, chunk: Any) -> None:
    """Let the LLM rewrite the overview from the checked material; its paragraph goes through the same check
    (a failing number stops the briefing). When the model cannot be reached, the template stays, with a
    note."""
    material = [(s, u) for s, u in brief.units() if (u.text or u.cells) and s.key != "notes"]
    context = "\n".join(
        f"[{i}] {s.heading}：{u.text or ' '.join(u.cells)}" for i, (s, u) in enumerate(material, 1)
    )
    prompt = prompts.BRIEF_OVERVIEW_PROMPT.format(
        subject=brief.subject, context=context, chars=engine.settings.briefing.llm_overview_chars
    )
    try:
        text = engine.llm.complete(prompt).strip()
    except BotError as exc:
        brief.note = prompts.BRIEF_LLM_FAILED.format(error=str(exc))
        return
    except Exception as exc:  # noqa: BLE001 - the template overview stands on its own
        brief.note = prompts.BRIEF_LLM_FAILED.format(error=type(exc).__name__)
        return
    cited = [int(m.group(1)) for m in _MARKER.finditer(text)]
    text = _MARKER.sub("", text).strip()
    if not text or len(text) > engine.settings.briefing.llm_overview_chars * 2:
        brief.note = prompts.BRIEF_LLM_FAILED.format(error=prompts.BRIEF_LLM_BAD_LENGTH)
        return
    basis = [u for _, u in material]
    overview = brief.section("overview")
    template = overview.units if overview is not None else []
    refs = [r for i in cited if 1 <= i <= len(basis) for r in basis[i - 1].refs]
    refs = refs or [r for u in template for r in u.refs]
    unit = Unit(
        text=text,
        refs=list(dict.fromkeys(refs)),
        lines=sorted({x for u in basis for x in u.lines}),
        tools=sorted({x for u in basis for x in u.tools}),
        chunks=list(dict.fromkeys(c for u in basis for c in u.chunks)),
        derived=[dv for u in basis for dv in u.derived],
    )
    if overview is None:
        overview = Section(key="overview", heading=prompts.BRIEF_HEADINGS["overview"], style="paragraph")
        brief.sections.insert(0, overview)
    overview.units = [unit]
    try:
        check(brief, chunk, llm_overview=True)
    except BotError:
        overview.units = template
        raise
    brief.mode = "llm"
