"""Index calculations as tools: the method on numbers from a question or a model, and on staff's CSV files."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import pandas as pd

from tools import method
from tools.errors import ToolError
from tools.result import ToolResult, fmt_number, fmt_percent
from tools.userdata import mapping_frame, numeric_frame, read_csv, weights_series

GrowthKind = Literal["yoy", "qoq"]
_KIND = {"yoy": "同比增速", "qoq": "环比增速"}


def _fmt(x: float, digits: int = 4) -> str:
    return fmt_number(x, digits)


def _dict_of_numbers(values: dict[str, float], what: str) -> pd.Series:
    if not values:
        raise ToolError(f"{what}为空，请至少给出一项。")
    series = pd.Series(values, dtype=object)
    bad = [k for k, v in values.items() if isinstance(v, bool) or not method._is_number(v)]
    if bad:
        raise ToolError(f"{what}中这些项不是有限的数字：{'、'.join(bad)}。")
    return series.astype(float)


# ---------------------------------------------------------------- tools (JSON arguments)


def calc_expert_weights(scores: dict[str, list[float]]) -> ToolResult:
    """Indicator weights from expert scores (1-5): weight_j = sum of j's scores / sum of all scores.

    Args:
        scores: Indicator name -> list of scores, one per expert, each 1-5; all lists equally long,
            e.g. {"A": [5, 4, 5], "B": [3, 3, 4], "C": [2, 3, 1]}.
    """
    if not scores:
        raise ToolError("评分为空：请按“指标: [各专家评分]”给出。")
    lengths = {k: len(v) for k, v in scores.items()}
    if len(set(lengths.values())) != 1 or 0 in lengths.values():
        shown = "、".join(f"{k} {n} 个" for k, n in lengths.items())
        raise ToolError(f"每个指标的专家评分个数应相同且不为 0（现为 {shown}）。")
    frame = pd.DataFrame(scores, index=[f"专家{i + 1}" for i in range(next(iter(lengths.values())))])
    weights = method.expert_weights(frame)
    total = float(frame.astype(float).sum().sum())
    rows = [
        {
            "indicator": k,
            "score_sum": float(frame[k].astype(float).sum()),
            "weight": float(w),
            "weight_pct": float(w) * 100,
        }
        for k, w in weights.items()
    ]
    items = "、".join(
        f"{r['indicator']} {_fmt(r['score_sum'])}/{_fmt(total)}≈{_fmt(r['weight'], 3)}"
        f"（{fmt_number(r['weight_pct'], 1)}%）"
        for r in rows
    )
    text = f"按专家评分赋权（α_j = 指标j得分之和 ÷ 全部得分之和），权重为：{items}。"
    return ToolResult(
        rows=rows,
        text=text,
        columns=["indicator", "score_sum", "weight", "weight_pct"],
        chart={"label": "indicator", "value": "weight"},
    )


def calc_growth(current: float, previous: float, kind: GrowthKind = "yoy") -> ToolResult:
    """Growth rate in percent: (current / previous - 1) × 100.

    Args:
        current: Value of the current period, e.g. 130.
        previous: Value of the comparison period (same quarter last year for yoy, previous quarter
            for qoq), e.g. 100.
        kind: "yoy" (同比, year on year) or "qoq" (环比, quarter on quarter).
    """
    if kind not in _KIND:
        raise ToolError(f"增速类型“{kind}”无效，可选：yoy（同比）、qoq（环比）。")
    g = method.growth_rate(current, previous)
    text = f"{_KIND[kind]} = {_fmt(current)} ÷ {_fmt(previous)} − 1 = {fmt_percent(g)}。"
    return ToolResult(
        rows=[{"previous": previous, "current": current, "kind": kind, "growth_pct": g}],
        text=text,
        columns=["previous", "current", "growth_pct"],
    )


def calc_other_year_growth(
    mean: float, known: float, known_year: Literal["first", "second"] = "first", base: float | None = None
) -> ToolResult:
    """One year's YoY growth from the report's two-year mean and the other year's rate (percent):
    other = 2 × mean − known; with the index two years ago (`base`), the index of both later years.

    Args:
        mean: The two-year mean of YoY growth in percent (the report's 同比增速), e.g. 140.
        known: The known year's YoY growth in percent, e.g. 200.
        known_year: "first" when `known` is the first year's rate (2021Q1 vs 2020Q1), "second" otherwise.
        base: Optional index value two years ago (e.g. 2020Q1), to carry the rates to index values.
    """
    for name, v in (("mean", mean), ("known", known)):
        if not method._is_number(v):
            raise ToolError(f"{name} 不是有限的数字。")
    other = 2 * float(mean) - float(known)
    g1, g2 = (known, other) if known_year == "first" else (other, known)
    row: dict[str, float] = {"first_rate": float(g1), "second_rate": float(g2)}
    text = f"另一年同比 = 2 × {_fmt(mean)}% − {_fmt(known)}% = {fmt_number(other, 2)}%"
    if base is not None:
        if not method._is_number(base) or base <= 0:
            raise ToolError("基期指数应为正数。")
        second = float(base) * (1 + g1 / 100)
        third = second * (1 + g2 / 100)
        row.update({"base": float(base), "second": second, "third": third})
        text += (
            f"；指数 {_fmt(base)} × (1 + {fmt_number(g1, 2)}%) = {_fmt(second)}，"
            f"× (1 + {fmt_number(g2, 2)}%) = {_fmt(third)}"
        )
    return ToolResult(rows=[row], text=text + "。", columns=list(row))


def calc_two_year_growth(first: float, second: float, third: float) -> ToolResult:
    """Two-year mean of YoY growth (the report's 两年同比增速均值), in percent.

    Args:
        first: Value two years ago (e.g. 2020Q1).
        second: Value one year ago (e.g. 2021Q1).
        third: Current value (e.g. 2022Q1).
    """
    g1, g2 = method.growth_rate(second, first), method.growth_rate(third, second)
    mean = (g1 + g2) / 2
    text = (
        f"两年同比增速均值 = （{fmt_number(g1)}% + {fmt_number(g2)}%）÷ 2 = {fmt_percent(mean)}"
        f"（第一年同比 {_fmt(second)}÷{_fmt(first)}−1，第二年同比 {_fmt(third)}÷{_fmt(second)}−1）。"
    )
    return ToolResult(
        rows=[
            {
                "first": first,
                "second": second,
                "third": third,
                "yoy_1": g1,
                "yoy_2": g2,
                "two_year_mean": mean,
            }
        ],
        text=text,
        columns=["first", "second", "third", "yoy_1", "yoy_2", "two_year_mean"],
    )


def calc_normalise(values: dict[str, float], base_total: float | None = None) -> ToolResult:
    """Normalise one indicator: each city's value / the base-period national total × 100 (percent share).

    Args:
        values: City -> raw indicator value, e.g. {"甲市": 30, "乙市": 70}.
        base_total: National total of the indicator in the base period; omit to use the sum of `values`.
    """
    series = _dict_of_numbers(values, "指标数值")
    negative = [str(k) for k in series.index if float(series[k]) < 0]
    if negative:
        raise ToolError(f"指标数值不能为负数：{'、'.join(negative)}。")
    if base_total is not None and not method._is_number(base_total):
        raise ToolError(f"基期全国加总“{base_total}”不是有限的数字。")
    if base_total is not None and not float(base_total) > 0:
        raise ToolError(f"基期全国加总必须大于 0（收到 {_fmt(float(base_total))}），否则无法标准化。")
    if base_total is None and not math.isfinite(sum(float(v) for v in series)):
        raise ToolError("各城市数值合计超出可计算的范围（数值过大），请检查输入的数量级。")
    if base_total is None and not float(series.sum()) > 0:
        raise ToolError("各城市数值合计为 0，无法标准化，请给出基期全国加总。")
    totals = pd.Series({"x": float(base_total)}) if base_total is not None else None
    frame = method.normalise(series.to_frame("x"), totals)
    total = float(base_total) if base_total is not None else float(series.sum())
    rows = [
        {"name": k, "value": float(series[k]), "normalised": float(frame.loc[k, "x"])} for k in series.index
    ]
    items = "、".join(
        f"{r['name']} {_fmt(r['value'])}÷{_fmt(total)}={_fmt(r['normalised'] / 100, 6)}"
        f"（即{fmt_number(r['normalised'], 4)}%）"
        for r in rows
    )
    text = f"去量纲值（原始值 ÷ 该指标的基期全国加总）：{items}。"
    return ToolResult(
        rows=rows,
        text=text,
        columns=["name", "value", "normalised"],
        chart={"label": "name", "value": "normalised"},
    )


def calc_weighted_index(values: dict[str, float], weights: dict[str, float]) -> ToolResult:
    """Weighted average Σ w_j v_j / Σ w_j: a layer index from its indicators, or the composite from the
    layers.

    Args:
        values: Name -> (normalised) value, e.g. {"基础设施": 120, "平台": 300, "应用": 180}.
        weights: Name -> weight with the same names, e.g. {"基础设施": 0.3, "平台": 0.3, "应用": 0.4}.
    """
    v = _dict_of_numbers(values, "数值")
    w = _dict_of_numbers(weights, "权重")
    result = float(method.weighted_average(v.to_frame().T, w).iloc[0])
    terms = " + ".join(f"{_fmt(w[k])}×{_fmt(v[k])}" for k in v.index)
    text = f"加权平均 = （{terms}）÷ {_fmt(float(w.sum()))} = {fmt_number(result, 4)}。"
    rows = [{"name": k, "value": float(v[k]), "weight": float(w[k])} for k in v.index]
    rows.append({"name": "加权平均", "value": result, "weight": float(w.sum())})
    return ToolResult(rows=rows, text=text, columns=["name", "value", "weight"])


def calc_industry_share(industry_value: float, region_total: float) -> ToolResult:
    """An industry's share (占比) of a region's digital index, in percent.

    Args:
        industry_value: The industry's index value in the region.
        region_total: The region's whole digital-transformation index.
    """
    share = method.industry_share(industry_value, region_total)
    text = f"行业占比 = {_fmt(industry_value)} ÷ {_fmt(region_total)} = {fmt_percent(share)}。"
    return ToolResult(
        rows=[{"industry_value": industry_value, "region_total": region_total, "share_pct": share}],
        text=text,
        columns=["industry_value", "region_total", "share_pct"],
    )


def calc_mean_growth(rates: list[float]) -> ToolResult:
    """Mean of given growth rates in percent, e.g. the report's two-year mean from the 2021Q1 and 2022Q1 YoY
    rates.

    Args:
        rates: Growth rates in percent, e.g. [150, 30] for 150% and 30%.
    """
    if not rates:
        raise ToolError("请至少给出一个增速。")
    bad = [str(r) for r in rates if isinstance(r, bool) or not method._is_number(r)]
    if bad:
        raise ToolError(f"这些增速不是有限的数字：{'、'.join(bad)}。")
    mean = method._finite(sum(float(r) for r in rates) / len(rates), "增速均值")
    terms = " + ".join(f"{fmt_number(r)}%" for r in rates)
    text = f"增速均值 = （{terms}）÷ {len(rates)} = {fmt_percent(mean)}"
    if len(rates) == 2:
        text += "（报告的“两年同比增速均值”即2021Q1与2022Q1两个同比增速的平均）"
    return ToolResult(
        rows=[{"rates": list(rates), "mean_pct": mean}], text=text + "。", columns=["rates", "mean_pct"]
    )


def calc_change(start: float, end: float) -> ToolResult:
    """Relative change from `start` to `end` in percent (增幅 when positive, 降幅 when negative).

    Args:
        start: The earlier value, e.g. 278.
        end: The later value, e.g. 17.
    """
    g = method.growth_rate(end, start)
    word = "增幅" if g >= 0 else "降幅"
    formula = (
        f"({_fmt(end)}−{_fmt(start)})÷{_fmt(start)}"
        if g >= 0
        else f"({_fmt(start)}−{_fmt(end)})÷{_fmt(start)}"
    )
    text = f"{word} = {formula} = {fmt_percent(abs(g))}。"
    return ToolResult(
        rows=[{"start": start, "end": end, "change_pct": g}],
        text=text,
        columns=["start", "end", "change_pct"],
    )


CALC_FUNCTIONS: list[Callable[..., ToolResult]] = [
    calc_expert_weights,
    calc_growth,
    calc_two_year_growth,
    calc_other_year_growth,
    calc_mean_growth,
    calc_change,
    calc_normalise,
    calc_weighted_index,
    calc_industry_share,
]


# ---------------------------------------------------------------- staff's CSV files (CLI)


def weights_from_scores_file(path: str | Path) -> pd.Series:
    """Expert-score CSV (first column expert, one column per indicator, scores 1-5) -> weights."""
    frame = numeric_frame(read_csv(path, "专家评分"), "专家评分", id_label="专家")
    return method.expert_weights(frame)


def weights_from_file(path: str | Path) -> pd.Series:
    """Weights CSV with two columns: name (indicator or layer), weight."""
    return weights_series(read_csv(path, "权重表"), "权重表")


def index_from_files(
    indicators: str | Path,
    weights: str | Path | None = None,
    scores: str | Path | None = None,
    layers: str | Path | None = None,
    layer_weights: str | Path | None = None,
    layer_scores: str | Path | None = None,
    base: str | Path | None = None,
) -> method.IndexResult:
    """Run the whole method on CSV files (see `python -m bot calc index --help` for the formats)."""
    if (weights is None) == (scores is None):
        raise ToolError("请给出指标权重：--weights（权重表）或 --scores（专家评分表），二选一。")
    if layer_weights is not None and layer_scores is not None:
        raise ToolError("层级权重请只给一种：--layer-weights 或 --layer-scores。")
    values = numeric_frame(read_csv(indicators, "指标数据"), "指标数据", id_label="城市")
    w = weights_from_file(weights) if weights is not None else weights_from_scores_file(scores)  # type: ignore[arg-type]
    mapping = mapping_frame(read_csv(layers, "层级对照表"), "层级对照表", "指标", "层级") if layers else None
    lw = None
    if layer_weights is not None:
        lw = weights_from_file(layer_weights)
    elif layer_scores is not None:
        lw = weights_from_scores_file(layer_scores)
    totals = None
    if base is not None:
        base_values = numeric_frame(read_csv(base, "基期数据"), "基期数据", id_label="城市")
        totals = method.base_totals(base_values)
    return method.compute_index(values, w, mapping, lw, totals)


def growth_from_file(path: str | Path) -> pd.DataFrame:
    """Values CSV (first column region, then one column per quarter like 2021Q1) -> growth of the latest
    quarter."""
    values = numeric_frame(read_csv(path, "时期数据"), "时期数据", id_label="地区")
    return method.growth_table(values)
