"""Structure read from passages: part-of-whole shares, ratios, differences and changes computed from their
numbers ("A占B的比重", "A是B的几倍", "从X降到Y"), and the items of an enumeration announced by a sentence
("可以归纳为以下三点。")."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.core.schema import Hit

_UNITS = {"万亿": 1e12, "亿": 1e8, "万": 1e4, "千": 1e3, "": 1.0}
_NUM = re.compile(
    r"(\d+(?:\.\d+)?)\s*(万亿|亿|万|千)?\s*(美元|港元|欧元|个|家|人|元|次|台|户|座|项|名|位|吨)?"
)
# "A占B的比重/比例/占比", "B中（的）A（的）占比/比例/比重".
_A_OF_B = re.compile(r"(?P<a>[^，,。？?]{2,20}?)占(?P<b>[^，,。？?]{2,20}?)的?(?:比重|比例|占比|份额)")
_B_THEN_A = re.compile(
    r"(?P<b>[^，,。？?]{2,30}?)中[，,]?(?:的)?(?P<a>[^，,。？?]{2,20}?)的?(?:占比|比例|比重|份额)"
)
_YEARS = re.compile(r"(?<![\d.])((?:19|20)\d\d)(?=\s*(?:年|上半年|下半年|全年|[Qq]\d|第))")
_LEAD = re.compile(r"^(据.{0,10}[，,])?(\d{4}\s*年)?(我国|中国|全国)?(整个|整体|全部)?")
# "多少 / 多大 / 几个…" asks for an amount; "哪几个方面" and "多大程度" do not.
_HOW_MANY = re.compile(
    r"多少|多长时间|多久|多大(?!程度|影响|作用|意义|区别|差别|差异)"
    r"|(?<![哪第])几[个项家台座名次位万亿倍成天年周月]|几小时|几分钟|百分之几"
)
_METRIC = re.compile(r"([A-Za-z]{2,})(?:的)?(?:是|为|有|达到|约)?(?:多少|几)")
_COUNTED = re.compile(r"(?:几|多少)([个项家台座名位次条款种]?)([\u4e00-\u9fff]{0,2})")
_DATE = re.compile(
    r"\d{4}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?)?|\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?"
    r"|(?:19|20)\d\d\s*[qQ]\s*[1-4]"  # a quarter's label ("2020Q1-2022Q1") is a date too
    r"|(?:19|20)\d\d(?=全年|上半年|下半年|年度)"
    r"|(?:top|TOP|Top|前|第|NO\.?|No\.?)\s*\d+"  # a rank label ("TOP10省份") states no amount
)
# A number: digits, or Chinese numerals with a unit ("三成", "十亿"); a lone "一家/一个" is an article.
_WORD_FIGURE = re.compile(
    r"(?:[二两三四五六七八九十百千万亿]|一[十百千万亿])[一二两三四五六七八九十百千万亿]*\s*[倍成%万亿]"
)
_AMOUNT = re.compile(
    r"\d|(?:[二两三四五六七八九十百千万亿]|一[十百千万亿])[一二两三四五六七八九十百千万亿]*\s*[个项家台座名倍成%万亿]"
)


@dataclass
class Quantity:
    value: float
    text: str
    hit: Hit | None
    sentence: str


@dataclass
class Share:
    part: Quantity
    total: Quantity
    part_term: str
    total_term: str

    @property
    def percent(self) -> float:
        return self.part.value / self.total.value * 100


def _norm(text: str) -> str:
    """NFKC, lower case, without spaces ("1 038" is 1038) and the corpus' bold markers."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).replace("**", "").lower()


def _quantity(m: re.Match[str]) -> tuple[float, str]:
    unit = m.group(2) or ""
    return float(m.group(1)) * _UNITS[unit], unit + (m.group(3) or "")


def asks_amount(question: str) -> bool:
    """The question asks for a number ("多少", "多大", "几个"), not a list or a date."""
    return bool(_HOW_MANY.search(question))


def states_amount(sentence: str, digits_only: bool = False) -> bool:
    """The sentence states a number other than a date ("1月5日" answers no "多少"); `digits_only`: a figure
    ("299.2", "5.1万", "三成"), not a count in words ("九个季度")."""
    text = _DATE.sub("", _norm(sentence))
    if digits_only:
        return bool(re.search(r"\d", text) or _WORD_FIGURE.search(text))
    return bool(_AMOUNT.search(text))


