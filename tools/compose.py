"""One composable query over the city tables: choose cities by any measure, report any measure, aggregate.

`city_query` is a plain typed function (a tool like the others): it selects rows of the city overview with
pandas, never evaluates text, and returns every source row it used as provenance.
"""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd

from tools.errors import ToolError
from tools.queries import _city, _cluster, _note_inconsistent, _overview, _result
from tools.result import ToolResult, fmt_number
from tools.tables import table_title

CityMeasure = Literal["rank_2021", "rank_2022Q1", "rank_change", "growth", "growth_rank"]
Select = Literal["all", "named", "nth", "top", "bottom", "top_k", "bottom_k", "filter", "extremes"]
Condition = Literal["rose", "fell", "unchanged", "gt", "lt"]
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
        if condition in ("gt", "lt") and threshold is not None:
            return (
                ordered[ordered["growth"] > threshold]
                if condition == "gt"
                else ordered[ordered["growth"] < threshold]
            )
        raise ToolError("筛选条件不完整：请给出“上升/下降/不变”，或增速高于/低于多少。")
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
        condition: For select=filter: rose / fell / unchanged (rank change), gt / lt (growth threshold).
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
