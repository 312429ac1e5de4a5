"""Question understanding over the tables' vocabularies: entities, periods, ordinals, thresholds and cue
words."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, fields, replace

from tools.names import to_simplified
from tools.tables import RANK_PERIODS, known_names, tables_readonly

# Placeholders that replace recognised spans, so cue patterns can see "a city here" without the name.
CITY, CLUSTER, PROVINCE, INDUSTRY, AMBIG, UNK_CLUSTER, UNK_CITY, PERIOD = (chr(0xE001 + i) for i in range(8))

_CN_DIGITS = {
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_NUM = "[零一二两三四五六七八九十百]+"
_SPACE = re.compile(r"\s+")


def cn_to_int(text: str) -> int | None:
    """一 -> 1, 十 -> 10, 十二 -> 12, 二十五 -> 25, 一百 -> 100 (up to 999)."""
    if not text or any(c not in _CN_DIGITS and c not in "十百" for c in text):
        return None
    total, current = 0, 0
    for c in text:
        if c == "百":
            total += (current or 1) * 100
            current = 0
        elif c == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = _CN_DIGITS[c]
    return total + current


def clean(question: str) -> str:
    """NFKC (full-width -> ASCII), traditional -> simplified, no white space; case kept."""
    return _SPACE.sub("", to_simplified(unicodedata.normalize("NFKC", question or "")))


# ---------------------------------------------------------------- periods

_GROWTH_PHRASE = re.compile(r"2021q1[&和与及、]2022q1(两年)?(同比)?(增速)?(均值|平均)?", re.IGNORECASE)
_RANGE = re.compile(r"20\d\dq\d\s*[-~至到—]+\s*20\d\dq\d", re.IGNORECASE)
_P2022Q1 = re.compile(r"(20)?22年?(第?[一1]季度|q1|一季)|今年(第?一季度|q1)", re.IGNORECASE)
_P2021 = re.compile(r"(20)?21(年|全年)(?!q|第?[一二三四1-4]季度)|2021(?![0-9q年])", re.IGNORECASE)


_OTHER_PERIOD = re.compile(
    r"(?<![\d.])((?:19|20)\d\d)\s*(年)?\s*(全年|上半年|下半年|q[1-4]|第?[一二三四1-4]季度)?"
    r"(?![\d%万亿])",
    re.IGNORECASE,
)


def other_periods(masked: str) -> list[str]:
    """Periods left after the tables' own were masked: "2020年", "2021q3", "2022年全年" (the city tables have
    2021 full year and 2022Q1 only). A bare year that a ranked period falls in ("2022年" for 2022Q1) is not
    counted."""
    out = []
    for m in _OTHER_PERIOD.finditer(masked):
        year, part = m.group(1), (m.group(3) or "")
        if not (m.group(2) or part) or (not part and any(p.startswith(year) for p in RANK_PERIODS)):
            continue  # "2000家" is no year; "2022年" alone means the report's 2022Q1
        out.append(year + ("年" if m.group(2) else "") + part.upper())
    return out


def _periods(text: str) -> tuple[str, list[tuple[int, str]], bool]:
    """Mask periods; returns (masked text, [(position, period)], growth phrase seen)."""
    growth_phrase = bool(_GROWTH_PHRASE.search(text))
    text = _GROWTH_PHRASE.sub("增速", text)
    text = _RANGE.sub("", text)
    found: list[tuple[int, str]] = []
    for pattern, period in ((_P2022Q1, "2022Q1"), (_P2021, "2021")):
        out = []
        last = 0
        for m in pattern.finditer(text):
            found.append((m.start(), period))
            out.append(text[last : m.start()] + PERIOD)
            last = m.end()
        text = "".join(out) + text[last:]
    return text, sorted(found), growth_phrase


def _numerals(text: str) -> str:
    """Chinese numerals in ordinal / count positions -> digits (names are masked before this runs)."""

    def conv(m: re.Match[str]) -> str:
        value = cn_to_int(m.group(2))
        return m.group(1) + (str(value) if value is not None else m.group(2)) + m.group(3)

    text = re.sub(rf"(第|前|后|倒数|top|no\.?)({_CN_NUM})()", conv, text, flags=re.IGNORECASE)
    return re.sub(rf"()({_CN_NUM})(个|名|位|座|强|大|家|项)", conv, text)


# ---------------------------------------------------------------- cue words

RANK_WORD = re.compile(r"排名|排第|排在|排几|第几|名次|位次|位列|位居|排位|多少名|几名|排行|榜|第\d+")
GROWTH_WORD = re.compile(r"增速|增长率|同比|增幅|涨幅|增长|增得")
SHARE_WORD = re.compile(r"占比|比重|份额|占本省")
MEMBER_WORD = re.compile(r"属于|哪个城市群|哪一个城市群|哪个群|所属|所在的?城市群|归属|是哪个城市群")
TIE_WORD = re.compile(r"并列|相同|一样|相等|持平的")
COMPARE_WORD = re.compile(
    r"相差|差距|差多少|差是多少|差为|差值|比较|对比|谁的|谁更|谁高|谁低|谁快|谁慢|哪个更|更高|更快|更慢|"
    r"更低|更靠前|靠前|高多少|低多少|快多少|慢多少|多多少|少多少|" + CITY + "比" + CITY
)
UNCHANGED_WORD = re.compile(r"不变|没有变化|没变|未变|无变化|保持不变|持平")
ROSE_WORD = re.compile(r"上升|提升|提高|进步|前进|上涨|升了|上移")
FELL_WORD = re.compile(r"下降|下滑|下跌|后退|退步|降了|下移")
CHANGED_WORD = re.compile(r"变化|变动|改变|升降")
LARGEST_WORD = re.compile(r"最多|最大(?!值)|最明显|最快|幅度最|最猛|最厉害")
# "哪几个" asks which, "这几座" points back: neither counts
COUNT_WORD = re.compile(
    r"(?<![哪这那])几个(?!百分点)|多少个(?!百分点)|多少座|(?<![哪这那])几座|多少家|数量|多少城市"
)
STAT_WORDS = (
    ("median", re.compile(r"中位数|中位值")),
    ("mean", re.compile(r"平均|均值")),
    ("sum", re.compile(r"合计|总和|之和|总计|加总|一共")),
    ("max", re.compile(r"最大值|最高值")),
    ("min", re.compile(r"最小值|最低值")),
)
TOP_WORD = re.compile(r"最快|最高|最靠前|第一名|首位|榜首|居首|头名|头把交椅|最好|最前|冠军|排名最高|最强")
BOTTOM_WORD = re.compile(r"最慢|最低|最靠后|末位|垫底|最后|最差|最末|最弱|倒数第一")
INDUSTRY_WORD = re.compile(r"行业|产业|top3|no\.?\d", re.IGNORECASE)
PROVINCE_WORD = re.compile(r"省份|哪个省|哪些省|省区|本省|各省|哪一省|省级|哪省|的省(?![会内])")
WH_CITY = re.compile(r"哪个城市|哪些城市|哪座城市|什么城市|哪一个城市|哪个市|哪两个城市|哪几个城市|哪一座")
LIST_WORD = re.compile(
    r"有哪些城市|包括哪些|包含哪些|哪些城市组成|有几个城市|有多少个城市|多少个城市|城市数量|城市名单|"
    r"由哪些|列出了哪些|都有哪些"
)
BOTH_WORD = re.compile(r"都|均|同时|双高|皆")
VALUE_WORD = re.compile(
    r"具体数值|具体是多少|具体为多少|具体多少|指数值|指数的?数值|指数是多少|指数为多少|数值是多少|数值为多少|"
    r"得分|指数多少|具体比重|具体占比"
)
PART_WORD = re.compile(r"占|比重|份额|规模|增加值|gdp", re.IGNORECASE)
EACH_WORD = re.compile(r"分别|各自|各是|各为")
REFERS_INDUSTRY = re.compile(r"这个行业|该行业|此行业|这一行业|这些行业|上述行业")
REFERS_BACK = re.compile(
    r"它|其|该城市|这个城市|这座城市|他们|这些城市|这几个城市|这几座城市|这两个城市|上述城市|^[这那]?(?:当中|里面|之中)"
)
PRONOUN = re.compile(
    r"^(那|那么|那末|还有|再问|另外)|它|其|该城市|这个城市|这座城市|他们|它们|这些城市|这几个|呢[?？]?$"
)
ABOVE = (
    re.compile(r"(超过|高于|大于|多于|高过|不低于|不少于|达到|超出|在)(\d+(?:\.\d+)?)%(以上)?"),
    re.compile(r"(\d+(?:\.\d+)?)%(以上|及以上)"),
)
BELOW = (
    re.compile(r"(低于|小于|少于|不足|不到|不超过|未超过|未达到|在)(\d+(?:\.\d+)?)%(以下)?"),
    re.compile(r"(\d+(?:\.\d+)?)%(以下|及以下)"),
)
ORDINAL = re.compile(r"(?<!倒数)第(\d+)(?!季)|no\.?(\d+)", re.IGNORECASE)
FROM_END = re.compile(r"倒数第(\d+)")
TOP_K = (
    re.compile(r"前(\d+)"),
    re.compile(r"top(\d+)", re.IGNORECASE),
    re.compile(r"(最快|最高|靠前|领先|排名前|增长最快|最靠前)的?(\d+)个"),
    re.compile(r"(\d+)个(增速)?(最快|最高)"),
)
BOTTOM_K = (
    re.compile(r"(?<![之以然最])后(\d+)"),
    re.compile(r"最后(\d+)(?=名|个|位|座)"),
    re.compile(r"倒数(\d+)个"),
    re.compile(r"末(\d+)"),
    re.compile(r"(最慢|最低|靠后|垫底|最靠后)的?(\d+)个"),
    re.compile(r"(\d+)个(增速)?(最慢|最低)"),
)
HOW_MANY_K = re.compile(r"哪(\d+)个")


@dataclass
class Frame:
    """What a question says, as slots; follow-up questions fill their gaps from the previous frame."""

    cities: list[str] = field(default_factory=list)
    clusters: list[str] = field(default_factory=list)
    provinces: list[str] = field(default_factory=list)
    industries: list[str] = field(default_factory=list)
    ambiguous: list[tuple[str, str]] = field(default_factory=list)  # (city, province) such as 北京市 / 北京
    unknown_clusters: list[str] = field(default_factory=list)
    unknown_cities: list[str] = field(default_factory=list)
    periods: list[str] = field(default_factory=list)
    other_periods: list[str] = field(default_factory=list)  # periods the city tables do not have
    growth: bool = False
    share: bool = False
    ordinal: int | None = None
    from_end: int | None = None
    top_k: int | None = None
    bottom_k: int | None = None
    superlative: str | None = None  # top / bottom
    direction: str | None = None
    largest: bool = False
    count: bool = False
    stat: str | None = None
    above: float | None = None
    below: float | None = None
    rank_word: bool = False
    member: bool = False
    ties: bool = False
    compare: bool = False
    industry_word: bool = False
    province_word: bool = False
    wh_city: bool = False
    list_cities: bool = False
    all_clusters: bool = False
    both: bool = False
    value_request: bool = False
    part_of: bool = False
    each: bool = False
    pronoun: bool = False
    refers_back: bool = False
    answer_cities: list[str] = field(default_factory=list)  # cities the answer to this question selected
    from_answer: bool = False  # `cities` are those an earlier clause's answer selected ("它们的平均增速")
    refers_industry: bool = False  # "这个行业": the industry an earlier clause answered
    answer_industries: list[str] = field(default_factory=list)  # industries the answer selected
    answer_provinces: list[str] = field(default_factory=list)  # the province the answer selected
    text: str = ""

    ENTITY_FIELDS = (
        "cities",
        "clusters",
        "provinces",
        "industries",
        "ambiguous",
        "unknown_clusters",
        "unknown_cities",
    )

    @property
    def has_entity(self) -> bool:
        return any(getattr(self, f) for f in self.ENTITY_FIELDS)

    @property
    def has_cue(self) -> bool:
        return any(
            (
                self.periods,
                self.growth,
                self.share,
                self.ordinal,
                self.from_end,
                self.top_k,
                self.bottom_k,
                self.superlative,
                self.direction,
                self.stat,
                self.above is not None,
                self.below is not None,
                self.rank_word,
                self.member,
                self.ties,
                self.compare,
                self.list_cities,
                self.value_request,
            )
        )

    @property
    def is_follow_up(self) -> bool:
        """Reads like a follow-up: a pronoun / 那… / …呢, or a very short question."""
        return self.pronoun or len(self.text) <= 6

    def merged_into(self, previous: Frame) -> Frame:
        """This follow-up frame completed from `previous`: the slots it sets win.

        Naming a city, cluster or province replaces the previous subject (of any of those kinds); naming an
        industry replaces only the industry. A pronoun without a name refers to the cities the previous answer
        selected (e.g. 它 after 增速最快的城市).
        """
        out = replace(
            previous,
            text=self.text,
            pronoun=self.pronoun,
            refers_back=self.refers_back,
            answer_cities=[],
            refers_industry=self.refers_industry,
            answer_industries=[],
            answer_provinces=[],
            from_answer=False,
        )
        subject = ("cities", "clusters", "provinces", "ambiguous", "unknown_clusters", "unknown_cities")
        if any(getattr(self, name) for name in subject):
            for name in subject:
                setattr(out, name, list(getattr(self, name)))
        if self.industries:
            out.industries = list(self.industries)
        selection = ("ordinal", "from_end", "top_k", "bottom_k", "superlative")
        if self.refers_back and not self.has_entity and previous.answer_cities:
            out.cities, out.clusters, out.ambiguous = list(previous.answer_cities), [], []
            for s in (
                *selection,
                "direction",
                "stat",
                "above",
                "below",
                "largest",
                "count",
                "ties",
                "list_cities",
            ):
                setattr(
                    out,
                    s,
                    None
                    if s
                    in (
                        "ordinal",
                        "from_end",
                        "top_k",
                        "bottom_k",
                        "superlative",
                        "direction",
                        "stat",
                        "above",
                        "below",
                    )
                    else False,
                )
        if any(getattr(self, s) for s in selection):
            for s in selection:
                setattr(out, s, getattr(self, s))
        if self.periods or self.growth:
            out.periods, out.growth = list(self.periods), self.growth
        if self.share != self.growth:  # "零售占比第二的省？增速呢": the measure this one names
            out.share, out.growth = self.share, self.growth
        for f in fields(self):
            if f.name in (
                *self.ENTITY_FIELDS,
                *selection,
                "periods",
                "growth",
                "text",
                "pronoun",
                "refers_back",
                "answer_cities",
                "refers_industry",
                "answer_industries",
                "answer_provinces",
            ):
                continue
            value = getattr(self, f.name)
            if value not in (None, False, [], ""):
                setattr(out, f.name, value)
        return out


def _entity_scan(text: str) -> tuple[str, dict[str, list], list[tuple[int, str, str]]]:
    """Find and mask names (longest first across kinds); returns (masked text, found, positions)."""
    vocab = known_names()
    kinds = (("cluster", CLUSTER), ("city", CITY), ("province", PROVINCE), ("industry", INDUSTRY))
    low = text.lower()
    spans: list[tuple[int, int, str, str]] = []
    candidates = []
    for kind, _ in kinds:
        for alias, canonical in vocab[kind].aliases.items():
            candidates.append((alias, kind, canonical))
    candidates.sort(key=lambda c: len(c[0]), reverse=True)
    taken = [False] * len(low)
    by_span: dict[tuple[int, int], list[tuple[str, str]]] = {}
    for alias, kind, canonical in candidates:
        if len(alias) < 2:
            continue
        start = low.find(alias)
        while start >= 0:
            end = start + len(alias)
            key = (start, end)
            if key in by_span:
                by_span[key].append((kind, canonical))
            elif not any(taken[start:end]):
                by_span[key] = [(kind, canonical)]
                for i in range(start, end):
                    taken[i] = True
            start = low.find(alias, end)
    for (start, end), hits in by_span.items():
        spans.append((start, end, hits[0][0], hits[0][1]))
        if len(hits) > 1:  # same text is a city and a province (北京, 重庆 ...)
            city = next((c for k, c in hits if k == "city"), None)
            prov = next((c for k, c in hits if k == "province"), None)
            if city and prov:
                spans[-1] = (start, end, "ambiguous", f"{city}|{prov}")
    spans.sort()
    found: dict[str, list] = {"city": [], "cluster": [], "province": [], "industry": [], "ambiguous": []}
    marks = {"city": CITY, "cluster": CLUSTER, "province": PROVINCE, "industry": INDUSTRY, "ambiguous": AMBIG}
    out, last, order = [], 0, []
    for start, end, kind, canonical in spans:
        value: object = tuple(canonical.split("|")) if kind == "ambiguous" else canonical
        if value not in found[kind]:
            found[kind].append(value)
        order.append((start, kind, canonical))
        out.append(text[last:start] + marks[kind])
        last = end
    return "".join(out) + text[last:], found, order


_UNK_CLUSTER = re.compile(r"([\u4e00-\u9fff]{2,8}?)(城市群)")
_UNK_CITY = re.compile(r"([\u4e00-\u9fff]{2,3})市")
_LEAD = re.compile(r"^(请问|问一下|我想知道|关于|对于|那么|那|在|和|与|及|的|里|中|省|市|区|县)+")
_NOT_NAME = re.compile(
    r"哪个|哪些|哪一个|哪一|什么|属于|位于|所在|所属|是|的|在|和|与|及|个|些|请问|关于|对于|有|为"
)
_ALL_CLUSTERS = re.compile(r"^([\d一二两三四五六七八九十]+大|各|所有|全部|这些|各大|七个)$")
_GENERIC = re.compile(
    r"^[\d一二两三四五六七八九十]+大$|^(这个|这些|那些|该|各|哪个|哪些|哪一个|其他|其余|所有|全部|主要|重点|大型|国家级|头部|领先|"
    r"东部|西部|中部|北部|南部|东北|西北|西南|东南|沿海|内陆|北方|南方|中西部|两大|三大|四大|五大|"
    r"十一大|几大|多个|各大)$"
)


def _unknown_clusters(text: str) -> tuple[str, list[str]]:
    """Mask `XX城市群` names the tables do not know (山东半岛城市群), so their parts are not read as names."""
    vocab = known_names()["cluster"]
    unknown: list[str] = []

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if any(vocab.get(name[i:]) for i in range(len(name) - 1)):
            return m.group(0)
        name = _LEAD.sub("", _NOT_NAME.split(name)[-1])
        if len(name) < 2 or _GENERIC.match(name):
            if _ALL_CLUSTERS.match(name or m.group(1)):
                return "全部城市群"
            return m.group(0)
        unknown.append(name + "城市群")
        return UNK_CLUSTER

    return _UNK_CLUSTER.sub(sub, text), unknown


def _unknown_cities(text: str) -> tuple[str, list[str]]:
    """Mask `XX市` names the tables do not know (拉萨市); generic words such as 一线城市 are left alone."""
    cities: list[str] = []

    def sub(m: re.Match[str]) -> str:
        name = _LEAD.sub("", m.group(1))
        if len(name) >= 2 and not name.endswith(
            ("城", "线", "个", "座", "些", "各", "本", "全", "该", "省", "超大")
        ):
            cities.append(name + "市")
            return UNK_CITY
        return m.group(0)

    return _UNK_CITY.sub(sub, text), cities


def _first_int(patterns: tuple[re.Pattern[str], ...], text: str) -> int | None:
    for pattern in patterns:
        m = pattern.search(text)
        if m:
            digits = next(g for g in m.groups() if g and g.isdigit())
            return int(digits)
    return None


def parse(question: str) -> Frame:
    """The frame of one question (no history)."""
    text = clean(question)
    text, period_pos, growth_phrase = _periods(text)
    others = other_periods(text)
    text, unk_clusters = _unknown_clusters(text)
    text, found, _ = _entity_scan(text)
    text, unk_cities = _unknown_cities(text)
    text = _numerals(text)
    low = text.lower()
    stat_text = re.sub(r"(两年)?同比增速(的)?均值|增速均值(?=[）)])", "增速", low)
    frame = Frame(
        cities=found["city"],
        clusters=found["cluster"],
        provinces=found["province"],
        industries=found["industry"],
        ambiguous=found["ambiguous"],
        unknown_clusters=unk_clusters,
        unknown_cities=unk_cities,
        periods=list(dict.fromkeys(p for _, p in period_pos)),
        other_periods=others,
        text=low,
    )
    frame.growth = growth_phrase or bool(GROWTH_WORD.search(low))
    frame.share = bool(SHARE_WORD.search(low))
    m = FROM_END.search(low)
    frame.from_end = int(m.group(1)) if m else None
    m = ORDINAL.search(low)
    frame.ordinal = int(m.group(1) or m.group(2)) if m else None
    frame.top_k = _first_int(TOP_K, low)
    frame.bottom_k = _first_int(BOTTOM_K, low)
    m = HOW_MANY_K.search(low)
    if m and frame.top_k is None and frame.bottom_k is None:
        frame.top_k = int(m.group(1))
    if frame.from_end == 1 or BOTTOM_WORD.search(low):
        frame.superlative = "bottom"
    elif TOP_WORD.search(low):
        frame.superlative = "top"
    if UNCHANGED_WORD.search(low):
        frame.direction = "unchanged"
    elif ROSE_WORD.search(low) and FELL_WORD.search(low):
        frame.direction = "changed"
    elif ROSE_WORD.search(low):
        frame.direction = "rose"
    elif FELL_WORD.search(low):
        frame.direction = "fell"
    elif CHANGED_WORD.search(low):
        frame.direction = "changed"
    frame.largest = bool(frame.direction and LARGEST_WORD.search(low))
    frame.count = bool(COUNT_WORD.search(low))
    frame.stat = next((name for name, pattern in STAT_WORDS if pattern.search(stat_text)), None)
    for pattern in ABOVE:
        m = pattern.search(low)
        if m and (m.group(1) != "在" or (m.lastindex or 0) >= 3 and m.group(3)):
            frame.above = float(next(g for g in m.groups() if g and g[0].isdigit()))
            break
    for pattern in BELOW:
        m = pattern.search(low)
        if m and (m.group(1) != "在" or (m.lastindex or 0) >= 3 and m.group(3)):
            frame.below = float(next(g for g in m.groups() if g and g[0].isdigit()))
            break
    frame.rank_word = bool(RANK_WORD.search(low))
    frame.member = bool(MEMBER_WORD.search(low))
    frame.ties = bool(TIE_WORD.search(low))
    frame.compare = bool(COMPARE_WORD.search(low))
    frame.industry_word = bool(INDUSTRY_WORD.search(low))
    frame.province_word = bool(PROVINCE_WORD.search(low))
    frame.wh_city = bool(WH_CITY.search(low))
    frame.list_cities = bool(LIST_WORD.search(low))
    frame.all_clusters = bool(re.search(r"全部城市群|(各|所有|全部|七大|七个|每个)城市群", low))
    frame.both = bool(BOTH_WORD.search(low))
    frame.value_request = bool(VALUE_WORD.search(low))
    frame.part_of = bool(PART_WORD.search(low))
    frame.each = bool(EACH_WORD.search(low))
    frame.pronoun = bool(PRONOUN.search(low))
    frame.refers_back = bool(REFERS_BACK.search(low))
    frame.refers_industry = bool(REFERS_INDUSTRY.search(low))
    return frame


def ranked_clusters() -> list[str]:
    """The clusters that have city rankings (7), in report order."""
    return list(dict.fromkeys(tables_readonly()["city_overview"]["cluster"]))


def cluster_of(city: str) -> str:
    ov = tables_readonly()["city_overview"]
    return str(ov.loc[ov["city"] == city, "cluster"].iloc[0])


# ---------------------------------------------------------------- calculations with numbers in the question


@dataclass
class CalcRequest:
    """A calculation asked with its numbers: which tool, its arguments, and the item asked about."""

    tool: str
    args: dict
    intent: str
    focus: str | None = None


_NUM = r"\d+(?:\.\d+)?"
_YEARS = re.compile(
    r"(19|20)\d\d(年(第?[一二三四1-4]季度|[一二三四]季|上半年|下半年|全年|底|末|初)?|q[1-4]|第?[一二三四1-4]季度)",
    re.IGNORECASE,
)
_NAME = r"[A-Za-z\u4e00-\u9fff]{1,6}?"


_NOT_VALUES = re.compile(
    r"(第|前|后|top|no\.?|倒数)\d+|\d+(个|名|位|座|强|大|家|项|倍|类|点)(?!专家)", re.IGNORECASE
)


# Months and days ("1-5月", "3月8日"): dates, not values.
DATES = re.compile(
    r"\d{1,2}\s*(?:[-—–~～至到]\s*\d{1,2}\s*)?月(?:\s*\d{1,2}\s*[日号])?|\d{1,2}\s*[日号](?![\d])"
)
# "25,000": a thousands separator (one comma, three digits after it), not a list.
THOUSANDS = re.compile(r"(?<![\d.,])(\d{1,3}),(\d{3})(?!\d)(?!,\d{3}(?!\d))")


def _calc_text(question: str) -> str:
    """The question with years, quarters, dates, ordinals and counts removed, leaving the values."""
    text = _numerals(_YEARS.sub("，", THOUSANDS.sub(r"\1\2", DATES.sub("，", clean(question)))))
    return text


def _values_text(text: str) -> str:
    return _NOT_VALUES.sub("，", text)


def _numbers(text: str, pattern: str = _NUM) -> list[float]:
    return [float(x) for x in re.findall(pattern, text)]


def _after(text: str, words: str) -> float | None:
    m = re.search(rf"(?:{words})[^\d，,。；;]{{0,8}}?({_NUM})", text)
    return float(m.group(1)) if m else None


def _expert_scores(text: str) -> dict[str, list[float]] | None:
    """Scores as indicator -> list (one per expert), from the three usual phrasings."""
    n_experts = re.search(r"(\d+)(?:位|名|个)专家", text)
    # 1) "对指标X都打2分" for each indicator (every expert gives the same score)
    uniform = re.findall(rf"(?:给|对)指标?({_NAME})(?:都|均|各|一律)打了?({_NUM})分", text)
    if uniform and n_experts:
        n = int(n_experts.group(1))
        return {name: [float(score)] * n for name, score in uniform}
    # 2) 指标A的得分分别为5、4、5 (per indicator)
    per_ind = re.findall(
        rf"指标({_NAME})的?(?:得分|评分|打分)(?:分别)?(?:为|是|:)((?:{_NUM}分?[、,，/]?)+)", text
    )
    if len(per_ind) >= 2:
        return {name: _numbers(scores) for name, scores in per_ind}
    # 3) "专家1为3、1，专家2为2、4" (per expert, in indicator order)
    per_exp = re.findall(
        rf"专家({_NUM}|[A-Za-z甲乙丙丁戊己])?(?:的评分|打分|给出|评分|的打分)?(?:分别)?(?:为|是|:|给出)"
        rf"((?:{_NUM}分?[、,，/]?)+)",
        text,
    )
    if len(per_exp) >= 2:
        rows = [_numbers(scores) for _, scores in per_exp]
        width = len(rows[0])
        names = _indicator_names(text, width)
        if all(len(r) == width for r in rows) and names:
            return {name: [r[j] for r in rows] for j, name in enumerate(names)}
    return None


def _indicator_names(text: str, width: int) -> list[str] | None:
    m = re.search(r"(\d+)个指标", text)
    if m:
        head = re.split(r"[，,。：:对给为]", text[: m.start()])[-1]
        names = [n for n in re.split(r"[、和及与]", head) if n]
        if len(names) == width:
            return names
    return [f"指标{j + 1}" for j in range(width)]


def parse_calc(question: str) -> CalcRequest | None:
    """A calculation whose inputs are all in the question (weights, normalising, growth, share), else None."""
    text = _calc_text(question)
    low = _values_text(text).lower()
    numbers = _numbers(low)
    if not numbers:
        return None
    if re.search(r"权重|赋权", low) and re.search(r"专家|打分|评分|得分", low):
        scores = _expert_scores(text)
        if not scores:
            return None
        focus = re.search(rf"(?:指标)?({_NAME})的权重", text)
        name = focus.group(1) if focus and focus.group(1) in scores else None
        return CalcRequest("calc_expert_weights", {"scores": scores}, "calc_weights", name)
    if re.search(r"去量纲|标准化|归一化", low) and len(numbers) >= 2:
        total = _after(low, "加总|合计|总数|总和|总量|全国")
        values = [x for x in numbers if x != total]
        if total is None or not values:
            return None
        return CalcRequest(
            "calc_normalise", {"values": {"该城市": values[0]}, "base_total": total}, "calc_normalise"
        )
    rates = _numbers(low, rf"({_NUM})%")
    plain = [float(x) for x in re.findall(rf"({_NUM})(?![\d.]*%)", low)]
    if re.search(r"同比|环比|增速|增长|增幅|降幅|涨幅|跌幅|变化", low):
        if len(rates) >= 2 and not plain and re.search(r"口径|均值|平均|两年|综合", low):
            return CalcRequest("calc_mean_growth", {"rates": rates}, "calc_growth")
        if rates:
            return None
        if len(plain) == 3 and re.search(r"分别|依次|、", low):
            first, second, third = plain
            return CalcRequest(
                "calc_two_year_growth", {"first": first, "second": second, "third": third}, "calc_growth"
            )
        if len(plain) == 2:
            m = re.search(
                rf"(?:从|由)[^\d]{{0,8}}?({_NUM})[^\d]{{0,12}}?(?:降|减|跌|下降|增|升|涨|增长|提高|上升|到|至)[^\d]{{0,6}}?({_NUM})",
                low,
            )
            if m and re.search(r"降幅|增幅|涨幅|跌幅|变化|变动|多少[%％]|百分之", low):
                return CalcRequest(
                    "calc_change", {"start": float(m.group(1)), "end": float(m.group(2))}, "calc_change"
                )
            previous = _after(
                low, "基期|上期|去年同期|上年同期|上年|去年|上季度|上一季度|前一季度|原来|之前|前一年"
            )
            current = _after(low, "本期|当期|今年|本季度|这一季度|现在|目前|报告期|后一年")
            if previous is None or current is None:
                previous, current = plain
            kind = "qoq" if "环比" in low else "yoy"
            if m:
                previous, current = float(m.group(1)), float(m.group(2))
            return CalcRequest(
                "calc_growth", {"current": current, "previous": previous, "kind": kind}, "calc_growth"
            )
        return None
    if re.search(r"占比|比重|占.{0,6}(多少|几成|百分之)", low) and len(plain) == 2 and not rates:
        total = _after(low, "整体|总|合计|全部|地区|全省|全市")
        if total is None:
            return None
        part = next(x for x in plain if x != total) if any(x != total for x in plain) else None
        if part is None:
            return None
        return CalcRequest(
            "calc_industry_share", {"industry_value": part, "region_total": total}, "calc_share"
        )
    return None
