"""Ranking queries over the city tables (plain typed functions returning ToolResult), and their shared
helpers."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from typing import Any, Literal

import pandas as pd

from tools.errors import ToolError
from tools.names import RANKED_INDUSTRIES, Vocabulary
from tools.result import ToolResult, fmt_number, fmt_percent
from tools.tables import GROWTH_NOTE, known_names, table_title, tables_readonly

Measure = Literal["2021", "2022Q1", "growth"]
ProvinceMeasure = Literal["share", "growth"]
Order = Literal["top", "bottom"]
Direction = Literal["rose", "fell", "changed", "unchanged"]
Stat = Literal["mean", "median", "sum", "count", "max", "min"]
AggValue = Literal["growth", "rank_change"]

MEASURES: tuple[str, ...] = ("2021", "2022Q1", "growth")
DIRECTIONS: tuple[str, ...] = ("rose", "fell", "changed", "unchanged")
PROVINCE_MEASURES: tuple[str, ...] = ("share", "growth")
STAT_NAMES = {
    "mean": "平均值",
    "median": "中位数",
    "sum": "合计",
    "count": "个数",
    "max": "最大值",
    "min": "最小值",
}
_RANK_COL = {"2021": "rank_2021", "2022Q1": "rank_2022Q1", "growth": "growth_rank"}
_LINE_COL = {"2021": "line_2021", "2022Q1": "line_2022Q1", "growth": "line_growth"}
_TABLE = {"2021": "city_rank_2021", "2022Q1": "city_rank_2022Q1", "growth": "city_growth"}
GROWTH_LABEL = f"同比增速（{GROWTH_NOTE}）"
INCONSISTENT_NOTE = "注意：原表{clusters}2022Q1排名的“排名变化”列与两期名次不一致，此处按原表“排名变化”列给出"


# ---------------------------------------------------------------- helpers


def _choice(value: str, allowed: Iterable[str], what: str) -> str:
    allowed = tuple(allowed)
    if value not in allowed:
        raise ToolError(f"{what}“{value}”无效，可选：{'、'.join(allowed)}。")
    return value


def _int_in(value: Any, low: int, high: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ToolError(f"{what}应为整数，收到“{value}”。")
    if not low <= value <= high:
        raise ToolError(f"{what}应在 {low} 到 {high} 之间，收到 {value}。")
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of Python values (column-wise; much faster than iterrows / to_dict here)."""
    cols = list(frame.columns)
    return [
        dict(zip(cols, values, strict=True))
        for values in zip(*(frame[c].tolist() for c in cols), strict=True)
    ]


def _vocab(kind: str) -> Vocabulary:
    return known_names()[kind]


def _cluster(name: str, with_cities: bool = True) -> str:
    vocab = _vocab("cluster")
    if with_cities:
        ranked = set(tables_readonly()["city_overview"]["cluster"])
        return vocab.resolve(name, allowed=[c for c in vocab.canonical if c in ranked])
    return vocab.resolve(name)


def _city(name: str) -> str:
    return _vocab("city").resolve(name)


def _industry(name: str, ranked_only: bool = True) -> str:
    vocab = _vocab("industry")
    return vocab.resolve(name, allowed=RANKED_INDUSTRIES if ranked_only else None)


def _overview(cluster: str | None = None) -> pd.DataFrame:
    ov = tables_readonly()["city_overview"]
    return ov[ov["cluster"] == cluster] if cluster else ov


def _period(measure: str) -> str:
    return {"2021": "2021年", "2022Q1": "2022Q1", "growth": "增速"}[measure]


def num(value: float) -> str:
    """127.0 -> '127.0'; 125.36 -> '125.36'; 125.3 -> '125.3' (one or two decimals, like the report)."""
    text = f"{value:.2f}"
    return text.removesuffix("0")


def pct(value: float) -> str:
    """145.2 -> '145.2%'; 127 -> '127.0%'; 125.36 -> '125.36%'."""
    return num(value) + "%"


