"""Answers checked against their evidence: does a quoted sentence support the asked measure, period and
subject? Used by the offline engine before it quotes (and says "not in the corpus" otherwise)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from bot.answer.understand import has_any, lexicon
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
    """Years the question asks about that the evidence does not state. A year in a work's title ("《某某白皮书
    （2030年版）》") dates that work, not the facts in it: it counts only when the question dates a work
    ("2030年的那份白皮书")."""
    q, full = _norm(question), _norm(evidence)
    low = re.sub(r"《[^》]*》", "", full)

    def stated(y: str) -> bool:
        return y in low or (
            y in full
            and re.search(rf"{y}年?(?:的|版|发布的?)?[^，,。？?]{{0,6}}(?:报告|研究|白皮书)", q) is not None
        )

    return [y for y in dict.fromkeys(_YEAR.findall(re.sub(r"《[^》]*》", "", q))) if not stated(y)]


_Q = re.compile(r"q([1-4])")
_CN_Q = {"1": "一季度", "2": "二季度", "3": "三季度", "4": "四季度"}


def _quarters(text: str) -> str:
    """'2022q1' written as '2022一季度', so both spellings compare equal."""
    return _Q.sub(lambda m: _CN_Q[m.group(1)], text)


_DATE = re.compile(r"(?:19|20)\d\d年?|\d{1,2}月|\d{1,2}日")


def period_conflict(question: str, sentence: str) -> bool:
    """The question asks for a whole year and the sentence states only part of one (or the reverse), or
    one part of a year and the sentence another ("二季度" answered by "一季度")."""
    q, s = _quarters(_norm(question)), _quarters(_norm(sentence))
    periods = lexicon()["prose_period"]
    whole_q = any(w in q for w in periods["whole_year"])
    parts_q = {w for w in periods["part_year"] if w in q}
    parts_s = {w for w in periods["part_year"] if w in s}
    part_s = bool(parts_s) or any(re.search(p, s) for p in periods["part_year_re"])
    whole_s = any(w in s for w in periods["whole_year"])
    if parts_q and parts_s and not parts_q & parts_s:
        return True
    return (whole_q and part_s and not whole_s) or (bool(parts_q) and whole_s and not part_s)


_YEAR_QUARTER = re.compile(r"((?:19|20)?\d\d)年?(?:第)?([一二三四])季度")


def _year_quarters(text: str) -> set[tuple[str, str]]:
    return {(y if len(y) == 4 else "20" + y, q) for y, q in _YEAR_QUARTER.findall(_quarters(_norm(text)))}


def quarter_conflict(question: str, sentence: str) -> bool:
    """A quarter of a year asked ("2031年三季度") and the sentence dates its quarters otherwise ("2029年三季度
    …2031年一季度"): the asked pair is not among them."""
    asked, stated = _year_quarters(question), _year_quarters(sentence)
    return bool(asked and stated and not asked & stated)


def missing_part(question: str, evidence: str) -> bool:
    """A part of a year asked ("二季度", "Q3") that the evidence does not name."""
    q, e = _quarters(_norm(question)), _quarters(_norm(evidence))
    parts_q = [w for w in lexicon()["prose_period"]["part_year"] if w in q]
    return bool(parts_q) and not any(w in e for w in parts_q)


_ORDINAL = re.compile(r"第([一二两三四五六七八九十]+|\d+)(?:名|位|个|大|季度)?")
_CN_DIGIT = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2}


