"""Question understanding: one typed parse (`Query`) of a question, its parts and the data typed into it.

The vocabulary lives in `lexicon.toml`; entity names come from the parsed tables (tools.question). The
parse says what it understood; the planner (bot/answer/plan.py) runs it, and anything the parse does not
cover falls back to the older router or to retrieval.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from tools.names import to_simplified
from tools.question import DATES, THOUSANDS, Frame, cn_to_int, parse

LEXICON_PATH = Path(__file__).with_name("lexicon.toml")

Measure = Literal["rank_2021", "rank_2022Q1", "rank_change", "growth", "growth_rank"]
MEASURES: tuple[str, ...] = ("rank_2021", "rank_2022Q1", "rank_change", "growth", "growth_rank")
_NUM = r"-?\d+(?:\.\d+)?"


class Intent(StrEnum):
    TABLE_LOOKUP = "table_lookup"
    TABLE_AGGREGATE = "table_aggregate"
    CALCULATION = "calculation"
    PROSE = "prose"
    AUTHOR = "author"
    OUT_OF_SCOPE = "out_of_scope"


class Condition(BaseModel):
    """A filter on one measure: rank rose / fell / unchanged / changed (either way) / swapped (exchanged
    places with another city), or growth above / below a threshold."""

    measure: Measure
    op: Literal["rose", "fell", "unchanged", "changed", "swapped", "gt", "lt"]
    value: float | None = None


class Selection(BaseModel):
    """Which cities a table question is about."""

    kind: Literal["named", "all", "nth", "top", "bottom", "top_k", "bottom_k", "filter", "extremes"] = "all"
    by: Measure | None = Field(None, description="The measure the cities are chosen by (ordering/filter).")
    n: int | None = Field(None, description="nth position or k of top/bottom k.")
    condition: Condition | None = None


class Entities(BaseModel):
    cities: list[str] = Field(default_factory=list)
    clusters: list[str] = Field(default_factory=list)
    provinces: list[str] = Field(default_factory=list)
    industries: list[str] = Field(default_factory=list)
    periods: list[str] = Field(default_factory=list)
    other_periods: list[str] = Field(default_factory=list, description="Periods the tables do not hold.")


class Vector(BaseModel):
    """Numbers typed in the question as one group ("5、3、4", "(4,5,3)"), with the words before them."""

    label: str
    values: list[float]


class InlineData(BaseModel):
    """Data typed into a calculation question."""

    vectors: list[Vector] = Field(default_factory=list)
    scalars: dict[str, float] = Field(default_factory=dict, description="label -> value ('原始值' -> 437).")
    periods: dict[str, float] = Field(default_factory=dict, description="'2021Q1' -> 236.")
    names: list[str] = Field(default_factory=list, description="Names listed for the columns/rows (A、B、C).")
    total: float | None = None
    focus: str | None = Field(None, description="The one name the question asks about ('B', '指标1').")
    known_year: Literal["first", "second"] | None = Field(
        None, description="Two-year growth: which year's single rate the question gives."
    )
    asks_index: bool = Field(
        False, description="Two-year growth: the question asks an index value, not a rate."
    )
    shares: list[tuple[str, str, float, float]] = Field(
        default_factory=list, description="Regions' (name, industry, part, whole) for shares by definition."
    )


class DerivedAsk(BaseModel):
    """A number the question asks to derive from figures the prose states."""

    op: Literal["ratio", "difference", "change", "percent_change", "points"] = Field(
        description="ratio: a ÷ b (几倍); difference: a − b (比…多多少); a change of one thing from one "
        "figure to another: the amount, the percentage, or the percentage points."
    )
    a: str = Field(description="The first term; for a change, the thing that changed.")
    b: str = Field("", description="The second term (none for a change).")


class Query(BaseModel):
    """What a question asks, typed."""

    text: str = Field(description="The normalised question.")
    intent: Intent = Intent.PROSE
    entities: Entities = Field(default_factory=Entities)
    measure: Measure | None = Field(None, description="What is reported about the selected cities.")
    selection: Selection = Field(default_factory=Selection)
    aggregate: Literal["value", "list", "count", "mean", "sum", "difference", "range"] = "value"
    operation: str | None = Field(None, description="For calculations: weights, normalise, weighted, ...")
    inline: InlineData | None = None
    digits: int | None = Field(None, description="Decimals the question asks for (保留N位小数).")
    percent: bool = Field(False, description="The question wants a percentage.")
    scope: list[str] = Field(default_factory=list, description="Measures asked that the tables do not hold.")
    parts: list[Query] = Field(default_factory=list, description="One Query per part of a compound question.")
    refers_back: bool = Field(False, description="This part refers to what an earlier part selected.")
    derived: DerivedAsk | None = Field(None, description="A figure to derive from two the prose states.")
    measure_unit: str = Field("", description="The unit of a typed-in amount ('万亿元').")
    selector: str | None = Field(
        None,
        description="The clause that chooses the cities, when another clause "
        "asks a different measure of them ('增速最高的那个城市').",
    )


# ---------------------------------------------------------------- lexicon and normaliser


@lru_cache(maxsize=1)
def lexicon() -> dict[str, Any]:
    with LEXICON_PATH.open("rb") as fh:
        return tomllib.load(fh)


def _words(section: str, key: str) -> list[str]:
    return list(lexicon()[section][key])


def _patterns(section: str, key: str) -> list[re.Pattern[str]]:
    return [re.compile(p) for p in lexicon()[section][key]]


def has_any(text: str, section: str, key: str) -> bool:
    if key.endswith("_re"):
        return any(p.search(text) for p in _patterns(section, key))
    return any(w in text for w in _words(section, key))


_SPACE = re.compile(r"\s+")
_DIGIT_GAP = re.compile(r"(?<=\d)[ \t]+(?=\d)")
_CN_ORDINAL = re.compile(
    r"(第|前|后|倒数第|倒数)([一二两三四五六七八九十]+)(?=名|位|个|座|大|$|的|城|[，,？?。])"
)


def normalise(text: str) -> str:
    """The one normaliser of the answer path: NFKC (full-width digits and letters), traditional ->
    simplified, no white space, lower case, 第三/前五 -> 第3/前5, 第一季度/1季度 -> 一季度."""
    text = _DIGIT_GAP.sub("、", to_simplified(unicodedata.normalize("NFKC", text or "")))  # "5 4 3": a list
    text = _SPACE.sub("", text).lower()
    text = text.replace("第一季度", "一季度").replace("1季度", "一季度")
    return _CN_ORDINAL.sub(lambda m: m.group(1) + str(cn_to_int(m.group(2)) or m.group(2)), text)


_Q_PERIOD = re.compile(r"(20\d\d|\d\d)\s*年?\s*[qQＱ]\s*([1-4])")
_CN_QUARTER = {"1": "一季度", "2": "二季度", "3": "三季度", "4": "四季度"}


def with_period_words(text: str) -> str:
    """'2022Q1' also as prose writes it ('2022年一季度'), for searching and matching sentences."""
    found = _Q_PERIOD.findall(unicodedata.normalize("NFKC", text))
    extra = [f"{y if len(y) == 4 else '20' + y}年{_CN_QUARTER[q]}" for y, q in found]
    return " ".join([text, *dict.fromkeys(extra)]) if extra else text


# ---------------------------------------------------------------- table questions


def measure_of(text: str) -> Measure | None:
    """The measure a clause asks about, or None."""
    for key in ("rank_change", "growth_rank", "growth", "rank"):
        if has_any(text, "measure", key) or key == "rank_change" and _asks_change(text):
            if key == "rank":
                return "rank_2021" if _period_of(text) == "2021" else "rank_2022Q1"
            return key  # type: ignore[return-value]
    return None


def _asks_change(text: str) -> bool:
    return has_any(text, "measure", "rank_change_re") or has_any(text, "measure", "change_amount_re")


def _period_of(text: str) -> str | None:
    """The one period a clause names, "both" when it names two, None when none."""
    found = [str(period) for period, words in lexicon()["period"].items() if any(w in text for w in words)]
    return found[0] if len(found) == 1 else ("both" if found else None)


def _condition(text: str) -> Condition | None:
    for key, op in (("above_re", "gt"), ("below_re", "lt")):
        for p in _patterns("condition", key):
            m = p.search(text)
            if m:
                return Condition(measure="growth", op=op, value=float(m.group(1)))  # type: ignore[arg-type]
    for key in ("unchanged", "swapped", "changed", "rose", "fell"):
        if has_any(text, "condition", key):
            return Condition(measure="rank_change", op=key)  # type: ignore[arg-type]
    return None


def selection_of(clause: str, frame: Frame) -> Selection:
    """How a clause chooses its cities."""
    by = measure_of(clause)
    if any(p.search(clause) for p in _patterns("aggregate", "range_re")):
        return Selection(kind="extremes", by=by or "growth")
    if has_any(clause, "selection", "most_rose_re"):
        return Selection(kind="top", by="rank_change")
    if has_any(clause, "selection", "most_fell_re"):
        return Selection(kind="bottom", by="rank_change")
    named = bool(frame.cities) and not frame.wh_city  # "商丘排名上升了几位": the named city's move
    cond = None if named else _condition(clause)
    if cond is not None and cond.measure == "rank_change":
        if cond.op in ("swapped", "changed") or _WHICH_K.search(clause):
            return Selection(kind="filter", by="rank_change", condition=cond)  # "哪两个…对调了": no top 2
        if has_any(clause, "measure", "change_amount_re") and not _CHOOSES_CITIES.search(clause):
            cond = None  # "退了几名" asks the amount of a move; "降了几位的城市有哪些" chooses cities
    if frame.top_k:
        return Selection(kind="top_k", by=_order_measure(by), n=frame.top_k)
    if frame.bottom_k:
        return Selection(kind="bottom_k", by=_order_measure(by), n=frame.bottom_k)
    if frame.from_end:
        return Selection(kind="nth", by=_order_measure(by), n=-frame.from_end)
    if frame.ordinal:
        return Selection(kind="nth", by=_order_measure(by), n=frame.ordinal)
    if has_any(clause, "selection", "top"):
        return Selection(kind="top", by=_order_measure(by))
    if has_any(clause, "selection", "bottom"):
        return Selection(kind="bottom", by=_order_measure(by))
    if cond is not None:
        return Selection(kind="filter", by=cond.measure, condition=cond)
    if frame.cities:
        return Selection(kind="named")
    return Selection(kind="all")


_WHICH_K = re.compile(r"哪(?:\d+|[一二两三四五六七八九十]+)个")
_CHOOSES_CITIES = re.compile(r"(?:城市|地市)(?!群)|哪|谁")


def _order_measure(by: Measure | None) -> Measure:
    """Ordering by growth means by growth value; by rank means by that period's rank."""
    if by in (None, "rank_change"):
        return by or "rank_2022Q1"
    return "growth" if by == "growth_rank" else by