def change_text(change: int) -> str:
    if change > 0:
        return f"上升{change}位"
    if change < 0:
        return f"下降{-change}位"
    return "排名不变"


def _city_row(r: Any, measure: str | None = None) -> dict[str, Any]:
    row = {
        "cluster": r["cluster"],
        "city": r["city"],
        "rank_2021": int(r["rank_2021"]),
        "rank_2022Q1": int(r["rank_2022Q1"]),
        "rank_change": int(r["rank_change"]),
        "growth_rank": int(r["growth_rank"]),
        "growth": float(r["growth"]),
    }
    if measure:
        row["rank"] = int(r[_RANK_COL[measure]])
        row["line"] = int(r[_LINE_COL[measure]])
    return row


def _prov_city(r: Any, measures: Iterable[str]) -> list[dict[str, Any]]:
    out = []
    for m in measures:
        line = int(r[_LINE_COL[m]])
        out.append({"file": r["file"], "line": line, "table": table_title(line) or _TABLE[m]})
    return out


def _note_inconsistent(text: str, frame: pd.DataFrame) -> str:
    """Add a caveat when a row's printed 排名变化 disagrees with its two ranks (the report's 成渝 table)."""
    if "change_consistent" not in frame or bool(frame["change_consistent"].all()):
        return text
    clusters = "、".join(dict.fromkeys(frame.loc[~frame["change_consistent"].astype(bool), "cluster"]))
    note = INCONSISTENT_NOTE.format(clusters=clusters)
    return f"{text[:-1]}（{note}）。" if text.endswith("。") else f"{text}（{note}）"


def _result(
    rows: list[dict],
    text: str,
    provenance: list[dict],
    columns: list[str],
    chart: dict[str, str] | None = None,
) -> ToolResult:
    seen: set[tuple] = set()
    prov = []
    for p in provenance:
        key = (p["file"], p["line"])
        if key not in seen:
            seen.add(key)
            prov.append(p)
    return ToolResult(rows=rows, text=text, provenance=prov, columns=columns, chart=chart)


def _one_city(city: str) -> pd.Series:
    ov = _overview()
    hit = ov[ov["city"] == city]
    if hit.empty:  # pragma: no cover - vocab comes from the same table
        raise ToolError(f"未找到城市“{city}”。")
    return hit.iloc[0]


def _describe(r: pd.Series, measure: str, n: int) -> str:
    if measure == "growth":
        return (
            f"{r['city']}增速在{r['cluster']}{n}个城市中排名第{int(r['growth_rank'])}，"
            f"同比增速{pct(r['growth'])}（{GROWTH_NOTE}）"
        )
    text = f"{r['city']}在{r['cluster']}{_period(measure)}排名第{int(r[_RANK_COL[measure]])}（共{n}个城市）"
    if measure == "2022Q1":
        text += f"，较2021年{change_text(int(r['rank_change']))}"
    return text


# ---------------------------------------------------------------- cities


def city_rank(city: str, measure: Measure = "2022Q1") -> ToolResult:
    """Rank of one city within its city cluster, for 2021, 2022Q1 (with 排名变化) or growth.

    Args:
        city: City name, with or without 市, e.g. 东莞 or 东莞市.
        measure: "2021" (2021 rank), "2022Q1" (2022Q1 rank and change vs 2021) or "growth"
            (growth rank and value; growth is the 2021Q1&2022Q1 two-year mean of YoY growth).
    """
    _choice(measure, MEASURES, "排名口径")
    r = _one_city(_city(city))
    n = len(_overview(r["cluster"]))
    text = _describe(r, measure, n) + "。"
    if measure == "2022Q1":
        text = _note_inconsistent(text, pd.DataFrame([r]))
    cols = (
        ["cluster", "city", "rank"]
        + (["rank_change"] if measure == "2022Q1" else [])
        + (["growth"] if measure == "growth" else [])
    )
    return _result([_city_row(r, measure)], text, _prov_city(r, [measure]), cols)