def _ordinal_value(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    if token == "十":
        return 10
    if "十" in token:
        tens, _, ones = token.partition("十")
        return (_CN_DIGIT.get(tens, 1) if tens else 1) * 10 + (_CN_DIGIT.get(ones, 0) if ones else 0)
    return _CN_DIGIT.get(token) if len(token) == 1 else None


def missing_ordinal(question: str, evidence: str) -> str:
    """'排名第五的是哪个' asked and the evidence states no fifth place: the asked position, or ""."""
    asked = {_ordinal_value(m.group(1)) for m in _ORDINAL.finditer(_norm(question))} - {None}
    if not asked:
        return ""
    stated = {_ordinal_value(m.group(1)) for m in _ORDINAL.finditer(_norm(evidence))}
    missing = sorted(n for n in asked if n not in stated and n is not None)
    return str(missing[0]) if missing else ""


_MONTHS = re.compile(r"(\d{1,2})\s*月?\s*(?:-|—|–|~|～|至|到)\s*(\d{1,2})\s*月")


def missing_months(question: str, evidence: str) -> bool:
    """A span of months asked ("1-5月") that the evidence does not state (it may state "1-4月")."""
    asked = set(_MONTHS.findall(_norm(question)))
    return bool(asked) and not asked & set(_MONTHS.findall(_norm(evidence)))


def flow_conflict(question: str, sentence: str) -> bool:
    """'新建了多少' answered by a running total ('累计建成'), or the reverse."""
    q, s = _norm(question), _norm(sentence)
    periods = lexicon()["prose_period"]
    flow_q, stock_q = (any(w in q for w in periods[k]) for k in ("flow", "stock"))
    flow_s, stock_s = (any(w in s for w in periods[k]) for k in ("flow", "stock"))
    return (flow_q and stock_s and not flow_s) or (stock_q and flow_s and not stock_s)


def target_conflict(question: str, sentence: str) -> bool:
    """A planned figure ('到2020年要达到60%') for a question about what the figure was."""
    periods = lexicon()["prose_period"]
    q, s = _norm(question), _norm(sentence)
    plans = any(re.search(p, s) for p in periods["target_re"])
    return plans and not any(re.search(p, q) for p in periods["asks_target_re"])


def missing_date(question: str, evidence: str) -> bool:
    """'哪一年 / 什么时候' asked, and the evidence states no date."""
    asks = any(w in _norm(question) for w in lexicon()["prose_period"]["when"])
    return asks and not _DATE.search(_norm(evidence))


def missing_count(question: str, sentence: str) -> str | None:
    """'多少位专家': the sentence must count that thing with a number ('12位专家'); returns the unit+noun
    when it does not."""
    m = _COUNTED.search(_norm(question))
    if not m:
        return None
    unit, noun = m.group(1), re.sub(r"[了呢吗啊呀的]", "", m.group(2))[:2]
    low = _norm(sentence)
    if not noun:  # "拓展到多少项了": the unit alone
        return None if re.search(rf"\d+(?:\.\d+)?(?:多|余)?(?:万|亿)?{unit}", low) else unit
    if re.search(rf"{re.escape(noun)}[\u4e00-\u9fff]{{0,8}}\d+(?:\.\d+)?(?:多|余)?(?:万|亿)?{unit}", low):
        return None  # "亮码260亿次"
    if re.search(rf"\d+(?:\.\d+)?(?:多|余)?(?:万|亿)?{unit}(?:[\u4e00-\u9fff]{{0,4}}){re.escape(noun)}", low):
        return None
    if re.search(rf"[一二两三四五六七八九十百千万]+{unit}{re.escape(noun)}", low):
        return None
    if re.search(rf"\d+(?:\.\d+)?(?:多|余)?(?:万|亿){re.escape(noun)}", low):
        return None  # "90万机械": the unit left out after 万/亿
    return unit + noun


def missing_duration(question: str, sentence: str) -> bool:
    """'用了多久 / 多长时间': the sentence must state a length of time ('6个月', '不超过5分钟', '半年')."""
    asks = has_any(_norm(question), "prose_period", "asks_duration_re")
    return asks and not has_any(_norm(sentence), "prose_period", "duration_re")


def rate_conflict(question: str, sentence: str) -> bool:
    """A level asked ("指数是多少", "规模多大") and the sentence gives only rates of change ("增长245%") or
    ranks."""
    q = _norm(question)
    if has_any(q, "rate", "asks"):
        return False
    stated = _norm(sentence)
    text = _DATE_FIGURE.sub("", stated)
    figures = list(re.finditer(r"\d+(?:\.\d+)?\s*(%?)", text))
    if figures:  # every figure a percentage stated as a change ("增长245%", "同比提高3%")
        return all(
            m.group(1) == "%" and _CHANGE.search(text[max(0, m.start() - 8) : m.start()]) for m in figures
        )
    return re.search(r"[第前]\d", stated) is not None  # only ranks


_CHANGE = re.compile(r"增长|增幅|增速|增加|下降|降幅|提高|提升|上升|降低|减少|同比|环比|涨|跌")


_DATE_FIGURE = re.compile(
    r"(?:19|20)\d\d\s*年?(?:q[1-4]|[一二三四]季度)?|\d{1,2}月|\d{1,2}日|[第前]\d+(?:[、,，和]\d+)*"
    r"|(?<![\d.])\d{1,2}[)）、](?!\d)"
)


def organisations(text: str) -> set[str]:
    """The companies (lexicon [organisations] groups) a text names."""
    low = _norm(text)
    return {group for group, names in lexicon()["organisations"].items() if any(n in low for n in names)}


def organisation_conflict(question: str, sentence: str, context: str) -> bool:
    """The question is about one company and the sentence about another, the asked one named neither in
    the sentence nor above it."""
    asked = organisations(asked_clause(question)) or organisations(question)
    stated = organisations(sentence)
    return bool(asked and stated and not asked & stated and not asked & organisations(context))


_ROLE_WORD = re.compile(
    r"(?:是|的|担任|在|现在|目前|当时)*(?:什么|哪个|哪家|何|啥)?(?:身份|职务|职位|头衔|单位|机构|来头)"
)
_PRONOUN_NAME = re.compile(r"^(?:他|她|其|该|这|此|那|作者|文章)")


def person_candidates(question: str) -> list[str]:
    """Who 'X是什么职务' asks about: the ends (longest first) of the run of characters before the role word,
    and of the clause before it ("…写序的那位张某，如今在公司是什么职务"); [] when not such a question."""
    q = _norm(question)
    if not has_any(q, "person", "role_question"):
        return []
    m = _ROLE_WORD.search(q)
    if not m:
        return []
    clauses = re.split(r"[，,。；;:：？?《》“”\s]", q[: m.start()])
    if not clauses[-1] or _PRONOUN_NAME.match(clauses[-1]):
        return []  # "他的职务": the person an earlier part named
    runs = [c for c in clauses[-2:] if len(c) >= 2]
    found: list[str] = []
    for n in (4, 3, 2):
        for run in reversed(runs):
            for part in (run[-n:], run[:n]):
                if len(part) == n and not _PRONOUN_NAME.match(part) and part not in found:
                    found.append(part)
    return found


def missing_person(question: str, evidence: str) -> str:
    """'X是什么职务': the evidence must name X (a name of three or four characters, or a shorter run)."""
    names = [n for n in person_candidates(question) if len(n) >= 3] or person_candidates(question)
    low = _norm(evidence)
    return names[0] if names and not any(n in low for n in names) else ""


def unsupported(question: str, sentence: str, context: str, amount: bool) -> str:
    """Why the sentence (read with the heading `context` above it) does not answer the question; "" when it
    does. `amount`: the question asks for a number, so the number's measure and counted thing must match."""
    group = missing_measure(question, sentence + context) if amount else None
    if group is not None:
        return f"measure:{group[0]}"
    years = missing_years(question, sentence + context)
    if years:
        return f"year:{years[0]}"
    if (
        period_conflict(question, sentence)
        or quarter_conflict(question, sentence)
        or missing_part(question, sentence + context)
        or missing_months(question, sentence + context)
    ):
        return "period"
    if flow_conflict(question, sentence):
        return "flow"
    if organisation_conflict(question, sentence, context) or missing_person(question, sentence + context):
        return "subject"
    if amount and target_conflict(question, sentence):
        return "target"
    ordinal = missing_ordinal(question, sentence)
    if ordinal:
        return f"ordinal:{ordinal}"
    if restates_premise(question, sentence):
        return "premise"
    kind = missing_kind(question, sentence)
    if kind:
        return f"kind:{kind}"
    if only_the_excepted(question, sentence):
        return "excepted"
    if missing_date(question, sentence + context):
        return "date"
    counted = missing_count(question, sentence) if amount else None
    if counted:
        return f"count:{counted}"
    if missing_duration(question, sentence):
        return "duration"
    if amount and rate_conflict(question, sentence):
        return "rate"
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
    """The question asks about one place and the evidence states figures of another: the asked place. A
    national figure asked ("我国…") is not answered by a province's or a city's."""
    places = places_in(asked_clause(question)) or places_in(question)
    asked = places - {"中国"}
    stated = places_in(evidence)
    if not asked:
        if "中国" in places and stated and "中国" not in stated:
            return "中国"
        return ""
    if stated and not (asked & stated):
        return sorted(asked)[0]
    return ""


_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+$")
_NOT_A_MODIFIER = set("的总其该之各均年月日约达为是了与和及或在")


def measure_anchors(question: str) -> list[tuple[str, str]]:
    """(modifier, measure word) pairs the question names: '数字经济规模' -> ('数字经济', '规模'); the
    modifier is the run of Chinese characters just before a measure word of the lexicon (up to 6)."""
    q = _norm(question)
    out = []
    for words in lexicon()["prose_measure"].values():
        for w in words:
            at = q.find(w)
            if at <= 0:
                continue
            run = _CJK_RUN.search(q[:at])
            if run and len(run.group(0)) >= 2:
                out.append((run.group(0)[-6:], w))
    return out


def anchor_fit(anchors: list[tuple[str, str]], sentence: str) -> int:
    """+1 when the sentence names the asked thing's measure ('产业数字化规模'), -1 when it names the same
    measure of another thing ('产业数字化规模' for an asked '数字经济规模'), else 0."""
    s = _norm(sentence)
    verdict = 0
    for mod, w in anchors:
        if any(mod[-n:] + w in s for n in range(min(len(mod), 6), 1, -1) if len(mod) >= n):
            return 1
        for m in re.finditer(re.escape(w), s):
            before = s[max(0, m.start() - 2) : m.start()]
            if len(before) == 2 and _CJK_RUN.fullmatch(before) and not set(before) & _NOT_A_MODIFIER:
                verdict = -1
    return verdict


_PREMISE_NUMBER = re.compile(r"\d+(?:\.\d+)?\s*(?:%|万亿|亿|万|千|百)?")
_ASKED_CLAUSE = re.compile(r"[，,；;]\s*(?:那么?|而|但)?[^，,；;]*(?:多少|几|哪|什么|谁|呢)[^，,；;]*$")
_FOLLOW_UP = re.compile(r"^[，,；;]\s*(?:那么?|而|但|可|相比之下|相比)|呢[？?]?$")


def asked_clause(question: str) -> str:
    """The clause a question asks after a premise that states a figure, or a follow-up clause
    ("甲市已有站点3千座，乙市有几座" -> "乙市有几座"; "…，那丙呢"); else the whole question."""
    q = _norm(question)
    asked = _ASKED_CLAUSE.search(q)
    if asked is None or not (_PREMISE_NUMBER.search(q[: asked.start()]) or _FOLLOW_UP.search(asked.group(0))):
        return question
    return q[asked.start() + 1 :]


def restates_premise(question: str, sentence: str) -> bool:
    """'甲平台日均订单过2万，那乙平台呢？': the question states a figure, then asks a follow-up ("那…",
    "…呢"), and the sentence states that same figure: it repeats what the user already knows."""
    q = _norm(question)
    asked = _ASKED_CLAUSE.search(q)
    if asked is None or not _FOLLOW_UP.search(asked.group(0)):
        return False
    premise = q[: asked.start()]
    figures = {m.group(0) for m in _PREMISE_NUMBER.finditer(premise) if not _YEAR.fullmatch(m.group(0))}
    figures = {f for f in figures if len(f) >= 2 or not f.isdigit()}
    s = _norm(sentence)
    return any(f in s for f in figures)


def missing_kind(question: str, sentence: str) -> str:
    """'哪家出版社出的': the kind of named thing asked for, when the sentence names none ("" otherwise)."""
    q, s = _norm(question), _norm(sentence)
    for kind in lexicon()["kinds"]["named_suffix"]:
        asked = re.search(rf"(?:哪|什么)[家个所位座间]?{kind}|{kind}(?:是|为|叫)?(?:哪|什么)", q)
        if asked and kind not in s:
            return kind
    return ""


_EXCEPT = re.compile(r"除了?([^，,；;。？?]{2,24}?)(?:之外|以外|外)?[，,]")
_ASKED_KIND = re.compile(r"(?:哪个|哪些|哪家|哪几个|哪一个|什么)([\u4e00-\u9fff]{2,4})")


_OTHER_KIND = re.compile(
    r"(?:另一个|另外一个|另一家|另外一家|另一|其他|其它|另外的)([\u4e00-\u9fff]{2,4}?)(?:是|叫|有|呢|[？?，,]|$)"
)


def excepted_by_lead(question: str, lead: str) -> str:
    """'公司哪年设立了甲部？另设的一个部叫什么？': the B the first part named (甲部), which the asked
    "another B" excludes; "" when the question asks no "another"."""
    m = _OTHER_KIND.search(_norm(question))
    if m is None:
        return ""
    kind = m.group(1)
    named = re.findall(rf"([\u4e00-\u9fff]{{2,10}}?{kind})", _norm(lead))
    return named[-1] if named else ""


def only_the_excepted(question: str, sentence: str, excepted: str = "") -> bool:
    """'除了A，还有哪个B' (or "另一个B" after a part that named A): the sentence names no B by name other than
    A, the one the question already excludes."""
    q = _norm(question)
    if excepted:
        other = _OTHER_KIND.search(q)
        if other is None:
            return False
        a, b = excepted, other.group(1)
    else:
        found, kind = _EXCEPT.search(q), _ASKED_KIND.search(q)
        if found is None or kind is None:
            return False
        a, b = found.group(1), kind.group(1)
    s = _norm(sentence)
    # the lead's words before the name ("宣布设立甲部"): the longest tail the sentence has
    a = next((a[i:] for i in range(len(a) - len(b) - 1) if a[i:] in s), a)
    rest = s.replace(a, "|")
    # another B by name ("平台与内容事业群"), not a description ("全新的事业群")
    return not any(not m.group(1).endswith("的") for m in re.finditer(rf"([\u4e00-\u9fff]{{2,8}}){b}", rest))