_CITY_NOUN = re.compile(r"(?:城市|地市)(?!群)")
_TAIL_LEAD = re.compile(r"^(?:[，,]|的|在|其|它们?的?|那么)+")


def split_selector(text: str) -> tuple[str, str] | None:
    """'增速最慢的那座城，去年排第几' -> ('增速最慢的那座城', '去年排第几'): a clause that chooses
    cities by one measure, and a clause that asks another measure of them. None when there is no such
    split (a plain lookup)."""
    for m in _CITY_NOUN.finditer(text):
        head, tail = text[: m.end()], _TAIL_LEAD.sub("", text[m.end() :])
        measure = measure_of(tail)
        if "哪" in head or not tail or measure is None:
            continue
        if measure.startswith("rank_") and _period_of(tail) in (None, "both"):
            return None  # a rank without one period: the slot router answers with both periods
        if selection_of(head, parse(head)).kind in ("named", "all"):
            continue
        return head, tail
    return None


def _entities(f: Frame) -> Entities:
    return Entities(
        cities=list(f.cities),
        clusters=list(f.clusters),
        provinces=list(f.provinces),
        industries=list(f.industries),
        periods=list(f.periods),
        other_periods=list(f.other_periods),
    )


def _aggregate(text: str, selection: Selection) -> str:
    if selection.kind == "extremes" or has_any(text, "aggregate", "difference") and selection.kind != "named":
        return "range" if selection.kind == "extremes" else "difference"
    if has_any(text, "aggregate", "count_re") and selection.kind == "filter":
        return "count"
    masked = _mask_growth_label(text, selection)
    if has_any(masked, "aggregate", "mean"):
        return "mean"
    if has_any(masked, "aggregate", "sum"):
        return "sum"
    return "value"


