"""One composable query over the city tables: choose cities by any measure, report any measure, aggregate.

`city_query` is a plain typed function (a tool like the others): it selects rows of the city overview with
pandas, never evaluates text, and returns every source row it used as provenance.
"""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd

from tools.errors import ToolError
from tools.names import RANKED_INDUSTRIES
from tools.queries import _city, _cluster, _industry, _note_inconsistent, _overview, _result, _vocab
from tools.result import ToolResult, fmt_number
from tools.tables import table_title, tables_readonly

CityMeasure = Literal["rank_2021", "rank_2022Q1", "rank_change", "growth", "growth_rank"]
Select = Literal["all", "named", "nth", "top", "bottom", "top_k", "bottom_k", "filter", "extremes"]
Condition = Literal["rose", "fell", "unchanged", "changed", "gt", "lt"]
Aggregate = Literal["list", "count", "mean", "sum", "difference", "range"]

# Which source table (and its line column) each measure is read from.
_LINE = {
    "rank_2021": "line_2021",
    "rank_2022Q1": "line_2022Q1",
    "rank_change": "line_2022Q1",
    "growth": "line_growth",
    "growth_rank": "line_growth",
}
# Better first: ranks ascending, growth and rank change descending.
_ASCENDING = {
    "rank_2021": True,
    "rank_2022Q1": True,
    "growth_rank": True,
    "growth": False,
    "rank_change": False,
}