def asked_metrics(question: str) -> list[str]:
    """Latin-lettered measures a "how many" question asks for ("线上GMV是多少" -> ["gmv"]), lowercased."""
    return [m.lower() for m in _METRIC.findall(_norm(question))]


def counted_unit(question: str) -> str:
    """What a "how many" question counts, unit first: "几个新职业" -> "个新职", "多少台" -> "台"; "" if
    unclear."""
    m = _COUNTED.search(_norm(question))
    return (m.group(1) + m.group(2))[:3] if m else ""


def counts(sentence: str, counted: str) -> bool:
    """The sentence gives a number of that thing ("147 个新职业")."""
    return re.search(r"\d[\d.,]*(?:万|亿)?" + re.escape(counted), _norm(sentence)) is not None


def years_in(text: str) -> set[str]:
    """Years a text names ("2021年", "2021上半年", "2022Q1")."""
    return set(_YEARS.findall(_norm(text)))


def answers_amount(sentence: str, years: set[str], digits_only: bool = False) -> bool:
    """The sentence can answer a "多少" question about these years: it states a number (in digits, when
    `digits_only`), and when it names years, one of them is asked about."""
    stated = years_in(sentence)
    return states_amount(sentence, digits_only) and not (years and stated and not stated & years)


def share_terms(question: str) -> tuple[str, str] | None:
    """(part, total) terms of a share question, or None when the question does not ask for a share."""
    q = _norm(question)
    for pattern in (_A_OF_B, _B_THEN_A):
        m = pattern.search(q)
        if m:
            a, b = _LEAD.sub("", m.group("a")).strip("的"), _LEAD.sub("", m.group("b")).strip("的")
            if len(a) >= 2 and len(b) >= 2:
                return a, b
    return None


def states_share(sentence: str, terms: tuple[str, str]) -> bool:
    """The sentence already gives the share asked for: the part, then "占…<total>" and a percentage."""
    text = _norm(sentence)
    part, total = (re.sub(r"(规模|总量|总额|总值)$", "", t) or t for t in terms)
    return (
        "%" in text and part in text and re.search("占[^，,。；]{0,8}" + re.escape(total), text) is not None
    )


def _anchors(term: str, text: str) -> tuple[int, list[tuple[int, int]]]:
    """Where a term stands in a sentence: (quality, [(start, end), ...]). Quality 0 = the term itself;
    1 = all its words close together ("平台带动了 30 万个岗位" for "平台带动的岗位"); none =
    (9, [])."""
    import rjieba

    at = text.find(term)
    if at >= 0:
        return 0, [(at, at + len(term))]
    words = [w for w in rjieba.cut(term) if len(w) >= 2]
    if len(words) < 2:
        return 9, []
    window = 3 * len(term) + 6
    start = text.find(words[0])
    while start >= 0:
        span = text[start : start + window]
        if all(w in span for w in words):
            return 1, [(start + span.find(w), start + span.find(w) + len(w)) for w in words]
        start = text.find(words[0], start + 1)
    return 9, []


def _find(
    term: str,
    hits: list[Hit],
    avoid: float | None,
    unit: str | None,
    years: set[str] | None = None,
    percent: bool = False,
) -> Quantity | None:
    """The number nearest to the term in the passages (within a short window), preferring literal matches
    and better-ranked hits; ties go to the number after the term (Chinese lists put counts after names).
    When the question names years, a sentence about other years only is passed over. `percent`: only
    percentages count (otherwise they never do)."""
    best: tuple[float, Quantity] | None = None
    for h in hits:
        for sent in re.split(r"(?<=[。；;！!？?])", h.chunk.text):
            s = _norm(sent)
            stated = years_in(s)
            if years and stated and not stated & years:
                continue
            quality, spans = _anchors(term, s)
            if not spans:
                continue
            paired = _respectively(term, s, percent)
            if paired is not None:  # "A和B的市值分别为x和y": A's is x
                value, text = paired
                if value != avoid and (unit is None or _scale_unit(text)[1] == unit):
                    key = 40 * (h.rank - 1)
                    if best is None or key < best[0]:
                        best = (key, Quantity(value, text, h, sent.strip()))
                    continue
            for m in _NUM.finditer(s):
                after = s[m.end() : m.end() + 1]
                if after in ("年", "月", "日", ".") or (after in ("%", "％")) != percent:
                    continue  # years and dates are not counts; percentages only when asked
                value, u = _quantity(m)
                if (avoid is not None and value == avoid) or (unit is not None and u != unit):
                    continue
                dist = min(a - m.end() if m.start() < a else m.start() - e for a, e in spans)
                if dist > 14 or dist < -1:
                    continue
                before = all(m.start() < a for a, _ in spans)
                key = 100 * quality + 2 * max(dist, 0) + before + 40 * (h.rank - 1)
                if best is None or key < best[0]:
                    text = m.group(0).strip() + ("%" if percent else "")
                    best = (key, Quantity(value, text, h, sent.strip()))
    return best[1] if best else None