def _tail_aggregate(tail: str, selection: Selection) -> str:
    """What a clause asks of cities another clause chose: their values, how many, mean or sum."""
    masked = _mask_growth_label(tail, selection)
    for key in ("mean", "sum", "count_re"):
        if has_any(masked, "aggregate", key):
            return key.removesuffix("_re")
    return "value"


_SINGLE = ("named", "nth", "top", "bottom")
_EACH = ("分别", "各自", "各是", "每个", "各个")


def _mask_growth_label(text: str, selection: Selection) -> str:
    """'两年同比增速均值' is the growth measure's label: its 均值 is no aggregate when one city is chosen, or
    when each city's value is asked ("分别"). Of a set of cities, "增速均值是多少" asks their mean."""
    if selection.kind not in _SINGLE and not any(w in text for w in _EACH):
        return text.replace("两年同比增速均值", "增速")
    return (
        text.replace("两年同比增速均值", "增速").replace("同比增速均值", "增速").replace("增速均值", "增速")
    )


def scope_issues(text: str, frame: Frame) -> list[str]:
    """Measures asked that the city tables do not hold (the tables hold something near them)."""
    issues = []
    if frame.cities or frame.clusters:
        if measure_of(text) == "growth" and has_any(text, "scope", "single_quarter_re"):
            issues.append("single_quarter_growth")
        if has_any(text, "scope", "national_re"):
            issues.append("national_rank")
        if has_any(text, "scope", "index_value_re") and measure_of(text) is None:
            issues.append("index_value")
    if frame.provinces and frame.industries and has_any(text, "scope", "share_value_re"):
        issues.append("share_value")
    return issues