def city_profile(city: str) -> ToolResult:
    """All rankings of one city: 2021 rank, 2022Q1 rank and change, growth rank and growth value.

    Args:
        city: City name, with or without 市.
    """
    r = _one_city(_city(city))
    n = len(_overview(r["cluster"]))
    text = (
        f"{r['city']}（{r['cluster']}，共{n}个城市）：2021年排名第{int(r['rank_2021'])}，"
        f"2022Q1排名第{int(r['rank_2022Q1'])}（{change_text(int(r['rank_change']))}），"
        f"增速排名第{int(r['growth_rank'])}，同比增速{pct(r['growth'])}（{GROWTH_NOTE}）。"
    )
    text = _note_inconsistent(text, pd.DataFrame([r]))
    return _result(
        [_city_row(r)],
        text,
        _prov_city(r, MEASURES),
        ["cluster", "city", "rank_2021", "rank_2022Q1", "rank_change", "growth_rank", "growth"],
    )


def city_at_rank(cluster: str, rank: int, measure: Measure = "2022Q1") -> ToolResult:
    """The city at a given rank within a city cluster.

    Args:
        cluster: City cluster, e.g. 成渝 or 成渝城市群 (one of the seven with city rankings).
        rank: Rank position, 1 = first.
        measure: "2021", "2022Q1" or "growth" (growth rank; two-year mean of YoY growth).
    """
    _choice(measure, MEASURES, "排名口径")
    name = _cluster(cluster)
    ov = _overview(name)
    _int_in(rank, 1, len(ov), f"{name}的名次")
    r = ov[ov[_RANK_COL[measure]] == rank].iloc[0]
    if measure == "growth":
        text = f"{name}增速排名第{rank}的城市是{r['city']}，同比增速{pct(r['growth'])}（{GROWTH_NOTE}）。"
    else:
        text = f"{name}{_period(measure)}排名第{rank}的城市是{r['city']}。"
        if measure == "2022Q1":
            text = text[:-1] + f"（较2021年{change_text(int(r['rank_change']))}）。"
    cols = (
        ["cluster", "rank", "city"]
        + (["growth"] if measure == "growth" else [])
        + (["rank_change"] if measure == "2022Q1" else [])
    )
    return _result([_city_row(r, measure)], text, _prov_city(r, [measure]), cols)


def top_cities(cluster: str, measure: Measure = "2022Q1", k: int = 3, order: Order = "top") -> ToolResult:
    """The first (or last) k cities of a city cluster by 2021 rank, 2022Q1 rank or growth.

    Args:
        cluster: City cluster, e.g. 长三角.
        measure: "2021", "2022Q1" or "growth" (growth = two-year mean of YoY growth; top = fastest).
        k: How many cities (1 to the cluster size).
        order: "top" for the best ranks / fastest growth, "bottom" for the last ranks / slowest growth.
    """
    _choice(measure, MEASURES, "排名口径")
    _choice(order, ("top", "bottom"), "顺序")
    name = _cluster(cluster)
    ov = _overview(name).sort_values(_RANK_COL[measure], ascending=(order == "top"))
    _int_in(k, 1, len(ov), "k")
    sel = ov.head(k)
    rows = [_city_row(r, measure) for r in _records(sel)]
    where = "前" if order == "top" else "后"
    if measure == "growth":
        items = "、".join(f"{r['city']}（{pct(r['growth'])}）" for r in _records(sel))
        text = f"{name}增速{where}{k}名：{items}（{GROWTH_NOTE}）。"
        chart = {"label": "city", "value": "growth"}
        cols = ["rank", "city", "growth"]
    else:
        items = "、".join(f"第{int(r[_RANK_COL[measure]])}{r['city']}" for r in _records(sel))
        text = f"{name}{_period(measure)}排名{where}{k}的城市：{items}。"
        chart = None
        cols = ["rank", "city"] + (["rank_change"] if measure == "2022Q1" else [])
    prov = [p for r in _records(sel) for p in _prov_city(r, [measure])]
    return _result(rows, text, prov, cols, chart)