_RESPECTIVELY = re.compile(
    r"(?P<names>[^，,。；;：:]{2,40}?)分别(?:为|是|达到|达|有|约为|占)?(?P<values>[^。；;，,]{2,60})"
)


def _respectively(term: str, sentence: str, percent: bool) -> tuple[float, str] | None:
    """The value paired with the term in "A和B（的X）分别为x和y"; None when the sentence pairs none."""
    m = _RESPECTIVELY.search(sentence)
    if not m:
        return None
    names = [n for n in re.split(r"和|与|及|、", re.sub(r"的[^和与及、]*$", "", m.group("names"))) if n]
    values = [
        v
        for v in _NUM.finditer(m.group("values"))
        if (m.group("values")[v.end() : v.end() + 1] == "%") == percent
        and m.group("values")[v.end() : v.end() + 1] not in ("年", "月", "日")
    ]
    if len(names) < 2 or len(values) != len(names):
        return None
    overlap = [_common(name, term) for name in names]
    best = max(overlap)
    if best < 2 or overlap.count(best) > 1:
        return None  # the term names none of them, or cannot tell them apart
    v = values[overlap.index(best)]
    value, _ = _quantity(v)
    return value, v.group(0).strip() + ("%" if percent else "")


def _common(a: str, b: str) -> int:
    """Length of the longest common substring."""
    return max((k for i in range(len(a)) for k in range(1, len(a) - i + 1) if a[i : i + k] in b), default=0)


def share_from_passages(question: str, hits: list[Hit]) -> Share | None:
    """A share asked in prose, from the numbers next to its two terms (a number in the question counts)."""
    terms = share_terms(question)
    if not terms:
        return None
    part_term, total_term = terms
    years = years_in(question)
    given = _NUM.search(total_term)
    if given and given.group(1):
        value, unit = _quantity(given)
        total = Quantity(value, given.group(0).strip(), None, question)
        total_term = total_term.replace(given.group(0), "")
    else:
        found = _find(total_term, hits, None, None, years)
        if not found:
            return None
        head = _NUM.match(found.text)
        total, unit = found, (_quantity(head)[1] if head else "")
    part = _find(part_term, hits, total.value, unit or None, years)
    if not part or total.value <= 0 or part.value >= total.value:
        return None
    return Share(part=part, total=total, part_term=part_term, total_term=total_term)


# -- ratios, differences and changes of figures stated in prose ------------------------------------------
_DATES_OUT = re.compile(
    r"(?:19|20)?\d{2}年(?:\d{1,2}月)?(?:\d{1,2}[日号])?(?:q[1-4]|[一二三四]季度)?|(?:(?:19|20)\d\d)?q[1-4]"
)
_FROM_TO = re.compile(
    r"[从由][^\d，,。；;]{0,12}?(?P<x>\d+(?:\.\d+)?)(?P<xs>万亿|亿|万|千)?(?P<mid>[^\d，,。；;]{0,14}?)"
    r"(?:到|至)[^\d，,。；;]{0,12}?(?P<y>\d+(?:\.\d+)?)(?P<ys>万亿|亿|万|千)?"
)
_UNIT_WORD = re.compile(
    r"%|[a-z]+(?:[\u4e00-\u9fff]{0,3}/[\u4e00-\u9fff])?|美元|港元|欧元|元|吨|个|家|人|台|户|次|项"
)


@dataclass
class Derived:
    """A figure computed from two the prose states: `a` and `b` (for a change, from `a` to `b`)."""

    op: str
    a: Quantity
    b: Quantity
    a_term: str
    b_term: str
    value: float
    unit: str  # the result's: 倍, %, 个百分点, or the figures' own ("亿美元")


def _words(term: str) -> list[str]:
    import rjieba

    return [w for w in rjieba.cut(term) if len(w) >= 2 and not _DATES_OUT.fullmatch(w)]


def coverage(term: str, text: str) -> float:
    """The share of the term's words the text contains."""
    words = _words(term)
    text = _norm(text)
    return sum(w in text for w in words) / len(words) if words else 0.0


def _decimals(*texts: str) -> int:
    return max((len(m.group(1)) for t in texts if (m := re.search(r"\.(\d+)", t))), default=0)