def table_query(text: str, frame: Frame | None = None) -> Query:
    """The typed parse of one table clause (no compound split)."""
    frame = frame or parse(text)
    selector = split_selector(text)
    if selector is not None:
        head, tail = selector
        head_frame = parse(head)
        sel = selection_of(head, head_frame)
        scope = scope_issues(text, frame)
        return Query(
            text=text,
            intent=Intent.OUT_OF_SCOPE if scope else Intent.TABLE_AGGREGATE,
            entities=_entities(frame),
            selector=head,
            measure=measure_of(tail),
            selection=sel,
            aggregate=_tail_aggregate(tail, sel),
            scope=scope,
            digits=_digits(text),
        )
    sel = selection_of(text, frame)
    agg = _aggregate(text, sel)
    measure = measure_of(text) or (sel.by if sel.kind in ("extremes",) else None)
    scope = scope_issues(text, frame)
    intent = (
        Intent.TABLE_AGGREGATE if agg != "value" or sel.kind not in ("named", "all") else Intent.TABLE_LOOKUP
    )
    return Query(
        text=text,
        intent=Intent.OUT_OF_SCOPE if scope else intent,  # a measure the tables do not hold (see `scope`)
        entities=_entities(frame),
        measure=measure,
        selection=sel,
        aggregate=agg,
        scope=scope,
        digits=_digits(text),
    )  # type: ignore[arg-type]


# ---------------------------------------------------------------- data typed into the question

_GROUP = re.compile(rf"[（(]?\s*({_NUM}(?:\s*[、,，/和与及]\s*{_NUM})+)\s*[)）]?")
_NAME_LIST = re.compile(
    r"((?:[a-z\u4e00-\u9fff0-9]{1,8}、)+[a-z\u4e00-\u9fff0-9]{1,8})"
    r"(?:等?[一二两三四五六七八九十\d]+个)?(?:城市|指标|分指数|地区|层|打分|评分)"
)
_PERIOD_VALUE = re.compile(
    rf"(20\d\d)(?:年)?(q[1-4]|一季度|二季度|三季度|四季度)?(?:的值|值|指数)?(?:为|是|:|=)({_NUM})(?![\d.%])"
)
_PERIOD_NAME = re.compile(r"(20\d\d)年?(q[1-4]|一季度|二季度|三季度|四季度)")
_QUARTER = {"一季度": "q1", "二季度": "q2", "三季度": "q3", "四季度": "q4"}
_SCALAR = re.compile(
    rf"([\u4e00-\u9fffa-z]{{1,12}}?)(?:的值|值)?(?:为|是|:|=)({_NUM})(?!\.?\d|%|\s*[、,，/]\s*\d)"
)
_FILLER = re.compile(r"(分别|依次|各自|打分|评分|给出|打了|打|得分|的|为|是|:|=)+$")
_FOCUS = re.compile(
    r"([a-z0-9]{1,3}|指标\d+|[\u4e00-\u9fff]{1,4}?)(?:城市|地区)?(?:该指标)?的(?:去量纲值|权重|标准化值|占比)"
)
_COUNT_WORD = re.compile(r"\d+(?:位|名|个|家|座|项)")
# Words that end the lead-in before a list of names ("5位专家对规模、效率" -> "规模").
_LEAD_IN = re.compile(r".*(?:对|给|有|为|只有|包括|是|在|某城市|某地区|\d+位专家|\d+个)")
_COUNTED = re.compile(r"等?[一二两三四五六七八九十\d]+个(?:指标|城市|分指数|地区|层)?$")


_LABELLED = re.compile(
    rf"((?:[\u4e00-\u9fffa-z]{{1,8}}?{_NUM}[、,，；;]\s*)+[\u4e00-\u9fffa-z]{{1,8}}?{_NUM})(?![\d.%])"
)
_LABELLED_ITEM = re.compile(rf"([\u4e00-\u9fffa-z]{{1,8}}?)({_NUM})")
_TOTAL_WORD = re.compile(r"加总|合计|总数|总和|总量")
_VALUE_WORD = re.compile(r"(原始值|指标值|数值|取值|的值|值|为|是|:|=)+$")