def rank_movers(
    cluster: str | None = None,
    direction: Direction = "rose",
    k: int | None = None,
    largest_only: bool = False,
) -> ToolResult:
    """Cities whose 2022Q1 rank rose, fell, changed or stayed the same versus 2021 (the 排名变化 column).

    Args:
        cluster: City cluster; omit for all seven clusters.
        direction: "rose" (rank improved), "fell" (rank dropped), "changed" (either) or "unchanged".
        k: Keep only the k largest moves; omit for all.
        largest_only: Keep only the largest move, with every city tied at it (e.g. 上升最多的城市).
    """
    _choice(direction, DIRECTIONS, "变化方向")
    name = _cluster(cluster) if cluster else None
    ov = _overview(name)
    chg = ov["rank_change"]
    picked = {"rose": chg > 0, "fell": chg < 0, "changed": chg != 0, "unchanged": chg == 0}[direction]
    sel = (
        ov[picked]
        .assign(_abs=chg[picked].abs())
        .sort_values(["_abs", "rank_2022Q1"], ascending=[False, True])
    )
    if direction == "unchanged":
        sel = sel.sort_values(
            ["cluster", "rank_2022Q1"],
            key=lambda s: (
                s if s.name != "cluster" else s.map({c: i for i, c in enumerate(ov["cluster"].unique())})
            ),
        )
    if largest_only and not sel.empty and direction != "unchanged":
        sel = sel[sel["_abs"] == sel["_abs"].max()]
    if k is not None:
        _int_in(k, 1, 200, "k")
        sel = sel.head(k)
    scope = name or "七大城市群"
    word = {"rose": "上升", "fell": "下降", "changed": "发生变化", "unchanged": "不变"}[direction]
    if sel.empty:
        text = f"{scope}没有城市2022Q1排名较2021年{word}"
        if bool((ov["rank_change"] == 0).all()):
            text += f"：全部{len(ov)}个城市的排名变化均为0，与2021年相比排名都没有变化"
        text += "。"
    elif direction == "unchanged":
        text = f"{scope}2022Q1排名与2021年相同的城市共{len(sel)}个：{'、'.join(sel['city'])}。"
    else:
        items = "、".join(
            f"{r['city']}（{'' if name else r['cluster'] + '，'}"  # across clusters: ranks are within one
            f"第{int(r['rank_2021'])}→第{int(r['rank_2022Q1'])}，{change_text(int(r['rank_change']))}）"
            for r in _records(sel)
        )
        most = {"rose": "上升最多", "fell": "下降最多", "changed": "变化最大"}[direction]
        lead = (
            f"2022Q1排名较2021年{most}的城市"
            if largest_only
            else f"2022Q1排名较2021年{word}的城市共{len(sel)}个"
        )
        text = f"{scope}{lead}：{items}。"
    text = _note_inconsistent(text, sel)
    rows = [_city_row(r, "2022Q1") for r in _records(sel)]
    prov = [p for r in _records(sel) for p in _prov_city(r, ["2021", "2022Q1"])]
    cols = (["cluster"] if name is None else []) + ["city", "rank_2021", "rank_2022Q1", "rank_change"]
    chart = {"label": "city", "value": "rank_change"} if direction != "unchanged" and len(sel) > 1 else None
    return _result(rows, text, prov, cols, chart)


def tied_cities(cluster: str | None = None) -> ToolResult:
    """Cities that share the same growth value (并列) within a city cluster.

    Args:
        cluster: City cluster; omit for all seven clusters.
    """
    name = _cluster(cluster) if cluster else None
    ov = _overview(name)
    dup = ov[ov.duplicated(["cluster", "growth"], keep=False)].sort_values(["cluster", "growth_rank"])
    scope = name or "七大城市群"
    if dup.empty:
        text = f"{scope}没有同比增速并列的城市（{GROWTH_NOTE}）。"
    else:
        groups = [
            f"{'、'.join(g['city'])}（均为{pct(v)}，增速排名第{int(g['growth_rank'].min())}、"
            f"第{int(g['growth_rank'].max())}）"
            for (_, v), g in dup.groupby(["cluster", "growth"], sort=False)
        ]
        text = f"{scope}同比增速并列的城市：{'；'.join(groups)}（{GROWTH_NOTE}）。"
    rows = [_city_row(r, "growth") for r in _records(dup)]
    prov = [p for r in _records(dup) for p in _prov_city(r, ["growth"])]
    return _result(rows, text, prov, (["cluster"] if name is None else []) + ["rank", "city", "growth"])