def _located(
    term: str, hits: list[Hit], avoid: float | None, unit: str | None, years: set[str]
) -> Quantity | None:
    """`_find`, and when the whole term is not in one sentence, its tail ("线上GMV" of "某公司线上GMV") in a
    passage that names the head too."""
    for percent in (False, True):
        found = _find(term, hits, avoid, unit, years, percent)
        if found:
            return found
    words = _words(term)
    for k in range(1, len(words)):
        head, tail = words[:k], "".join(words[k:])
        for percent in (False, True):
            found = _find(tail, hits, avoid, unit, years, percent)
            if found and found.hit is not None and all(w in _norm(found.hit.chunk.text) for w in head):
                return found
    return None


def _scale_unit(text: str) -> tuple[float, str]:
    m = re.match(r"[\d.]+(万亿|亿|万|千)?(.*)", text)
    return (_UNITS[m.group(1) or ""], (m.group(1) or "") + m.group(2)) if m else (1.0, "")


def _two_figures(op: str, a_term: str, b_term: str, hits: list[Hit], years: set[str]) -> Derived | None:
    a = _located(a_term, hits, None, None, years)
    if a is None or a.hit is None:
        return None
    same_first = [a.hit] + [h for h in hits if h is not a.hit]  # the second figure: same passage first
    b = _located(b_term, same_first, a.value, _scale_unit(a.text)[1].rstrip("%") or None, years)
    if b is None or ("%" in a.text) != ("%" in b.text) or b.value == 0:
        return None
    if op == "ratio":
        return Derived(op, a, b, a_term, b_term, a.value / b.value, "倍")
    scale, unit = _scale_unit(a.text)
    if "%" in a.text:
        return Derived(op, a, b, a_term, b_term, a.value - b.value, "个百分点")
    return Derived(op, a, b, a_term, b_term, (a.value - b.value) / scale, unit)


def _from_to(op: str, term: str, hits: list[Hit]) -> Derived | None:
    """The sentence stating how the term changed ("从90kg…减少到35kg…"): the change it asks about."""
    best: tuple[float, int, Derived] | None = None
    for h in hits:
        text = _norm(h.chunk.text)
        for original in re.split(r"(?<=[。；;！!？?\n])", h.chunk.text):
            sent = _norm(original)
            plain = _DATES_OUT.sub("", sent)
            m = _FROM_TO.search(plain)
            if not m:
                continue
            start = text.find(sent)
            cover = coverage(term, text[max(0, start - 60) : start + len(sent)])
            if cover < 0.5:
                continue
            x_unit = _UNIT_WORD.match(m.group("mid"))
            y_unit = _UNIT_WORD.match(plain[m.end() :])
            xu, yu = x_unit.group(0) if x_unit else "", y_unit.group(0) if y_unit else ""
            x = float(m.group("x")) * _UNITS[m.group("xs") or ""]
            y = float(m.group("y")) * _UNITS[m.group("ys") or ""]
            if xu != yu and (xu or yu) and not (xu and not yu):
                continue  # two different units: not one quantity's change
            xq = Quantity(x, f"{m.group('x')}{m.group('xs') or ''}{xu}", h, original.strip())
            yq = Quantity(y, f"{m.group('y')}{m.group('ys') or ''}{xu}", h, original.strip())
            if op == "points":
                if xu != "%":
                    continue
                value, unit = y - x, "个百分点"
            elif op == "percent_change":
                if x == 0:
                    continue
                value, unit = (y - x) / x * 100, "%"
            else:
                scale = _UNITS[m.group("xs") or ""]
                value, unit = (y - x) / scale, (m.group("xs") or "") + xu
            found = Derived(op, xq, yq, term, "", value, unit)
            key = (-cover, h.rank)
            if best is None or key < best[:2]:
                best = (key[0], key[1], found)
    return best[2] if best else None


_STATED_RATE = re.compile(
    r"(?:增幅|降幅|涨幅|跌幅|增速|增长|下降|减少|降低|提高|提升|上升)[^，,。；;\d]{0,8}?\d+(?:\.\d+)?%"
)


def _states_rate(term: str, hits: list[Hit]) -> bool:
    """A passage already states the term's rate of change ("…平均增长245%"): nothing to compute."""
    for h in hits:
        for original in re.split(r"(?<=[。；;！!？?\n])", h.chunk.text):
            sent = _norm(original)
            if _STATED_RATE.search(_DATES_OUT.sub("", sent)) and coverage(term, sent) >= 1.0:
                return True
    return False