def _labelled_list(body: str) -> tuple[list[str], Vector] | None:
    """'丁市原始值3100、戊市620、己市75': names each followed by its value -> names and one vector."""
    for m in _LABELLED.finditer(body):
        items = [it for it in _LABELLED_ITEM.findall(m.group(1)) if not _TOTAL_WORD.search(it[0])]
        if len(items) < 2:
            continue
        names = [_VALUE_WORD.sub("", name) for name, _ in items]
        first = _LEAD_IN.split(names[0])[-1]
        label = items[0][0][len(names[0]) :] or items[0][0]
        names[0] = _VALUE_WORD.sub("", first) or names[0]
        if len(items) >= 2 and all(names) and len(set(names)) == len(names):
            return names, Vector(label=label, values=[float(v) for _, v in items])
    return None


def asked_name(text: str, names: list[str]) -> str | None:
    """The one listed name the question's last clause asks about ("……，效率的权重为多少")."""
    clauses = [c for c in re.split(r"[，,。；;？?！!]", text) if c]
    for clause in reversed(clauses):
        if re.search(_NUM, clause):
            break
        named = [n for n in names if n in clause]
        if len(named) == 1:
            return named[0]
    return None


def inline_data(text: str) -> InlineData:
    """Vectors, period values, named scalars, the listed names, a base total and the asked-for name."""
    data = InlineData()
    last = 0
    text = THOUSANDS.sub(r"\1\2", DATES.sub(" ", text))
    body = _PERIOD_VALUE.sub(" ", text)
    for m in _PERIOD_VALUE.finditer(text):
        quarter = _QUARTER.get(m.group(2) or "", m.group(2) or "")
        data.periods[(m.group(1) + quarter).upper()] = float(m.group(3))
    for m in _GROUP.finditer(body):
        label = re.split(r"[，,。；;：:（(）)]", body[last : m.start()])[-1]
        label = _FILLER.sub("", label) or label
        values = [float(x) for x in re.findall(_NUM, m.group(1))]
        data.vectors.append(Vector(label=label, values=values))
        last = m.end()
    for m in _NAME_LIST.finditer(body):
        names = m.group(1).split("、")
        names[0] = _LEAD_IN.split(names[0])[-1]
        names[-1] = _COUNTED.sub("", names[-1])
        if all(names) and not all(re.fullmatch(_NUM, n) for n in names):
            data.names = names
            break
    if not data.names:  # "指标编号1、2": a numbered list of names
        for v in data.vectors:
            if v.label.endswith("指标") and v.values == list(range(1, len(v.values) + 1)):
                data.names = [f"指标{int(x)}" for x in v.values]
                data.vectors.remove(v)
                break
    if not data.periods:  # "三期（2020Q1 / 2021Q1 / 2022Q1）依次是7、9、13": periods listed, then values
        listed = [
            (m.group(1) + _QUARTER.get(m.group(2) or "", m.group(2) or "")).upper()
            for m in _PERIOD_NAME.finditer(text)
        ]
        for v in data.vectors:
            if len(listed) >= 2 and len(v.values) == len(listed) and len(set(listed)) == len(listed):
                data.periods = dict(zip(listed, v.values, strict=True))
                break
    for p in _patterns("calc", "total_re"):
        total = p.search(text)
        if total:
            data.total = float(total.group(1))
            break
    scalar_text = _COUNT_WORD.sub(" ", body)
    for m in _SCALAR.finditer(scalar_text):
        if data.total is not None and float(m.group(2)) == data.total:
            continue
        data.scalars[m.group(1)] = float(m.group(2))
    if not data.names and len(data.vectors) <= 1:
        labelled = _labelled_list(body)
        if labelled is not None:
            data.names, vector = labelled
            data.vectors = [v for v in data.vectors if not set(v.values) <= set(vector.values)] + [vector]
            data.scalars = {}
    focus = _FOCUS.search(text)
    if focus and (focus.group(1) in data.names or re.fullmatch(r"指标\d+", focus.group(1))):
        data.focus = focus.group(1)
    elif data.names:
        data.focus = asked_name(text, data.names)
    return data


