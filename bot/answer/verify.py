"""Answers checked against their evidence: does a quoted sentence support the asked measure, period and
subject? Used by the offline engine before it quotes (and says "not in the corpus" otherwise)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from bot.answer.understand import lexicon
from tools.tables import known_names

_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_COUNTED = re.compile(r"(?:多少|几)(位|名|个|家|座|项|台|人|次)([\u4e00-\u9fff]{1,4})")


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower().replace(" ", "")


def measure_groups(text: str) -> list[list[str]]:
    """The measure-word groups a text names."""
    low = _norm(text)
    return [list(words) for words in lexicon()["prose_measure"].values() if any(w in low for w in words)]


def missing_measure(question: str, evidence: str) -> list[str] | None:
    """The first measure group the question names that the evidence does not, or None."""
    low = _norm(evidence)
    for group in measure_groups(question):
        if not any(w in low for w in group):
            return group
    return None


def missing_years(question: str, evidence: str) -> list[str]:
    """Years the question asks about that the evidence does not state."""
    low = _norm(evidence)
    return [y for y in dict.fromkeys(_YEAR.findall(_norm(question))) if y not in low]


def period_conflict(question: str, sentence: str) -> bool:
    """The question asks for a whole year and the sentence states only part of one (or the reverse)."""
    q, s = _norm(question), _norm(sentence)
    periods = lexicon()["prose_period"]
    whole_q = any(w in q for w in periods["whole_year"])
    part_q = any(w in q for w in periods["part_year"])
    part_s = any(w in s for w in periods["part_year"])
    whole_s = any(w in s for w in periods["whole_year"])
    return (whole_q and part_s and not whole_s) or (part_q and whole_s and not part_s)


def missing_count(question: str, sentence: str) -> str | None:
    """'多少位专家': the sentence must count that thing with a number ('12位专家'); returns the unit+noun
    when it does not."""
    m = _COUNTED.search(_norm(question))
    if not m:
        return None
    unit, noun = m.group(1), m.group(2)[:2]
    low = _norm(sentence)
    if re.search(rf"{re.escape(noun)}[\u4e00-\u9fff]{{0,4}}\d+(?:\.\d+)?(?:多|余)?(?:万|亿)?{unit}", low):
        return None  # "亮码260亿次"
    if re.search(rf"\d+(?:\.\d+)?(?:多|余)?(?:万|亿)?{unit}(?:[\u4e00-\u9fff]{{0,4}}){re.escape(noun)}", low):
        return None
    if re.search(rf"[一二两三四五六七八九十百千万]+{unit}{re.escape(noun)}", low):
        return None
    return unit + noun


def unsupported(question: str, sentence: str, context: str, amount: bool) -> str:
    """Why the sentence (read with the heading `context` above it) does not answer the question; "" when it
    does. `amount`: the question asks for a number, so the number's measure and counted thing must match."""
    group = missing_measure(question, sentence + context) if amount else None
    if group is not None:
        return f"measure:{group[0]}"
    years = missing_years(question, sentence + context)
    if years:
        return f"year:{years[0]}"
    if period_conflict(question, sentence):
        return "period"
    counted = missing_count(question, sentence) if amount else None
    if counted:
        return f"count:{counted}"
    return ""


@lru_cache(maxsize=1)
def _place_names() -> dict[str, str]:
    """Normalised place name -> canonical: the tables' cities and provinces, countries, and China."""
    names: dict[str, str] = {}
    vocab = known_names()
    for kind in ("city", "province"):
        for alias, canonical in vocab[kind].aliases.items():
            if len(alias) >= 2:
                names[alias] = canonical
    for country in lexicon()["places"]["countries"]:
        names[country] = country
    for word in lexicon()["places"]["china"]:
        names[word] = "中国"
    return names


def places_in(text: str) -> set[str]:
    low = _norm(text)
    return {canonical for alias, canonical in _place_names().items() if alias in low}


def place_conflict(question: str, evidence: str) -> str:
    """The question asks about one place and the evidence states figures of another: the asked place."""
    asked = places_in(question) - {"中国"}
    if not asked:
        return ""
    stated = places_in(evidence)
    if stated and not (asked & stated):
        return sorted(asked)[0]
    return ""