def derive_from_passages(
    op: str, a_term: str, b_term: str, hits: list[Hit], years: set[str]
) -> Derived | None:
    """The figure a question asks to derive (see understand.DerivedAsk) from the numbers next to its terms in
    the passages; None when they are not both found (or do not share a unit)."""
    if op in ("ratio", "difference"):
        return _two_figures(op, a_term, b_term, hits, years)
    if op == "percent_change" and _states_rate(a_term, hits):
        return None
    return _from_to(op, a_term, hits)


def falls(derived: Derived) -> bool:
    return derived.b.value < derived.a.value if derived.op != "difference" else derived.value < 0


def derived_digits(derived: Derived) -> int:
    """Decimals to state: two for ratios and percentages, else as many as the figures have."""
    if derived.op in ("ratio", "percent_change"):
        return 2
    return _decimals(derived.a.text, derived.b.text)


# -- enumerations ("可以归纳为以下三点。" followed by 首先…其次…最后…) -------------------------------------
_CN_NUM = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_INTRO = re.compile(
    r"(以下|如下)([一二两三四五六七八九十\d]+)?(点|个方面|方面|条|类|种|个)|[:：]$|"
    r"([一二两三四五六七八九十\d]+)(?:点|个方面|方面|条|类|种|个问题)[:：](?=\s*(?:一是|首先|第一|1[、.．]|[（(]一[）)]))"
)
_ITEM = re.compile(
    r"^\s*(?:(?P<seq>首先|其次|再次|然后|最后)|第(?P<di>[一二三四五六七八九十]+)|"
    r"(?P<shi>[一二三四五六七八九十]+)是|(?P<dun>[一二三四五六七八九十]+)、|"
    r"[（(](?P<par>[一二三四五六七八九十]+)[）)]|(?P<num>\d{1,2})[、.．])[，,：:]?\s*"
)
_WHOLE_ITEM = 48
_SENTENCES = re.compile(r"[^。！？；!?\n]+[。！？；!?]*")


def enumeration_size(sentence: str) -> int | None:
    """How many items a sentence announces ("以下三点" -> 3); 0 = a list of unknown length; None = no list."""
    m = _INTRO.search(sentence)
    if not m:
        return None
    n = m.group(2) or m.group(4) or ""
    if n.isdigit():
        return int(n)
    return _CN_NUM.get(n, 0)


def inline_items_at(sentence: str) -> int | None:
    """Where the items start when the intro sentence carries the first of them ("体现为四个方面：一是…")."""
    m = _INTRO.search(sentence)
    return m.end() if m and m.group(4) else None


def _marker(m: re.Match[str]) -> tuple[str, int | None]:
    """(family, ordinal) of an item marker: ("shi", 2) for 二是, ("seq", None) for 其次."""
    for family in ("di", "shi", "dun", "par", "num"):
        value = m.group(family)
        if value:
            return family, int(value) if value.isdigit() else _CN_NUM.get(value) if len(value) == 1 else None
    return "seq", None


def list_items(following: list[tuple[Hit, str]], size: int) -> list[tuple[Hit, str, str]]:
    """The first clause of each enumerated item after an intro: [(hit, sentence, clause)]. Items keep one
    marker family and count up (一是, 二是, 三是…; 首先, 其次, 最后), so nested lists are not mixed in."""
    items: list[tuple[Hit, str, str]] = []
    family = ""
    for hit, text in following:
        for m in _SENTENCES.finditer(text):
            sent = m.group(0).strip()
            marker = _ITEM.match(sent)
            if not marker:
                continue
            fam, ordinal = _marker(marker)
            if items and fam != family:
                continue
            if ordinal is not None and ordinal != len(items) + 1:
                continue
            if not items and fam == "seq" and marker.group("seq") != "首先":
                continue
            family = fam
            rest = sent[marker.end() :]
            # A short item is kept whole ("外部环境不确定性增加，数据安全隐患没有得到解决"), a long one to
            # its first clause.
            whole = re.split(r"[。；;]", rest, maxsplit=1)[0]
            clause = whole if len(whole) <= _WHOLE_ITEM else re.split(r"[，,]", whole, maxsplit=1)[0]
            if len(clause) < 6:
                clause = whole[:40]
            items.append((hit, sent, clause[:_WHOLE_ITEM]))
            if (size and len(items) >= size) or (fam == "seq" and marker.group("seq") == "最后"):
                return items if not size or len(items) >= size else []
    return items if not size and len(items) >= 2 else []
