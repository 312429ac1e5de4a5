"""Structure read from passages: part-of-whole shares computed from their numbers ("A占B的比重"), and the
items of an enumeration announced by a sentence ("可以归纳为以下三点。")."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.core.schema import Hit

_UNITS = {"万亿": 1e12, "亿": 1e8, "万": 1e4, "千": 1e3, "": 1.0}
_NUM = re.compile(r"(\d+(?:\.\d+)?)\s*(万亿|亿|万|千)?\s*(个|家|人|元|次|台|户|座|项|名|位)?")
# "A占B的比重/比例/占比", "B中（的）A（的）占比/比例/比重".
_A_OF_B = re.compile(r"(?P<a>[^，,。？?]{2,20}?)占(?P<b>[^，,。？?]{2,20}?)的?(?:比重|比例|占比|份额)")
_B_THEN_A = re.compile(
    r"(?P<b>[^，,。？?]{2,30}?)中[，,]?(?:的)?(?P<a>[^，,。？?]{2,20}?)的?(?:占比|比例|比重|份额)"
)
_YEARS = re.compile(r"(?<![\d.])((?:19|20)\d\d)(?=\s*(?:年|上半年|下半年|全年|[Qq]\d|第))")
_LEAD = re.compile(r"^(据.{0,10}[，,])?(\d{4}\s*年)?(我国|中国|全国)?")
# "多少 / 多大 / 几个…" asks for an amount; "哪几个方面" and "多大程度" do not.
_HOW_MANY = re.compile(
    r"多少|多长时间|多久|多大(?!程度|影响|作用|意义|区别|差别|差异)"
    r"|(?<!哪)几[个项家台座名次位万亿倍成天年周月]|几小时|几分钟|百分之几"
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
    return unicodedata.normalize("NFKC", text).replace(" ", "")


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
    term: str, hits: list[Hit], avoid: float | None, unit: str | None, years: set[str] | None = None
) -> Quantity | None:
    """The number nearest to the term in the passages (within a short window), preferring literal matches
    and better-ranked hits; ties go to the number after the term (Chinese lists put counts after names).
    When the question names years, a sentence about other years only is passed over."""
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
            for m in _NUM.finditer(s):
                if s[m.end() : m.end() + 1] in ("%", "％", "年", "月", "日", "."):
                    continue  # percentages, years and dates are not counts
                value, u = _quantity(m)
                if (avoid is not None and value == avoid) or (unit is not None and u != unit):
                    continue
                dist = min(a - m.end() if m.start() < a else m.start() - e for a, e in spans)
                if dist > 14 or dist < -1:
                    continue
                before = all(m.start() < a for a, _ in spans)
                key = 100 * quality + 2 * max(dist, 0) + before + 40 * (h.rank - 1)
                if best is None or key < best[0]:
                    best = (key, Quantity(value, m.group(0).strip(), h, sent.strip()))
    return best[1] if best else None


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