def compare_cities(city_a: str, city_b: str, measure: Measure = "2022Q1") -> ToolResult:
    """Compare two cities on one measure (rows carry all their rankings).

    Args:
        city_a: First city.
        city_b: Second city.
        measure: "2021", "2022Q1" or "growth" (two-year mean of YoY growth).
    """
    _choice(measure, MEASURES, "排名口径")
    ra, rb = _one_city(_city(city_a)), _one_city(_city(city_b))
    if ra["city"] == rb["city"]:
        raise ToolError(f"两个城市相同（{ra['city']}），请给出两个不同的城市。")
    same = ra["cluster"] == rb["cluster"]
    if measure == "growth":
        diff = float(ra["growth"]) - float(rb["growth"])
        lead = ra if diff >= 0 else rb
        text = (
            f"同比增速（{GROWTH_NOTE}）：{ra['city']}{pct(ra['growth'])}，{rb['city']}{pct(rb['growth'])}，"
            f"{lead['city']}高{fmt_number(abs(diff))}个百分点"
        )
        if abs(diff) < 1e-9:
            text = f"同比增速（{GROWTH_NOTE}）：{ra['city']}与{rb['city']}均为{pct(ra['growth'])}"
    else:
        col = _RANK_COL[measure]
        a, b = int(ra[col]), int(rb[col])
        text = f"{_period(measure)}排名：{ra['city']}第{a}，{rb['city']}第{b}"
        if same:
            text += f"（同属{ra['cluster']}），{(ra if a < b else rb)['city']}靠前{abs(a - b)}位"
        else:
            text += f"（分属{ra['cluster']}与{rb['cluster']}，均为所在城市群内的名次，不宜直接比较）"
    text += "。"
    if measure == "2022Q1":
        text = _note_inconsistent(text, pd.DataFrame([ra, rb]))
    rows = [_city_row(ra, measure), _city_row(rb, measure)]
    prov = _prov_city(ra, [measure]) + _prov_city(rb, [measure])
    cols = (
        ["city", "cluster", "rank"]
        + (["growth"] if measure == "growth" else [])
        + (["rank_change"] if measure == "2022Q1" else [])
    )
    return _result(
        rows, text, prov, cols, {"label": "city", "value": "growth"} if measure == "growth" else None
    )


