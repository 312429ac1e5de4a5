"""Names of clusters, cities, provinces and industries: normalisation, aliases and lookup with suggestions."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from tools.errors import ToolError
from tools.t2s_data import T2S

# The 31 provincial-level regions of mainland China (the report excludes 港澳台), as full official names.
PROVINCES: tuple[str, ...] = (
    "北京市",
    "天津市",
    "上海市",
    "重庆市",
    "河北省",
    "山西省",
    "辽宁省",
    "吉林省",
    "黑龙江省",
    "江苏省",
    "浙江省",
    "安徽省",
    "福建省",
    "江西省",
    "山东省",
    "河南省",
    "湖北省",
    "湖南省",
    "广东省",
    "海南省",
    "四川省",
    "贵州省",
    "云南省",
    "陕西省",
    "甘肃省",
    "青海省",
    "内蒙古自治区",
    "广西壮族自治区",
    "西藏自治区",
    "宁夏回族自治区",
    "新疆维吾尔自治区",
)
_PROVINCE_SUFFIXES = ("壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "省", "市")
# Informal short names used in prose (the report itself writes 内蒙 once).
_PROVINCE_EXTRA = {"内蒙古": ("内蒙",)}

# Industries: canonical short name (as in the report's section headings) -> other spellings.
INDUSTRY_ALIASES: dict[str, tuple[str, ...]] = {
    "工业": ("智慧工业", "工业数字化"),
    "文体娱": (
        "文化体育娱乐",
        "文化、体育和娱乐业",
        "文化体育和娱乐业",
        "文化、体育、娱乐",
        "文体娱乐",
        "文娱",
    ),
    "电商": ("电子商务",),
    "行业工具": ("企业服务",),
    "金融": ("智慧金融", "金融业"),
    "零售": ("智慧零售", "零售业"),
    "医疗": ("智慧医疗", "医疗健康"),
    "生活互联": (),
    "房地产": ("房地产业",),
    "交通": ("智慧交通", "交通运输"),
    "游戏": (),
    "政务": ("智慧政务",),
}
# The seven industries with province share / growth rankings in the report, in report order.
RANKED_INDUSTRIES: tuple[str, ...] = ("工业", "文体娱", "电商", "行业工具", "金融", "零售", "医疗")

_CLUSTER_SUFFIXES = ("城市群", "城市", "地区", "区域")
_SPACE = re.compile(r"\s+")


def to_simplified(text: str) -> str:
    """Traditional characters -> simplified, for the characters the report's names and questions use."""
    return "".join(T2S.get(c, c) for c in text)


def normalize(text: str) -> str:
    """NFKC (full-width -> half-width), traditional -> simplified, no white space, lower case."""
    text = unicodedata.normalize("NFKC", text or "")
    return _SPACE.sub("", to_simplified(text)).lower()


def province_short(full: str) -> str:
    """广西壮族自治区 -> 广西, 广东省 -> 广东, 北京市 -> 北京."""
    for suffix in _PROVINCE_SUFFIXES:
        if full.endswith(suffix) and len(full) > len(suffix) + 1:
            return full[: -len(suffix)]
    return full


def cluster_short(name: str) -> str:
    """京津冀城市群 -> 京津冀, 长江中游城市 -> 长江中游."""
    for suffix in _CLUSTER_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def cluster_canonical(name: str) -> str:
    """Canonical cluster name: short name + 城市群 (长江中游城市 -> 长江中游城市群)."""
    return cluster_short(normalize(name)) + "城市群"


def city_short(name: str) -> str:
    """深圳市 -> 深圳 (names of two characters keep their 市 only when nothing is left otherwise)."""
    return name[:-1] if name.endswith("市") and len(name) > 2 else name


@dataclass
class Vocabulary:
    """A set of canonical names of one kind with their aliases; lookup is by normalised text."""

    kind: str  # Chinese noun used in messages, e.g. 城市, 省份, 城市群, 行业
    canonical: list[str] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)  # normalised alias -> canonical

    def add(self, canonical: str, *aliases: str) -> None:
        if canonical not in self.canonical:
            self.canonical.append(canonical)
        for alias in (canonical, *aliases):
            key = normalize(alias)
            if key:
                self.aliases.setdefault(key, canonical)

    def get(self, name: str) -> str | None:
        """The canonical name for `name`, or None."""
        return self.aliases.get(normalize(name))

    def resolve(self, name: str, allowed: Iterable[str] | None = None) -> str:
        """The canonical name for `name`; raises ToolError naming the closest known names."""
        allowed_set = set(allowed) if allowed is not None else None
        found = self.get(name)
        if found is not None and (allowed_set is None or found in allowed_set):
            return found
        pool = [c for c in self.canonical if allowed_set is None or c in allowed_set]
        hint = self.suggest(name, pool)
        if found is not None:  # known, but not where it was asked for
            raise ToolError(f"{self.kind}“{name}”不在此范围内，可选：{'、'.join(pool)}。")
        raise ToolError(f"未找到{self.kind}“{name}”。{hint}")

    def suggest(self, name: str, pool: list[str] | None = None, n: int = 5) -> str:
        pool = pool if pool is not None else self.canonical
        key = normalize(name)
        keys = {normalize(c): c for c in pool}
        close = difflib.get_close_matches(key, list(keys), n=n, cutoff=0.3)
        if not close:
            close = [k for k in keys if set(k) & set(key)][:n]
        if close:
            return f"最接近的{self.kind}：{'、'.join(keys[c] for c in close)}。"
        shown = "、".join(pool[:12]) + ("等" if len(pool) > 12 else "")
        return f"已知的{self.kind}：{shown}。"

    def scan(self, text: str) -> list[tuple[int, int, str]]:
        """All non-overlapping mentions in normalised `text`, longest match first: (start, end, canonical)."""
        keys = sorted(self.aliases, key=len, reverse=True)
        taken = [False] * len(text)
        found: list[tuple[int, int, str]] = []
        for key in keys:
            start = text.find(key)
            while start >= 0:
                end = start + len(key)
                if not any(taken[start:end]):
                    found.append((start, end, self.aliases[key]))
                    for i in range(start, end):
                        taken[i] = True
                start = text.find(key, end)
        return sorted(found)


def province_vocabulary() -> Vocabulary:
    vocab = Vocabulary("省份")
    for full in PROVINCES:
        short = province_short(full)
        vocab.add(short, full, *_PROVINCE_EXTRA.get(short, ()))
    return vocab


def industry_vocabulary() -> Vocabulary:
    vocab = Vocabulary("行业")
    for canonical, aliases in INDUSTRY_ALIASES.items():
        vocab.add(canonical, *aliases)
    return vocab


def cluster_vocabulary(names: Iterable[str]) -> Vocabulary:
    """Clusters as named in the report's tables: with or without 城市群 (长江中游城市 / 长江中游城市群)."""
    vocab = Vocabulary("城市群")
    for name in names:
        canonical = cluster_canonical(name)
        short = cluster_short(canonical)
        vocab.add(canonical, name, short, short + "城市", short + "地区")
    return vocab


def city_vocabulary(names: Iterable[str]) -> Vocabulary:
    """Cities with or without 市."""
    vocab = Vocabulary("城市")
    for name in names:
        vocab.add(name, city_short(name))
    return vocab