def calc_operation(text: str) -> str | None:
    """Which of the report's calculations a question with typed-in data asks for."""
    weights = has_any(text, "calc", "weights") and has_any(text, "calc", "scores")
    if weights and has_any(text, "calc", "weighted"):  # weights, then the composite (plan checks the values)
        return "weights_then_weighted"
    if weights:
        return "weights"
    if has_any(text, "calc", "normalise"):
        return "normalise"
    if has_any(text, "calc", "weighted") and "权重" in text:
        return "weighted"
    if has_any(text, "calc", "base_from_growth") and _base_from_growth(text) is not None:
        return "base_from_growth"
    if has_any(text, "calc", "growth"):
        return "growth"
    if has_any(text, "calc", "part_of_total") and _part_of_total(text) is not None:
        return "part_of_total"
    if has_any(text, "calc", "share"):
        return "share"
    return None


def _amount_and_rate(text: str, rate_key: str) -> tuple[float, str, re.Match[str]] | None:
    """(amount, its unit, the rate's match) when the question types exactly one amount with a unit and one
    rate of the kind `rate_key` names."""
    amounts = [m for p in _patterns("calc", "amount_re") for m in p.finditer(text)]
    rates = [m for p in _patterns("calc", rate_key) for m in p.finditer(text)]
    if len(amounts) != 1 or len(rates) != 1:
        return None
    return float(amounts[0].group(1)), amounts[0].group(2) + (amounts[0].group(3) or ""), rates[0]


def _base_from_growth(text: str) -> tuple[float, str, float] | None:
    """(value, its unit, growth %; negative for a fall) for '本期X、同比增长g%，倒推上期'."""
    found = _amount_and_rate(text, "growth_rate_re")
    if found is None:
        return None
    value, unit, rate = found
    pct = float(rate.group(1))
    falling = re.search(r"下降|降|减少|下滑", rate.group(0)) is not None
    return value, unit, -pct if falling and pct > 0 else pct


def _part_of_total(text: str) -> tuple[float, str, float] | None:
    """(amount, its unit, share %) for '总量X、占比p%，算一下…'."""
    found = _amount_and_rate(text, "part_share_re")
    return (found[0], found[1], float(found[2].group(1))) if found else None


def _asks_the_whole(text: str) -> bool:
    """ "…规模900亿元、占GDP 45%，照这个算GDP多少": the question asks for what the share is of (the typed
    amount is the part)."""
    share = next((m for p in _patterns("calc", "part_share_re") for m in p.finditer(text)), None)
    if share is None:
        return False
    whole = re.sub(r"[\d.%]|的|比重|占比|比例", "", text[share.start() + 1 : share.start(1)])
    cue = max((text.rfind(w) for w in _words("calc", "part_of_total")), default=-1)
    return len(whole) >= 2 and cue >= 0 and whole in text[cue:]


def digits_asked(text: str) -> int | None:
    """The decimals a question asks for ("保留2位小数", "两位小数"), or None."""
    return _digits(text)


def _digits(text: str) -> int | None:
    for p in _patterns("calc", "digits_re"):
        m = p.search(text)
        if m:
            return int(m.group(1)) if m.group(1).isdigit() else cn_to_int(m.group(1))
    return None


def calc_query(text: str) -> Query | None:
    """A calculation whose data is typed into the question, or None."""
    op = calc_operation(text)
    if op is None:
        return None
    data, unit = inline_data(text), ""
    reader = {"part_of_total": _part_of_total, "base_from_growth": _base_from_growth}.get(op)
    found = reader(text) if reader else None
    if found is not None:  # one amount and one rate: the data is those two
        value, unit, pct = found
        data = InlineData(scalars={"value": value, "pct": pct})
        if op == "part_of_total" and _asks_the_whole(text):
            op = "whole_from_part"
    elif not (data.vectors or data.periods or data.scalars or data.total is not None):
        return None
    return Query(
        text=text,
        intent=Intent.CALCULATION,
        operation=op,
        inline=data,
        digits=_digits(text),
        percent=has_any(text, "calc", "percent"),
        measure_unit=unit,
    )


# ---------------------------------------------------------------- one year's rate from the two-year mean

_MEAN_RATE = re.compile(rf"(?:均值|平均值?)[)）]?[^\d%，,。；;]{{0,10}}?({_NUM})%")
_YEAR_RATE = re.compile(
    rf"(202[12])年?(?:q1|一季度)?的?(?:单年|单独)?(?:的)?(?:同比)?(?:增速|增长率|增幅|增长)?(?:是|为|:)?({_NUM})%"
)
_BASE_INDEX = re.compile(rf"2020年?(?:q1|一季度)?的?指数值?(?:是|为|:)?({_NUM})(?![\d.%])")