def filter_cities(
    cluster: str | None = None,
    growth_above: float | None = None,
    growth_below: float | None = None,
    change: Direction | None = None,
    rank_at_most: int | None = None,
    rank_measure: Measure = "2022Q1",
) -> ToolResult:
    """Cities matching all given conditions (growth thresholds in percent, rank change, rank cut-off).

    Args:
        cluster: City cluster; omit for all seven clusters.
        growth_above: Keep cities whose growth (two-year mean of YoY growth, in %) is strictly above
            this, e.g. 150.
        growth_below: Keep cities whose growth (in %) is strictly below this.
        change: "rose", "fell", "changed" or "unchanged": 2022Q1 rank versus 2021.
        rank_at_most: Keep cities ranked at or better than this (by rank_measure), e.g. 10 for the top 10.
        rank_measure: Measure used by rank_at_most: "2021", "2022Q1" or "growth".
    """
    _choice(rank_measure, MEASURES, "排名口径")
    if change is not None:
        _choice(change, DIRECTIONS, "变化方向")
    if all(v is None for v in (growth_above, growth_below, change, rank_at_most)):
        raise ToolError("请至少给出一个筛选条件：growth_above、growth_below、change 或 rank_at_most。")
    name = _cluster(cluster) if cluster else None
    sel = _overview(name)
    conds = []
    if growth_above is not None:
        sel = sel[sel["growth"] > float(growth_above)]
        conds.append(f"增速高于{fmt_number(float(growth_above))}%")
    if growth_below is not None:
        sel = sel[sel["growth"] < float(growth_below)]
        conds.append(f"增速低于{fmt_number(float(growth_below))}%")
    if change is not None:
        op = {
            "rose": sel["rank_change"] > 0,
            "fell": sel["rank_change"] < 0,
            "changed": sel["rank_change"] != 0,
            "unchanged": sel["rank_change"] == 0,
        }
        sel = sel[op[change]]
        conds.append(
            {
                "rose": "2022Q1排名较2021年上升",
                "fell": "2022Q1排名较2021年下降",
                "changed": "2022Q1排名较2021年有变化",
                "unchanged": "2022Q1排名与2021年相同",
            }[change]
        )
    if rank_at_most is not None:
        _int_in(rank_at_most, 1, 200, "rank_at_most")
        sel = sel[sel[_RANK_COL[rank_measure]] <= rank_at_most]
        conds.append(f"{_period(rank_measure)}排名前{rank_at_most}")
    sel = (
        sel.sort_values(["cluster", "growth"], ascending=[True, False])
        if name is None
        else sel.sort_values("growth", ascending=False)
    )
    scope = name or "七大城市群"
    uses_growth = growth_above is not None or growth_below is not None or rank_measure == "growth"
    listing = "、".join(
        f"{r['city']}（{pct(r['growth'])}）" if uses_growth else r["city"] for r in _records(sel)
    )
    text = f"{scope}中{'且'.join(conds)}的城市共{len(sel)}个" + (f"：{listing}" if len(sel) else "")
    if uses_growth:
        text += f"（增速为{GROWTH_NOTE}）"
    text += "。"
    if change is not None:
        text = _note_inconsistent(text, sel)
    measures = ["growth"] if uses_growth else []
    if change is not None:
        measures += ["2021", "2022Q1"]
    if rank_at_most is not None and rank_measure not in measures:
        measures.append(rank_measure)
    rows = [_city_row(r) for r in _records(sel)]
    prov = [p for r in _records(sel) for p in _prov_city(r, measures)]
    cols = (["cluster"] if name is None else []) + [
        "city",
        "rank_2021",
        "rank_2022Q1",
        "rank_change",
        "growth_rank",
        "growth",
    ]
    return _result(
        rows, text, prov, cols, {"label": "city", "value": "growth"} if uses_growth and len(sel) > 1 else None
    )