def _sorted(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    keys = (
        [by] + (["growth_rank"] if by == "growth" else []) + (["rank_2022Q1"] if by == "rank_change" else [])
    )
    asc = [_ASCENDING[by]] + [True] * (len(keys) - 1)
    return frame.sort_values(keys, ascending=asc, kind="stable")


def _select(
    frame: pd.DataFrame, select: str, by: str, n: int | None, condition: str | None, threshold: float | None
) -> pd.DataFrame:
    ordered = _sorted(frame, by)
    if select in ("all", "named"):
        return ordered
    if select == "nth":
        if not n or abs(n) > len(ordered):
            raise ToolError(f"位置 {n} 超出范围：这里共有 {len(ordered)} 个城市。")
        return ordered.iloc[[n - 1 if n > 0 else n]]
    if select in ("top", "bottom"):
        edge = ordered[by].iloc[0 if select == "top" else -1]
        return ordered[ordered[by] == edge]  # ties are all kept
    if select in ("top_k", "bottom_k"):
        k = n or 3
        return ordered.head(k) if select == "top_k" else ordered.tail(k).iloc[::-1]
    if select == "extremes":
        return pd.concat([ordered.head(1), ordered.tail(1)])
    if select == "filter":
        if condition == "rose":
            return ordered[ordered["rank_change"] > 0]
        if condition == "fell":
            return ordered[ordered["rank_change"] < 0]
        if condition == "unchanged":
            return ordered[ordered["rank_change"] == 0]
        if condition == "changed":
            return ordered[ordered["rank_change"] != 0]
        if condition in ("gt", "lt") and threshold is not None:
            return (
                ordered[ordered["growth"] > threshold]
                if condition == "gt"
                else ordered[ordered["growth"] < threshold]
            )
        raise ToolError("筛选条件不完整：请给出“上升/下降/不变/有变化”，或增速高于/低于多少。")
    raise ToolError(f"不认识的选择方式：{select}。")


def _value(row: Any, measure: str) -> float | int:
    return float(row[measure]) if measure == "growth" else int(row[measure])


def city_query(
    cluster: str | None = None,
    cities: list[str] | None = None,
    select: Select = "all",
    by: CityMeasure = "rank_2022Q1",
    n: int | None = None,
    condition: Condition | None = None,
    threshold: float | None = None,
    report: CityMeasure | None = None,
    aggregate: Aggregate = "list",
) -> ToolResult:
    """Choose cities of one cluster (or named cities) by one measure, report another, aggregate.

    Args:
        cluster: City cluster (城市群) to look in; omit when naming cities.
        cities: Named cities (select="named"), e.g. ["郑州", "南阳"].
        select: all | named | nth | top | bottom | top_k | bottom_k | filter | extremes (top and bottom).
        by: Measure the cities are chosen by: rank_2021, rank_2022Q1, rank_change, growth, growth_rank.
        n: Position for nth (negative = from the end) or k for top_k / bottom_k.
        condition: For select=filter: rose / fell / unchanged / changed (rank change), gt / lt (growth
            threshold).
        threshold: Growth threshold in percent for gt / lt.
        report: Measure reported for the chosen cities (default: the `by` measure).
        aggregate: list | count | mean | sum | difference (first minus second) | range (max minus min).
    """
    frame = _overview(_cluster(cluster) if cluster else None)
    if cities:
        names = [_city(c) for c in cities]
        frame = frame[frame["city"].isin(names)]
        frame = frame.set_index("city").loc[[n_ for n_ in names if n_ in set(frame["city"])]].reset_index()
    if frame.empty:
        raise ToolError("没有找到符合条件的城市：请给出城市群或城市名。")
    report = report or by
    chosen = _select(frame, select, by, n, condition, threshold)
    measures: list[str] = list(dict.fromkeys([by, report]))
    rows = []
    prov = []
    for _, r in chosen.iterrows():
        row: dict[str, Any] = {"cluster": r["cluster"], "city": r["city"]}
        row.update({m: _value(r, m) for m in _LINE})  # every measure, so answers can add context
        for m in measures:
            line = int(r[_LINE[m]])
            prov.append({"file": r["file"], "line": line, "table": table_title(line) or m})
        rows.append(row)
    values = [row[report] for row in rows]
    result: float | int | None = None
    if aggregate == "count":
        result = len(rows)
    elif aggregate in ("mean", "sum") and values:
        result = sum(values) / len(values) if aggregate == "mean" else sum(values)
    elif aggregate == "difference" and len(values) >= 2:
        result = values[0] - values[1]
    elif aggregate == "range" and values:
        result = max(values) - min(values)
    data = {
        "aggregate": aggregate,
        "value": result,
        "report": report,
        "by": by,
        "select": select,
        "n_total": int(len(frame)),
        # how the considered cities moved: context for a filter on rank change that selects none
        "moves": {
            "rose": int((frame["rank_change"] > 0).sum()),
            "fell": int((frame["rank_change"] < 0).sum()),
            "unchanged": int((frame["rank_change"] == 0).sum()),
        },
    }
    text = f"{len(rows)} 行" if result is None else fmt_number(float(result), 2)
    res = _result(rows, _note_inconsistent(text, chosen), prov, ["cluster", "city"] + measures)
    res.data = data
    return res


ProvinceMeasure = Literal["share", "growth"]
ProvinceSelect = Literal["all", "nth", "top_k", "both"]


def province_query(
    industry: str | None = None,
    measure: ProvinceMeasure | None = None,
    provinces: list[str] | None = None,
    select: ProvinceSelect = "all",
    n: int | None = None,
    aggregate: Literal["list", "count"] = "list",
) -> ToolResult:
    """Choose rows of the province x industry TOP10 tables (2021 share rank, growth rank): by industry,
    measure and province, then all / the nth place / the top k / provinces in both lists; list or count.

    Args:
        industry: One of 工业, 文体娱, 电商, 行业工具, 金融, 零售, 医疗; omit for all seven.
        measure: "share" (2021 share rank) or "growth" (two-year mean growth rank); omit for both.
        provinces: Provinces to keep, e.g. ["广东", "浙江"]; omit for all.
        select: all | nth (rank n) | top_k (rank <= n) | both (provinces in the share and the growth TOP10
            of the same industry).
        n: The rank for nth, or k for top_k (1-10).
        aggregate: list (the rows) or count (how many rows).
    """
    df = tables_readonly()["province_industry_rank"]
    if industry:
        df = df[df["industry"] == _industry(industry)]
    if provinces:
        names = [_vocab("province").resolve(p) for p in provinces]
        df = df[df["province"].isin(names)]
    if select == "both":
        share, growth = df[df["measure"] == "share"], df[df["measure"] == "growth"]
        keys = set(zip(share["industry"], share["province"], strict=True)) & set(
            zip(growth["industry"], growth["province"], strict=True)
        )
        mask = [(i, p) in keys for i, p in zip(df["industry"], df["province"], strict=True)]
        df = df[pd.Series(mask, index=df.index, dtype=bool)]
    if measure:
        if measure not in ("share", "growth"):
            raise ToolError(f"指标“{measure}”无效，可选：share（占比）、growth（增速）。")
        df = df[df["measure"] == measure]
    if select in ("nth", "top_k"):
        if n is None or not 1 <= n <= 10:
            raise ToolError("名次应在 1 到 10 之间：报告的省份行业表只列出前 10 名。")
        df = df[df["rank"] == n] if select == "nth" else df[df["rank"] <= n]
    order = {name: i for i, name in enumerate(RANKED_INDUSTRIES)}
    df = df.sort_values(
        ["industry", "measure", "rank"],
        key=lambda s: s.map(order) if s.name == "industry" else s,
        kind="stable",
    )
    rows = [
        {
            "industry": r["industry"],
            "measure": r["measure"],
            "rank": int(r["rank"]),
            "province": r["province"],
            "line": int(r["line"]),
        }
        for _, r in df.iterrows()
    ]
    prov = [{"file": r["file"], "line": int(r["line"]), "table": r["table"]} for _, r in df.iterrows()]
    res = ToolResult(
        rows=rows,
        text=f"{len(rows)} 行",
        columns=["industry", "measure", "rank", "province"],
        provenance=prov,
    )
    res.data = {"aggregate": aggregate, "value": len(rows) if aggregate == "count" else None}
    return res