def mean_growth_query(text: str) -> Query | None:
    """'均值口径下为70%，其中一年是90%，另一年是多少': one year's rate from the report's two-year
    mean and the other year's rate (and the index, given the 2020Q1 value). The mean may come from the
    tables instead (a named city): then `scalars` has no "mean". None when the question is not this."""
    if not has_any(text, "calc", "two_year") and "均值" not in text:
        return None
    known = _YEAR_RATE.search(text)
    if known is None:
        return None
    mean = _MEAN_RATE.search(text)
    data = InlineData(known_year="first" if known.group(1) == "2021" else "second")
    data.scalars["known"] = float(known.group(2))
    if mean is not None and mean.start() != known.start() and mean.group(1) != known.group(2):
        data.scalars["mean"] = float(mean.group(1))
    base = _BASE_INDEX.search(text)
    if base is not None:
        data.scalars["base"] = float(base.group(1))
    tail = text[known.end() :]
    data.asks_index = base is not None and "指数" in tail
    return Query(
        text=text, intent=Intent.CALCULATION, operation="other_year", inline=data, digits=_digits(text)
    )


# ---------------------------------------------------------------- shares of several named regions

_SEGMENT = re.compile(r"[；;。：:]")
_REGION = re.compile(
    r"^(?:其中|而|另外|另|对于)?([a-z甲乙丙丁戊己庚辛]{1,2}(?:省|市|区|地区|城市)?|[\u4e00-\u9fff]{2,4}?(?:省|市))"
)
_WHOLE = re.compile(rf"(?:整体|总体|总指数|合计|全部|总值|总)(?:指数|数值|值)?(?:为|是)?({_NUM})(?![\d.%])")
_PART = re.compile(rf"(?:其中)?([\u4e00-\u9fff]{{1,6}}?)(?:指数|数值|值)?(?:为|是)?({_NUM})(?![\d.%])")


def region_shares(text: str) -> list[tuple[str, str, float, float]]:
    """'甲省整体60、金融9；乙省整体30、金融6' -> [(甲省, 金融, 9, 60), (乙省, 金融, 6, 30)]:
    each named region's part and whole, when at least two regions give both."""
    out: list[tuple[str, str, float, float]] = []
    for seg in _SEGMENT.split(text):
        seg = seg.strip("，,、 ")
        name = _REGION.match(seg)
        whole = _WHOLE.search(seg)
        if not name or not whole:
            continue
        rest = seg[name.end() : whole.start()] + "，" + seg[whole.end() :]
        parts = [
            (m.group(1).removeprefix("其中"), float(m.group(2)))
            for m in _PART.finditer(rest)
            if not _WHOLE.fullmatch(m.group(0))
        ]
        parts = [(label, v) for label, v in parts if label and not re.search(r"整体|总|指数$", label)]
        if len(parts) == 1:
            label, value = parts[0]
            label = re.sub(r"^.*?(?:、|，|,|其中)", "", label) or label
            out.append((name.group(1), label, value, float(whole.group(1))))
    return out if len(out) >= 2 and len({o[1] for o in out}) == 1 else []


# ---------------------------------------------------------------- the one entry point

_FORMAT_ONLY = re.compile(
    r"[（(]?(?:请|并|结果|答案)?(?:保留|精确到|四舍五入到?|取)?[\d一二两三四五六]+位小数[)）]?"
    r"|[（(]?(?:请)?(?:用|以)(?:百分比|百分数|%)(?:表示)?[)）]?"
)
_CLAUSE_END = re.compile(r"[？?；;。！!]+")


_COMMA = re.compile(r"([，,])")


def split_parts(question: str) -> list[str]:
    """The clauses of a question, as written; a clause that only says how to write the result ("保留2位小数",
    "用百分比") belongs to the clause before it; a clause after a comma that asks again with another measure
    ("…是哪个，增速呢") is a part of its own."""
    parts: list[str] = []
    for p in _CLAUSE_END.split(question):
        if not p.strip():
            continue
        if parts and _FORMAT_ONLY.fullmatch(normalise(p)):
            parts[-1] += "，" + p
        else:
            parts.extend(_follow_ups(p))
    return parts


def _follow_ups(clause: str) -> list[str]:
    pieces = _COMMA.split(clause)
    out = [pieces[0]]
    for comma, piece in zip(pieces[1::2], pieces[2::2], strict=True):
        tail = normalise(piece)
        if (
            tail
            and has_any(tail, "reference", "follow_up_re")
            and has_any(normalise(out[-1]), "reference", "asks_re")
        ):
            out.append(piece)
        else:
            out[-1] += comma + piece
    return out


