"""What a briefing is about: a cluster, city, province, industry or topic, told apart by the tool layer's
vocabularies of names; several clusters or cities make a comparison."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core import prompts
from bot.core.errors import InputError
from bot.index.retrieve import clean_query
from tools.names import RANKED_INDUSTRIES, normalize
from tools.tables import known_names, tables_readonly

# Separators of a comparison written in one box: "成渝 vs 长江中游", "成渝、长三角", "成都和重庆".
_SPLIT = re.compile(r"\s*(?:(?i:vs)\.?|对比|比较|与|和|跟|、|,|，|;|；|/)\s*")
_MAX_SUBJECTS = 4


@dataclass(frozen=True)
class Subject:
    kind: str  # cluster, city, province, industry, topic
    name: str  # canonical name (topic: the text as given)
    ranked: bool = True  # cluster: has city tables; industry: has province tables

    @property
    def short(self) -> str:
        """The name as prose writes it: 成渝城市群 -> 成渝, 成都市 -> 成都, 广东 -> 广东."""
        from tools.names import city_short, cluster_short

        if self.kind == "cluster":
            return cluster_short(self.name)
        if self.kind == "city":
            return city_short(self.name)
        return self.name


def ranked_clusters() -> list[str]:
    """The clusters with city ranking tables, in the report's order (the seven clusters)."""
    return list(dict.fromkeys(tables_readonly()["city_overview"]["cluster"]))


def identify(text: str) -> Subject:
    """The kind of one name, by the vocabularies: cluster, then city, province, industry; anything else is a
    topic."""
    vocab = known_names()
    if (name := vocab["cluster"].get(text)) is not None:
        return Subject("cluster", name, name in ranked_clusters())
    if (name := vocab["city"].get(text)) is not None:
        return Subject("city", name)
    if (name := vocab["province"].get(text)) is not None:
        return Subject("province", name)
    if (name := vocab["industry"].get(text)) is not None:
        return Subject("industry", name, name in RANKED_INDUSTRIES)
    return Subject("topic", text)


def parse(text: str, compare: Sequence[str] = ()) -> list[Subject]:
    """One subject, or two to four clusters or cities to compare ("成渝 vs 长江中游", or `compare`)."""
    if not isinstance(text, str) or len(normalize(text)) < 2:
        raise InputError(prompts.BRIEF_TOO_SHORT)
    text = clean_query(text, 100)
    parts = [p for p in _SPLIT.split(text) if p]
    split = [identify(p) for p in parts] if parts != [text] else []
    if split and all(s.kind in ("cluster", "city") for s in split):
        subjects = split
    else:
        subjects = [identify(text)]
    for other in compare:
        if len(normalize(other or "")) < 2:
            raise InputError(prompts.BRIEF_TOO_SHORT)
        for part in (p for p in _SPLIT.split(clean_query(other, 100)) if p):
            subjects.append(identify(part))
    subjects = list(dict.fromkeys(subjects))
    if len(subjects) > 1:
        bad = [s.name for s in subjects if s.kind not in ("cluster", "city")]
        if bad:
            raise InputError(prompts.BRIEF_COMPARE_KINDS.format(names="、".join(bad)))
        if len({s.kind for s in subjects}) > 1:
            raise InputError(prompts.BRIEF_COMPARE_MIXED)
        if len(subjects) > _MAX_SUBJECTS:
            raise InputError(prompts.BRIEF_COMPARE_TOO_MANY.format(n=_MAX_SUBJECTS))
    return subjects
