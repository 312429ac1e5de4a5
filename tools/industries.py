"""Industry queries: clusters' top-3 industries and provinces' share / growth rankings per industry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from tools.errors import ToolError
from tools.names import RANKED_INDUSTRIES
from tools.queries import (
    PROVINCE_MEASURES,
    ProvinceMeasure,
    _choice,
    _cluster,
    _industry,
    _int_in,
    _records,
    _result,
    _vocab,
)
from tools.result import ToolResult
from tools.tables import GROWTH_NOTE, tables_readonly

# ---------------------------------------------------------------- clusters x industries


def cluster_top_industries(cluster: str) -> ToolResult:
    """A city cluster's top-3 industries (NO.1-NO.3, cumulative 2020Q1-2022Q1 industry ranking).

    Args:
        cluster: Any of the 11 city clusters, e.g. 呼包鄂榆 or 长江中游城市群.
    """
    name = _cluster(cluster, with_cities=False)
    df = tables_readonly()["cluster_top3_industries"]
    sel = df[df["cluster"] == name].sort_values("position")
    items = "、".join(f"NO.{int(r['position'])} {r['industry_source']}" for r in _records(sel))
    text = f"{name}2020Q1-2022Q1行业指标累计排名Top3：{items}。"
    rows = [
        {
            "cluster": name,
            "position": int(r["position"]),
            "industry": r["industry"],
            "industry_source": r["industry_source"],
            "line": int(r["line"]),
        }
        for r in _records(sel)
    ]
    r0 = sel.iloc[0]
    return _result(
        rows,
        text,
        [{"file": r0["file"], "line": int(r0["line"]), "table": r0["table"]}],
        ["position", "industry_source"],
    )


def clusters_with_industry(industry: str, position: int | None = None, exclude: bool = False) -> ToolResult:
    """City clusters whose top-3 industries include an industry (optionally at a given position 1-3), or with
    exclude=True those whose top 3 (or that position) do not, each with its own top 3.

    Args:
        industry: Industry name, e.g. 金融, 行业工具, 文体娱 (文化体育娱乐), 工业.
        position: 1, 2 or 3 to require NO.1, NO.2 or NO.3; omit for any of the three.
        exclude: True for the clusters where the industry is NOT there.
    """
    name = _industry(industry, ranked_only=False)
    df = tables_readonly()["cluster_top3_industries"]
    if position is not None:
        _int_in(position, 1, 3, "position")
    at = (df["industry"] == name) & (df["position"] == position if position is not None else True)
    where = f"NO.{position}" if position else "Top3"
    if exclude:
        present = set(df[at]["cluster"])
        sel = df[~df["cluster"].isin(present)].sort_values(["cluster", "position"], kind="stable")
        order = list(dict.fromkeys(df["cluster"]))
        groups = [(c, sel[sel["cluster"] == c]) for c in order if c in set(sel["cluster"])]
        items = "；".join(
            f"{c}（"
            + "、".join(f"NO.{int(r['position'])} {r['industry_source']}" for r in _records(g))
            + "）"
            for c, g in groups
        )
        n = len(groups)
        text = (
            f"行业指标累计排名{where}中没有{name}的城市群共{n}个"
            + (f"：{items}" if items else "")
            + (f"；其余{len(order) - n}个城市群都有（2020Q1-2022Q1）。")
        )
    else:
        sel = df[at]
        items = "、".join(f"{r['cluster']}（NO.{int(r['position'])}）" for r in _records(sel))
        text = (
            f"行业指标累计排名{where}中有{name}的城市群共{len(sel)}个"
            + (f"：{items}" if items else "")
            + "（2020Q1-2022Q1）。"
        )
    rows = [
        {
            "cluster": r["cluster"],
            "position": int(r["position"]),
            "industry": r["industry"],
            "line": int(r["line"]),
        }
        for r in _records(sel)
    ]
    prov = [{"file": r["file"], "line": int(r["line"]), "table": r["table"]} for r in _records(sel)]
    return _result(rows, text, prov, ["cluster", "position", "industry"])


# ---------------------------------------------------------------- provinces x industries


def _prov_rows(industry: str | None = None, measure: str | None = None) -> pd.DataFrame:
    df = tables_readonly()["province_industry_rank"]
    if industry:
        df = df[df["industry"] == industry]
    if measure:
        df = df[df["measure"] == measure]
    return df


def _mname(measure: str) -> str:
    return "2021年占比排名" if measure == "share" else f"增速排名（{GROWTH_NOTE}）"


def _prov_prov(sel: pd.DataFrame) -> list[dict]:
    return [{"file": r["file"], "line": int(r["line"]), "table": r["table"]} for r in _records(sel)]


def province_rank(
    province: str, industry: str | None = None, measure: ProvinceMeasure | None = None
) -> ToolResult:
    """A province's rank in the industry tables (2021 share top 10, growth top 10; ranks only, no values).

    Args:
        province: Province, short or full, e.g. 广东 / 广东省 / 内蒙古自治区.
        industry: One of 工业, 文体娱, 电商, 行业工具, 金融, 零售, 医疗; omit for all seven.
        measure: "share" (2021 share of the province's digital index) or "growth"; omit for both.
    """
    prov = _vocab("province").resolve(province)
    ind = _industry(industry) if industry else None
    if measure is not None:
        _choice(measure, PROVINCE_MEASURES, "指标")
    measures = [measure] if measure else list(PROVINCE_MEASURES)
    inds = [ind] if ind else list(RANKED_INDUSTRIES)
    df = _prov_rows()
    rows, parts, hits = [], [], []
    for i in inds:
        for m in measures:
            hit = df[(df["industry"] == i) & (df["province"] == prov) & (df["measure"] == m)]
            if len(hit):
                r = hit.iloc[0]
                rows.append(
                    {
                        "province": prov,
                        "industry": i,
                        "measure": m,
                        "rank": int(r["rank"]),
                        "line": int(r["line"]),
                    }
                )
                parts.append(f"{i}{_mname(m)}第{int(r['rank'])}")
                hits.append(hit)
            elif ind:
                parts.append(f"{i}{_mname(m)}未进入前10")
    if ind:
        text = f"{prov}：{'；'.join(parts)}（报告只列出前10名，无具体数值）。"
    elif parts:
        text = f"{prov}进入前10的行业排名：{'；'.join(parts)}（报告只列出前10名）。"
    else:
        text = f"{prov}未进入任何行业的占比或增速前10（报告只列出前10名）。"
    sel = pd.concat(hits) if hits else df.head(0)
    return _result(rows, text, _prov_prov(sel), ["province", "industry", "measure", "rank"])


def industry_top_provinces(industry: str, measure: ProvinceMeasure = "share", k: int = 10) -> ToolResult:
    """The top-k provinces of an industry by 2021 share or by growth (the report lists the top 10).

    Args:
        industry: One of 工业, 文体娱, 电商, 行业工具, 金融, 零售, 医疗 (智慧金融 etc. accepted).
        measure: "share" (2021 share ranking, 占比排名) or "growth" (增速排名, two-year mean of YoY growth).
        k: How many provinces, 1-10.
    """
    ind = _industry(industry)
    _choice(measure, PROVINCE_MEASURES, "指标")
    _int_in(k, 1, 10, "k")
    sel = _prov_rows(ind, measure).sort_values("rank").head(k)
    items = "、".join(f"{int(r['rank'])}.{r['province']}" for r in _records(sel))
    text = f"{ind}{_mname(measure)}前{k}：{items}。"
    rows = [
        {
            "industry": ind,
            "measure": measure,
            "rank": int(r["rank"]),
            "province": r["province"],
            "line": int(r["line"]),
        }
        for r in _records(sel)
    ]
    return _result(rows, text, _prov_prov(sel), ["rank", "province"])


def province_at_rank(industry: str, rank: int, measure: ProvinceMeasure = "share") -> ToolResult:
    """The province at a given rank of an industry's share or growth ranking.

    Args:
        industry: One of 工业, 文体娱, 电商, 行业工具, 金融, 零售, 医疗.
        rank: 1-10.
        measure: "share" (2021 share) or "growth" (two-year mean of YoY growth).
    """
    ind = _industry(industry)
    _choice(measure, PROVINCE_MEASURES, "指标")
    _int_in(rank, 1, 10, "名次")
    sel = _prov_rows(ind, measure)
    sel = sel[sel["rank"] == rank]
    r = sel.iloc[0]
    text = f"{ind}{_mname(measure)}第{rank}的省份是{r['province']}。"
    return _result(
        [
            {
                "industry": ind,
                "measure": measure,
                "rank": rank,
                "province": r["province"],
                "line": int(r["line"]),
            }
        ],
        text,
        _prov_prov(sel),
        ["rank", "province"],
    )


def double_high(industry: str | None = None) -> ToolResult:
    """Provinces in both the 2021 share top 10 and the growth top 10 of an industry (占比、增速双高).

    Args:
        industry: One of 工业, 文体娱, 电商, 行业工具, 金融, 零售, 医疗; omit for all seven.
    """
    inds = [_industry(industry)] if industry else list(RANKED_INDUSTRIES)
    rows, parts, hits = [], [], []
    for ind in inds:
        share = _prov_rows(ind, "share").set_index("province")
        growth = _prov_rows(ind, "growth").set_index("province")
        both = [p for p in share.index if p in growth.index]
        for p in both:
            rows.append(
                {
                    "industry": ind,
                    "province": p,
                    "share_rank": int(share.loc[p, "rank"]),
                    "growth_rank": int(growth.loc[p, "rank"]),
                }
            )
            rows_p = _prov_rows(ind)
            hits.append(rows_p[rows_p["province"] == p])
        parts.append(f"{ind}：{'、'.join(both) if both else '无'}")
    text = "占比（2021）与增速（" + GROWTH_NOTE + "）均进入前10的省份——" + "；".join(parts) + "。"
    sel = pd.concat(hits) if hits else _prov_rows().head(0)
    return _result(rows, text, _prov_prov(sel), ["industry", "province", "share_rank", "growth_rank"])


def compare_provinces(province_a: str, province_b: str, industry: str) -> ToolResult:
    """Compare two provinces' share and growth ranks in one industry (ranks only; outside top 10 = not listed)
    .

    Args:
        province_a: First province.
        province_b: Second province.
        industry: One of 工业, 文体娱, 电商, 行业工具, 金融, 零售, 医疗.
    """
    ind = _industry(industry)
    vocab = _vocab("province")
    pa, pb = vocab.resolve(province_a), vocab.resolve(province_b)
    if pa == pb:
        raise ToolError(f"两个省份相同（{pa}），请给出两个不同的省份。")
    df = _prov_rows(ind)
    rows, parts = [], []
    for p in (pa, pb):
        row: dict[str, Any] = {"industry": ind, "province": p, "share_rank": None, "growth_rank": None}
        bits = []
        for m, col in (("share", "share_rank"), ("growth", "growth_rank")):
            hit = df[(df["province"] == p) & (df["measure"] == m)]
            row[col] = int(hit.iloc[0]["rank"]) if len(hit) else None
            word = "占比" if m == "share" else "增速"
            bits.append(f"{word}第{row[col]}" if row[col] else f"{word}未进前10")
        rows.append(row)
        parts.append(f"{p}{'、'.join(bits)}")
    text = f"{ind}：{'；'.join(parts)}（占比为2021年，增速为{GROWTH_NOTE}；报告只列前10名）。"
    sel = df[df["province"].isin([pa, pb])]
    return _result(rows, text, _prov_prov(sel), ["province", "share_rank", "growth_rank"])


INDUSTRY_QUERIES: list[Callable[..., ToolResult]] = [
    cluster_top_industries,
    clusters_with_industry,
    province_rank,
    industry_top_provinces,
    province_at_rank,
    double_high,
    compare_provinces,
]