def asks_of_answer(text: str) -> bool:
    """A clause with no subject and no selection of its own that asks a value or a statistic ("退了几名",
    "2021年第几", "增速均值多少"): in a compound question it asks about the cities the clause before
    it answered."""
    frame = parse(text)
    if frame.has_entity or frame.all_clusters:
        return False
    q = table_query(normalise(text), frame)
    if q.selector is not None or q.selection.kind != "all":
        return False
    if q.aggregate in ("mean", "sum", "range"):
        return True
    return q.aggregate == "value" and q.measure is not None and has_any(q.text, "reference", "asks_value_re")


def names_tables(frame: Frame) -> bool:
    """The question names a city or cluster of the tables (then its numbers are thresholds, not data)."""
    return bool(frame.cities or frame.clusters or frame.ambiguous and not frame.industries)


def understand(question: str) -> Query:
    """The typed parse of a question: a calculation on data typed into it, a table question (with its parts
    when it has several clauses), a question about an author or an essay, or a prose question."""
    text = normalise(question)
    derived = mean_growth_query(text)
    if derived is not None:
        return derived
    if has_any(text, "calc", "share"):
        shares = region_shares(text)
        if shares:
            data = InlineData(shares=shares)
            return Query(
                text=text, intent=Intent.CALCULATION, operation="shares", inline=data, digits=_digits(text)
            )
    frame = parse(question)
    if not names_tables(frame) or calc_operation(text) in ("part_of_total", "base_from_growth"):
        calc = calc_query(text)
        if calc is not None:
            return calc
    if has_any(text, "author", "asks_author_re") or has_any(text, "author", "asks_title_re"):
        return Query(text=text, intent=Intent.AUTHOR, entities=_entities(frame))
    if names_tables(frame) or frame.provinces or frame.industries:
        parts = split_parts(question)
        if len(parts) > 1:
            subs = [table_query(normalise(p)) for p in parts]
            return subs[0].model_copy(update={"text": text, "parts": subs, "derived": derived_ask(text)})
        return table_query(text, frame).model_copy(update={"derived": derived_ask(text)})
    return Query(text=text, intent=Intent.PROSE, entities=_entities(frame), derived=derived_ask(text))


_TERM_EDGE = re.compile(
    r"^(?:那么|那|请问|其|它的|它|截至[^，,]*?日)|(?:大概|大约|约|差不多|大致|一共|总共|共|大幅|的)+$"
)


def _term(text: str) -> str:
    return _TERM_EDGE.sub("", text.strip("，,、 ")).strip("，,、 ")


def as_written(question: str, term: str) -> str:
    """A term of the normalised question as the user wrote it ("线上GMV", not "线上gmv")."""
    low = unicodedata.normalize("NFKC", question).lower()
    at = low.find(term)
    return unicodedata.normalize("NFKC", question)[at : at + len(term)] if term and at >= 0 else term


def derived_ask(text: str) -> DerivedAsk | None:
    """A ratio, difference or change of figures stated in the prose ("A是B的几倍", "A比B多多少",
    "X从…降到…少了多少 / 降了百分之多少 / 升了几个百分点"), with its terms; None otherwise."""
    for key, op in (("ratio_re", "ratio"), ("difference_re", "difference")):
        for pattern in _patterns("derive", key):
            m = pattern.search(text)
            if m and len(_term(m.group("a"))) >= 2 and len(_term(m.group("b"))) >= 2:
                return DerivedAsk(op=op, a=_term(m.group("a")), b=_term(m.group("b")))
    for key, op in (
        ("change_percent_re", "percent_change"),
        ("change_points_re", "points"),
        ("change_amount_re", "change"),
    ):
        m = next((m for p in _patterns("derive", key) if (m := p.search(text))), None)
        if m is None:
            continue
        head = text[: m.start()]
        start = re.search(r"从|由(?=[^，,]*?(?:到|至))", head)  # "从X降到Y" / "由X降到Y"
        if op == "change" and start is None:
            return None  # "增加了多少" alone asks a figure the prose states, not one to derive
        head = head[: start.start()] if start else head
        for verb in _patterns("derive", "change_verb_re"):
            head = re.sub(f"(?:{verb.pattern})了?$", "", head)
        clauses = [_term(c) for c in re.split(r"[，,；;]", head)]
        subject = next((c for c in reversed(clauses) if len(c) >= 2), "")
        return DerivedAsk(op=op, a=subject)  # no subject: a later part's, taken from the part before
    return None


def changed_subject(text: str) -> str:
    """What a question says changed ("X从多少降到多少" -> "X"), for a later part that asks only the rate."""
    head = re.split(r"从|由|是|有|的?(?:变化|降幅|增幅)|多少|几", text, maxsplit=1)[0]
    return _term(re.split(r"[，,；;]", head)[-1])