def aggregate_cities(
    cluster: str,
    stat: Stat = "mean",
    value: AggValue = "growth",
    top_k: int | None = None,
    bottom_k: int | None = None,
    by: Measure = "growth",
    cities: list[str] | None = None,
) -> ToolResult:
    """A statistic (mean, median, sum, count, max, min) of growth or rank change over a selection of cities.

    Args:
        cluster: City cluster the cities belong to, e.g. 关中平原.
        stat: "mean", "median", "sum", "count", "max" or "min".
        value: "growth" (two-year mean of YoY growth, %) or "rank_change" (2022Q1 vs 2021).
        top_k: Use the first k cities by `by` (e.g. 5 for 增速前五); omit for all cities.
        bottom_k: Use the last k cities by `by`; omit for all cities.
        by: Ranking that top_k / bottom_k refer to: "2021", "2022Q1" or "growth".
        cities: Use exactly these cities instead (names with or without 市).
    """
    _choice(stat, tuple(STAT_NAMES), "统计量")
    _choice(value, ("growth", "rank_change"), "统计的数值")
    _choice(by, MEASURES, "排名口径")
    name = _cluster(cluster)
    ov = _overview(name).sort_values(_RANK_COL[by])
    if sum(x is not None and x != [] for x in (top_k, bottom_k, cities)) > 1:
        raise ToolError("top_k、bottom_k 与 cities 只能给出其中一个。")
    if top_k is not None:
        _int_in(top_k, 1, len(ov), "top_k")
        sel, scope = ov.head(top_k), f"{_period(by)}排名前{top_k}的城市"
    elif bottom_k is not None:
        _int_in(bottom_k, 1, len(ov), "bottom_k")
        sel, scope = ov.tail(bottom_k), f"{_period(by)}排名后{bottom_k}的城市"
    elif cities:
        wanted = [_city(c) for c in cities]
        outside = [c for c in wanted if c not in set(ov["city"])]
        if outside:
            raise ToolError(f"这些城市不属于{name}：{'、'.join(outside)}。")
        sel, scope = ov[ov["city"].isin(wanted)], "所选城市"
    else:
        sel, scope = ov, f"全部{len(ov)}个城市"
    values = [float(v) for v in sel[value]]
    result = _stat(stat, values)
    names = "、".join(sel["city"])
    if value == "growth":
        shown = str(int(result)) if stat == "count" else fmt_percent(result)
        what = f"同比增速（{GROWTH_NOTE}）"
    else:
        shown = fmt_number(result)
        what = "2022Q1较2021年排名变化（正数为上升）"
    text = f"{name}{scope}（{names}）{what}的{STAT_NAMES[stat]}为{shown}。"
    if value == "rank_change":
        text = _note_inconsistent(text, sel)
    rows = [_city_row(r, by) for r in _records(sel)]
    measures = (
        [by]
        + (["growth"] if value == "growth" and by != "growth" else [])
        + (["2022Q1"] if value == "rank_change" and by != "2022Q1" else [])
    )
    prov = [p for r in _records(sel) for p in _prov_city(r, measures)]
    rows.append({"rank": None, "city": STAT_NAMES[stat], value: round(result, 4), "stat": stat})
    return _result(
        rows,
        text,
        prov,
        ["rank", "city", value],
        {"label": "city", "value": value} if value == "growth" else None,
    )


def _stat(stat: str, values: list[float]) -> float:
    if stat == "count":
        return float(len(values))
    if not values:
        raise ToolError("所选范围内没有城市，无法计算。")
    funcs: dict[str, Callable[[list[float]], float]] = {
        "mean": statistics.fmean,
        "median": statistics.median,
        "sum": lambda v: float(sum(v)),
        "max": max,
        "min": min,
    }
    return float(funcs[stat](values))


def city_cluster(city: str) -> ToolResult:
    """Which of the seven ranked city clusters a city belongs to (as listed in the report's tables).

    Args:
        city: City name, with or without 市.
    """
    r = _one_city(_city(city))
    n = len(_overview(r["cluster"]))
    text = f"{r['city']}属于{r['cluster']}（报告该城市群排名表共列出{n}个城市）。"
    return _result(
        [{"city": r["city"], "cluster": r["cluster"]}], text, _prov_city(r, ["2021"]), ["city", "cluster"]
    )


def cluster_cities(cluster: str) -> ToolResult:
    """The cities of a city cluster in 2021 rank order, with their count.

    Args:
        cluster: City cluster, e.g. 京津冀 (one of the seven with city rankings).
    """
    name = _cluster(cluster)
    ov = _overview(name).sort_values("rank_2021")
    text = f"{name}排名表共列出{len(ov)}个城市：{'、'.join(ov['city'])}。"
    rows = [_city_row(r, "2021") for r in _records(ov)]
    prov = [p for r in _records(ov) for p in _prov_city(r, ["2021"])]
    return _result(rows, text, prov, ["rank", "city"])


CITY_QUERIES: list[Callable[..., ToolResult]] = [
    city_rank,
    city_profile,
    city_at_rank,
    top_cities,
    rank_movers,
    tied_cities,
    compare_cities,
    filter_cities,
    aggregate_cities,
    city_cluster,
    cluster_cities,
]
