"""Briefing summaries on a region, industry or theme: table facts (exact) plus key passages, all cited."""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

from pydantic import BaseModel, Field

from bot.core import prompts
from bot.core.errors import BotError, InputError
from bot.core.schema import Citation
from bot.index.retrieve import clean_query
from tools.errors import ToolError

# Which table tools describe a topic, tried in order; the first kind whose tools accept the name wins.
_TABLE_PLANS: list[tuple[str, list[tuple[str, dict[str, Any]]]]] = [
    (
        "城市群",
        [
            ("top_cities", {"cluster": "{t}", "measure": "2022Q1", "k": 5}),
            ("top_cities", {"cluster": "{t}", "measure": "growth", "k": 3}),
            ("rank_movers", {"cluster": "{t}", "direction": "up", "k": 3}),
            ("cluster_top_industries", {"cluster": "{t}"}),
        ],
    ),
    ("城市群", [("cluster_top_industries", {"cluster": "{t}"})]),
    (
        "行业",
        [
            ("industry_top_provinces", {"industry": "{t}", "measure": "share", "k": 5}),
            ("industry_top_provinces", {"industry": "{t}", "measure": "growth", "k": 5}),
            ("double_high", {"industry": "{t}"}),
            ("clusters_with_industry", {"industry": "{t}"}),
        ],
    ),
    ("城市", [("city_profile", {"city": "{t}"}), ("city_cluster", {"city": "{t}"})]),
    ("省份", [("province_rank", {"province": "{t}"})]),
]


class Bullet(BaseModel):
    text: str
    refs: list[int] = Field(default_factory=list, description="1-based indexes into Briefing.citations.")


class Briefing(BaseModel):
    topic: str
    kind: str = Field(description="城市群 / 行业 / 城市 / 省份 / 主题")
    facts: list[Bullet] = Field(default_factory=list, description="Exact figures from the report's tables.")
    points: list[Bullet] = Field(default_factory=list, description="Key passages from the corpus.")
    summary: str = Field("", description="LLM-written summary, when an LLM was used.")
    citations: list[Citation] = Field(default_factory=list)
    generated: str = ""

    def markdown(self) -> str:
        def refs(b: Bullet) -> str:
            return "".join(f"[{i}]" for i in b.refs)

        out = [
            prompts.BRIEF_TITLE.format(topic=self.topic),
            "",
            prompts.BRIEF_BYLINE.format(kind=self.kind, generated=self.generated),
            "",
        ]
        if self.summary:
            out += [prompts.BRIEF_SUMMARY, "", self.summary, ""]
        if self.facts:
            out += [prompts.BRIEF_FACTS, ""] + [f"- {b.text} {refs(b)}" for b in self.facts] + [""]
        if self.points:
            out += [prompts.BRIEF_POINTS, ""] + [f"- “{b.text}” {refs(b)}" for b in self.points] + [""]
        if self.citations:
            out += [prompts.BRIEF_SOURCES, ""]
            for i, c in enumerate(self.citations, 1):
                where = prompts.BRIEF_LINE.format(line=c.line) if c.line else ""
                out.append(f"{i}. 《{c.title}》 {c.section}{where}")
        return "\n".join(out).strip() + "\n"


_BRIEF_HITS = 24  # passages searched for key points (only those about the topic are kept)
_MAX_FACT_REFS = 10  # every row behind a fact is cited, up to a top-10 list
_TOPIC_SUFFIX = re.compile(r"(城市群|地区|行业|产业|市|省)$")


def _table_facts(topic: str) -> tuple[str, list[tuple[str, list[Citation]]]]:
    from bot.answer.route import tool_citations  # the router turns tool provenance into citations
    from tools.registry import call_tool

    for kind, plan in _TABLE_PLANS:
        facts: list[tuple[str, list[Citation]]] = []
        for name, template in plan:
            args = {k: (v.format(t=topic) if isinstance(v, str) else v) for k, v in template.items()}
            try:
                result = call_tool(name, args)
            except (BotError, ToolError):
                if not facts:
                    break  # the name is not of this kind
                continue
            facts.append((result.text, tool_citations([result])))
        if facts:
            return kind, facts
    return "主题", []


def make_briefing(engine: Any, topic: str, points: int = 5, use_llm: bool | None = None) -> Briefing:
    """A briefing on `topic` from the same engine the chat uses (tables + retrieval; LLM summary if
    configured)."""
    topic = clean_query(topic, 100)
    if len(topic) < 2:
        raise InputError("简报主题太短，请输入一个地区、行业或主题，例如“成渝城市群”或“产业互联网”。")
    kind, table_facts = _table_facts(topic)
    brief = Briefing(topic=topic, kind=kind, generated=_dt.datetime.now().strftime("%Y-%m-%d %H:%M"))

    def add(cites: list[Citation]) -> list[int]:
        idx = []
        for c in cites:
            key = (c.doc_id, c.line, c.quote)
            for i, old in enumerate(brief.citations, 1):
                if (old.doc_id, old.line, old.quote) == key:
                    idx.append(i)
                    break
            else:
                brief.citations.append(c)
                idx.append(len(brief.citations))
        return idx

    for text, cites in table_facts:
        brief.facts.append(Bullet(text=text, refs=add(cites[:_MAX_FACT_REFS])))

    from bot.answer.base import cite

    offline = engine.offline
    hits = engine.retriever.search(f"{topic} 数字化 发展 特点", k=_BRIEF_HITS)
    support, critical = offline.support(hits, topic)
    if not table_facts and (critical or support < engine.settings.engine.refuse_threshold):
        raise InputError(f"语料中没有关于“{topic}”的内容，换一个地区、行业或主题试试。")
    seen_chunks: set[str] = set()
    seen_sentences: set[str] = set()
    # A point must be about the topic itself: "成渝城市群" -> 成渝 in the sentence or its section, so a
    # sentence about another cluster's "城市群内第二梯队" does not qualify.
    core = _TOPIC_SUFFIX.sub("", topic) or topic
    for _, cov, hit, sentence in offline.rank_sentences(topic, hits):
        if len(brief.points) >= points:
            break
        if (
            hit.chunk.chunk_id in seen_chunks
            or cov <= 0
            or len(sentence) < 15
            or "\t" in sentence
            or sentence[-1] not in "。！!；;”」"
        ):  # headings, table rows and questions are not points
            continue
        if core not in sentence and core not in hit.chunk.section or sentence in seen_sentences:
            continue  # off topic, or the same sentence again from an overlapping chunk
        seen_chunks.add(hit.chunk.chunk_id)
        seen_sentences.add(sentence)
        brief.points.append(Bullet(text=sentence[:160], refs=add([cite(hit, sentence)])))

    if not brief.facts and not brief.points:
        raise InputError(f"语料中没有关于“{topic}”的内容，换一个地区、行业或主题试试。")
    if use_llm is not False and engine.settings.llm.configured:
        brief.summary = _llm_summary(engine, brief)
    return brief


def _llm_summary(engine: Any, brief: Briefing) -> str:
    """A short LLM-written summary over the same cited material; empty when the model fails."""
    context = "\n".join(
        [f"[{i}] {c.quote}" for i, c in enumerate(brief.citations, 1)]
        + [prompts.BRIEF_TABLE_FACT.format(text=b.text, refs=b.refs) for b in brief.facts]
    )
    try:
        return engine.llm.complete(prompts.BRIEFING_PROMPT.format(topic=brief.topic, context=context))
    except Exception:  # noqa: BLE001 - the offline briefing stands on its own
        return ""
