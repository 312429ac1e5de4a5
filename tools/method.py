"""The report's index method: expert weights, base-period normalisation, layer and composite indices, growth,
shares.

From the report's method section (赋权 / 数据标准化):
  weights      α_j = Σ_i α_ij / Σ_i Σ_j α_ij        (α_ij: expert i's 1-5 score for indicator j)
  normalising  t_cj = x_cj / Σ_c x_cj(base period)  (a city's share of the national base-period total, in %)
  indices      each layer (基础设施, 平台, 应用) is the weighted average of its indicators;
               the composite index
               is the weighted average of the layers.
Growth in the report is year on year (同比), quarter on quarter (环比), and the two-year mean of YoY growth
(2021Q1&2022Q1两年同比增速均值). An industry's share (占比) is its index over the region's whole index.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tools.errors import ToolError

LAYERS: tuple[str, ...] = ("基础设施", "平台", "应用")
SCORE_MIN, SCORE_MAX = 1.0, 5.0
_PERIOD = re.compile(r"^(\d{4})\s*[Qq]([1-4])$")


# ---------------------------------------------------------------- weights


def expert_weights(scores: pd.DataFrame) -> pd.Series:
    """Indicator weights from expert scores: α_j = Σ_i α_ij / Σ_i Σ_j α_ij (sums to 1).

    `scores` has one row per expert and one column per indicator, every cell a score from 1 to 5.
    """
    if scores.empty or scores.shape[1] == 0:
        raise ToolError("专家评分表为空：需要每位专家一行、每个指标一列。")
    bad = [
        (str(i), str(c), scores.loc[i, c])
        for c in scores.columns
        for i in scores.index
        if not _is_number(scores.loc[i, c]) or not SCORE_MIN <= float(scores.loc[i, c]) <= SCORE_MAX
    ]
    if bad:
        shown = "；".join(f"专家“{i}”对“{c}”的评分 {v}" for i, c, v in bad[:5])
        raise ToolError(f"专家评分须为 1 到 5 分之间的数字：{shown}。")
    totals = scores.astype(float).sum(axis=0)
    weights = totals / float(totals.sum())
    weights.name = "weight"
    weights.index.name = "indicator"
    return weights


def _is_number(x: object) -> bool:
    """A finite number (inf and nan are not: they would turn every result into inf, nan or 0)."""
    try:
        return math.isfinite(float(x))  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return False


def _finite(result: float, what: str) -> float:
    if not math.isfinite(result):
        raise ToolError(f"{what}超出可计算的范围（数值过大），请检查输入的数量级。")
    return result


def _check_finite_frame(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    values = frame.astype(float)
    if not np.isfinite(values.to_numpy()).all():
        raise ToolError(f"{what}超出可计算的范围（数值过大），请检查输入的数量级。")
    return values


def _check_weights(weights: pd.Series, what: str = "权重") -> pd.Series:
    weights = pd.to_numeric(weights, errors="coerce")
    if weights.isna().any():
        raise ToolError(f"{what}中有非数字：{'、'.join(map(str, weights.index[weights.isna()]))}。")
    if (weights < 0).any():
        raise ToolError(f"{what}不能为负数：{'、'.join(map(str, weights.index[weights < 0]))}。")
    if not np.isfinite(weights.to_numpy(dtype=float)).all() or not math.isfinite(float(weights.sum())):
        raise ToolError(f"{what}中有无穷大或过大的数，请改为有限的数字。")
    if float(weights.sum()) <= 0:
        raise ToolError(f"{what}合计为 0，无法加权平均。")
    return weights.astype(float)


# ---------------------------------------------------------------- normalising and indices


def base_totals(base: pd.DataFrame) -> pd.Series:
    """National totals per indicator of the base period (rows: cities, columns: indicators)."""
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported below, in Chinese
        totals = base.astype(float).sum(axis=0)
    if not np.isfinite(totals.to_numpy(dtype=float)).all():  # a sum of huge values overflows to inf
        raise ToolError("基期全国合计超出可计算的范围（数值过大），请检查输入的数量级。")
    return totals


def normalise(values: pd.DataFrame, totals: pd.Series | None = None, scale: float = 100.0) -> pd.DataFrame:
    """t_cj = x_cj / Σ_c x_cj × scale: each city's value as a share of the base-period national total.

    Args:
        values: One row per city, one column per indicator, non-negative numbers.
        totals: Base-period national total of each indicator; None = the column sums of `values`
            (i.e. `values` is the base period, and every column of the result sums to `scale`).
        scale: 100 gives percent (the report's 取百分比); 1 gives fractions.
    """
    if values.empty:
        raise ToolError("指标数据为空：需要每个城市一行、每个指标一列。")
    if (values < 0).any().any():
        raise ToolError("指标数值不能为负数。")
    sums = base_totals(values) if totals is None else totals.astype(float)
    missing = [c for c in values.columns if c not in sums.index]
    if missing:
        raise ToolError(f"基期数据缺少这些指标：{'、'.join(map(str, missing))}。")
    sums = sums[values.columns]
    zero = [str(c) for c in sums.index if not float(sums[c]) > 0]
    if zero:
        raise ToolError(f"这些指标的基期全国合计为 0，无法标准化：{'、'.join(zero)}。")
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        shares = values.astype(float).div(sums, axis=1) * scale
    return _check_finite_frame(shares, "标准化值")


def _match(names: list[str], given: list[str], what: str, of: str = "指标数据") -> None:
    missing = [n for n in names if n not in given]
    extra = [g for g in given if g not in names]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"{what}缺少{of}中的：{'、'.join(missing)}")
        if extra:
            parts.append(f"{what}中有{of}没有的：{'、'.join(extra)}")
        raise ToolError("指标名称不一致——" + "；".join(parts) + "。请让名称逐字一致。")


def weighted_average(values: pd.DataFrame, weights: pd.Series) -> pd.Series:
    """Σ_j w_j v_j / Σ_j w_j per row, over the columns named in `weights`."""
    weights = _check_weights(weights)
    _match(list(map(str, values.columns)), list(map(str, weights.index)), "权重")
    w = weights[values.columns]
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported below, in Chinese
        result = _check_finite_frame(values, "数值").mul(w, axis=1).sum(axis=1) / float(w.sum())
    if not np.isfinite(result.to_numpy(dtype=float)).all():
        raise ToolError("加权平均超出可计算的范围（数值过大），请检查输入的数量级。")
    return result


def layer_indices(
    normalised: pd.DataFrame, weights: pd.Series, layers: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Each layer's index per city: the weighted average of the layer's normalised indicators.

    `layers` maps indicator -> layer (e.g. 基础设施, 平台, 应用); None puts every indicator in one layer 综合.
    """
    weights = _check_weights(weights)
    cols = list(map(str, normalised.columns))
    _match(cols, list(map(str, weights.index)), "权重")
    mapping = dict(layers) if layers else {c: "综合" for c in cols}
    _match(cols, list(mapping), "层级对照表")
    order = list(dict.fromkeys(mapping[c] for c in cols))
    out = pd.DataFrame(index=normalised.index)
    for layer in order:
        members = [c for c in cols if mapping[c] == layer]
        w = weights[members]
        if float(w.sum()) <= 0:
            raise ToolError(f"“{layer}”层的指标权重合计为 0，无法计算该层指数。")
        out[layer] = weighted_average(normalised[members], w)
    return out


def composite_index(layer_values: pd.DataFrame, layer_weights: pd.Series | None = None) -> pd.Series:
    """The composite index: weighted average of the layer indices (equal weights when none are given)."""
    if layer_weights is None:
        layer_weights = pd.Series(1.0, index=layer_values.columns)
    result = weighted_average(layer_values, _check_weights(layer_weights, "层级权重"))
    result.name = "综合指数"
    return result


@dataclass
class IndexResult:
    """Everything compute_index produced, for display and checking."""

    weights: pd.Series
    normalised: pd.DataFrame
    layers: pd.DataFrame
    layer_weights: pd.Series
    composite: pd.Series

    def table(self) -> pd.DataFrame:
        """One row per city: the layer indices and the composite index, sorted by the composite."""
        out = self.layers.copy()
        out["综合指数"] = self.composite
        out = out.sort_values("综合指数", ascending=False)
        out.insert(0, "排名", range(1, len(out) + 1))
        return out


def compute_index(
    indicators: pd.DataFrame,
    weights: pd.Series,
    layers: Mapping[str, str] | None = None,
    layer_weights: pd.Series | None = None,
    totals: pd.Series | None = None,
    scale: float = 100.0,
) -> IndexResult:
    """The whole method: normalise against base-period totals, layer indices, composite index."""
    normalised = normalise(indicators, totals, scale)
    lay = layer_indices(normalised, weights, layers)
    lw = layer_weights if layer_weights is not None else pd.Series(1.0, index=lay.columns)
    lw = _check_weights(lw, "层级权重")
    _match(list(map(str, lay.columns)), list(map(str, lw.index)), "层级权重", "层级对照表")
    return IndexResult(
        weights=_check_weights(weights) / float(_check_weights(weights).sum()),
        normalised=normalised,
        layers=lay,
        layer_weights=lw / float(lw.sum()),
        composite=composite_index(lay, lw),
    )


# ---------------------------------------------------------------- growth and shares


def growth_rate(current: float, previous: float) -> float:
    """(current / previous - 1) × 100, in percent. YoY when `previous` is the same quarter a year earlier,
    QoQ when it is the previous quarter."""
    for name, v in (("本期", current), ("上期", previous)):
        if not _is_number(v):
            raise ToolError(f"{name}数值“{v}”不是有限的数字。")
        if float(v) < 0:
            raise ToolError(f"{name}数值不能为负数（收到 {v}）。")
    if float(previous) == 0:
        raise ToolError("上期（基期）数值为 0，无法计算增速。")
    return _finite((float(current) / float(previous) - 1.0) * 100.0, "增速")


def two_year_mean_growth(first: float, second: float, third: float) -> float:
    """Mean of two consecutive YoY growth rates, in percent: mean(second/first - 1, third/second - 1).

    For the report's 2021Q1&2022Q1两年同比增速均值: first = 2020Q1, second = 2021Q1, third = 2022Q1.
    """
    return (growth_rate(second, first) + growth_rate(third, second)) / 2.0


def parse_period(label: str) -> tuple[int, int]:
    """'2021Q1' -> (2021, 1)."""
    m = _PERIOD.match(str(label).strip())
    if not m:
        raise ToolError(f"时期列名“{label}”无法识别，应写成 2021Q1 这样的“年份Q季度”。")
    return int(m.group(1)), int(m.group(2))


def growth_table(values: pd.DataFrame) -> pd.DataFrame:
    """Growth of the latest period per row: YoY, QoQ and the two-year mean of YoY growth (percent).

    `values` has one row per region and one column per quarter (2020Q1 … 2022Q1, any order). A rate whose
    comparison quarter is missing is left empty.
    """
    periods = {col: parse_period(col) for col in values.columns}
    if len(set(periods.values())) != len(periods):
        raise ToolError("时期列有重复（例如 2021Q1 与 2021q1），请保留一列。")
    by_key = {v: k for k, v in periods.items()}
    latest = max(by_key)
    year, q = latest
    prev_q = (year, q - 1) if q > 1 else (year - 1, 4)
    last_year, two_years = (year - 1, q), (year - 2, q)
    rows = []
    for region, r in values.iterrows():

        def g(
            now: tuple[int, int], before: tuple[int, int], r: pd.Series = r, region: object = region
        ) -> float | None:
            if now not in by_key or before not in by_key:
                return None
            try:
                return growth_rate(float(r[by_key[now]]), float(r[by_key[before]]))
            except ToolError as exc:
                raise ToolError(f"“{region}”：{exc}") from exc

        yoy, qoq, yoy_prev = g(latest, last_year), g(latest, prev_q), g(last_year, two_years)
        mean2 = (yoy + yoy_prev) / 2.0 if yoy is not None and yoy_prev is not None else None
        rows.append(
            {
                "name": region,
                "period": by_key[latest],
                "value": float(r[by_key[latest]]),
                "yoy": yoy,
                "qoq": qoq,
                "two_year_mean": mean2,
            }
        )
    return pd.DataFrame(rows)


def industry_share(industry_value: float, region_total: float) -> float:
    """An industry's share of a region's index, in percent: industry index / the region's whole index
    ×100."""
    for name, v in (("行业指数", industry_value), ("地区整体指数", region_total)):
        if not _is_number(v):
            raise ToolError(f"{name}“{v}”不是有限的数字。")
        if float(v) < 0:
            raise ToolError(f"{name}不能为负数（收到 {v}）。")
    if float(region_total) == 0:
        raise ToolError("地区整体指数为 0，无法计算占比。")
    if float(industry_value) > float(region_total):
        raise ToolError(
            f"行业指数（{industry_value}）大于地区整体指数（{region_total}），占比会超过 100%，请检查数据。"
        )
    return float(industry_value) / float(region_total) * 100.0


def industry_shares(values: pd.DataFrame, totals: pd.Series | None = None) -> pd.DataFrame:
    """Share (%) of each industry (columns) in each region (rows); totals default to the row sums."""
    if (values < 0).any().any():
        raise ToolError("行业指数不能为负数。")
    sums = values.astype(float).sum(axis=1) if totals is None else totals.astype(float)
    zero = [str(i) for i in sums.index if not float(sums[i]) > 0]
    if zero:
        raise ToolError(f"这些地区的整体指数为 0，无法计算占比：{'、'.join(zero)}。")
    return values.astype(float).div(sums, axis=0) * 100.0
