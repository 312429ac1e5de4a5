"""The composable table query and the plans on top of it: property tests against plain pandas reference
computations over random selections and aggregates on every cluster table; calculations from typed-in data
checked by hand-computed values; refusals for measures the tables do not hold; prose support checks."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.answer import verify
from bot.answer.plan import calc_plan, city_plan, scope_plan, word_city_query
from bot.answer.route import route
from bot.answer.understand import calc_query, normalise, table_query
from tools.compose import city_query
from tools.tables import tables_readonly

OVERVIEW = tables_readonly()["city_overview"]
CLUSTERS = sorted(OVERVIEW["cluster"].unique())
MEASURES = ["rank_2021", "rank_2022Q1", "rank_change", "growth", "growth_rank"]
BETTER_LOW = {"rank_2021", "rank_2022Q1", "growth_rank"}


def reference(
    cluster: str, select: str, by: str, n: int | None, condition: str | None, threshold: float | None
) -> pd.DataFrame:
    """The rows a selection should pick, computed the plain way."""
    df = OVERVIEW[OVERVIEW["cluster"] == cluster]
    if select == "filter":
        if condition == "rose":
            return df[df["rank_change"] > 0]
        if condition == "fell":
            return df[df["rank_change"] < 0]
        if condition == "unchanged":
            return df[df["rank_change"] == 0]
        return df[df["growth"] > threshold] if condition == "gt" else df[df["growth"] < threshold]
    best = df[by].min() if by in BETTER_LOW else df[by].max()
    worst = df[by].max() if by in BETTER_LOW else df[by].min()
    if select == "top":
        return df[df[by] == best]
    if select == "bottom":
        return df[df[by] == worst]
    ordered = df.sort_values(by, ascending=by in BETTER_LOW, kind="stable")
    if select == "top_k":
        return ordered.head(n)
    if select == "bottom_k":
        return ordered.tail(n)
    if select == "nth":
        return ordered.iloc[[n - 1]] if n > 0 else ordered.iloc[[n]]
    return df


@settings(max_examples=150, deadline=None)
@given(
    cluster=st.sampled_from(CLUSTERS),
    select=st.sampled_from(["top", "bottom", "top_k", "bottom_k", "filter", "all"]),
    by=st.sampled_from(MEASURES),
    report=st.sampled_from(MEASURES),
    k=st.integers(1, 9),
    condition=st.sampled_from(["rose", "fell", "unchanged", "gt", "lt"]),
    threshold=st.floats(20, 250),
    aggregate=st.sampled_from(["list", "count", "mean", "sum", "range"]),
)
def test_city_query_matches_pandas(cluster, select, by, report, k, condition, threshold, aggregate):
    res = city_query(
        cluster=cluster,
        select=select,
        by=by,
        n=k,
        condition=condition,
        threshold=threshold,
        report=report,
        aggregate=aggregate,
    )
    ref = reference(cluster, select, by, k, condition, threshold)
    assert sorted(r["city"] for r in res.rows) == sorted(ref["city"])
    values = ref[report].astype(float)
    expected = {
        "count": len(ref),
        "list": None,
        "mean": values.mean() if len(ref) else None,
        "sum": values.sum() if len(ref) else None,
        "range": values.max() - values.min() if len(ref) else None,
    }[aggregate]
    if expected is None:
        assert res.data["value"] is None
    else:
        assert res.data["value"] == pytest.approx(expected)
    # every row used is cited by its source line, for the selecting and the reported measure
    lines = {p["line"] for p in res.provenance}
    for _, row in ref.iterrows():
        assert (
            int(
                row[
                    "line_growth"
                    if by in ("growth", "growth_rank")
                    else ("line_2021" if by == "rank_2021" else "line_2022Q1")
                ]
            )
            in lines
        )


@settings(max_examples=60, deadline=None)
@given(cluster=st.sampled_from(CLUSTERS), by=st.sampled_from(MEASURES), data=st.data())
def test_nth_matches_pandas(cluster, by, data):
    size = int((OVERVIEW["cluster"] == cluster).sum())
    n = data.draw(st.integers(1, size) | st.integers(-size, -1))
    res = city_query(cluster=cluster, select="nth", by=by, n=n, report="growth")
    ref = reference(cluster, "nth", by, n, None, None)
    if by in ("growth", "rank_change"):  # ties: the value at that position must match
        assert res.rows[0][by] == pytest.approx(float(ref.iloc[0][by]))
    else:
        assert res.rows[0]["city"] == ref.iloc[0]["city"]


def test_composed_answers_through_the_router():
    ans = route("长三角城市群里增速最高的那个城市，2022年一季度排第几？")
    assert ans is not None and ans.answerable
    top = OVERVIEW[OVERVIEW["cluster"] == "长三角城市群"].sort_values("growth").iloc[-1]
    assert top["city"] in ans.answer and f"第{int(top['rank_2022Q1'])}" in ans.answer
    assert any(c.line == int(top["line_growth"]) for c in ans.citations)
    assert any(c.line == int(top["line_2022Q1"]) for c in ans.citations)


def test_range_answer_names_both_ends():
    df = OVERVIEW[OVERVIEW["cluster"] == "中原城市群"]
    ans = route("中原城市群增速最快和最慢的城市差多少个百分点")
    assert ans is not None
    diff = round(df["growth"].max() - df["growth"].min(), 2)
    assert f"{diff:g}" in ans.answer
    assert (
        df.loc[df["growth"].idxmax(), "city"] in ans.answer
        and df.loc[df["growth"].idxmin(), "city"] in ans.answer
    )


def test_chained_follow_up_refers_to_the_selected_city():
    first = OVERVIEW[(OVERVIEW["cluster"] == "关中平原城市群") & (OVERVIEW["rank_2022Q1"] == 1)].iloc[0]
    ans = route("它的增速是多少？", ["关中平原22年一季度第一名是哪座城市？"])
    assert ans is not None and first["city"] in ans.answer and f"{first['growth']}" in ans.answer


def test_wording_of_an_empty_selection():
    q = table_query(normalise("关中平原增速高于900%的城市，它们的2021年排名"))
    res = city_query(
        cluster="关中平原城市群", select="filter", condition="gt", threshold=900, report="rank_2021"
    )
    assert "没有" in word_city_query(q, "关中平原城市群", res)


# ---------------------------------------------------------------- calculations on typed-in data


def _run(question: str) -> str:
    q = calc_query(normalise(question))
    assert q is not None
    plan = calc_plan(q)
    assert plan is not None and plan.compose is not None
    return plan.compose([])


def test_expert_weights_with_steps():
    text = _run("两位专家给甲、乙两个指标打分：专家1为4、1，专家2为3、2。各指标权重是多少？保留三位小数")
    assert "7/10 = 0.700" in text and "3/10 = 0.300" in text


def test_weights_then_composite():
    text = _run(
        "三位专家对X、Y打分：专家一5、5，专家二5、5，专家三5、5。先算权重，再对分指数100、300加权，综合指数是多少"
    )
    assert "= 200。" in text


def test_normalise_percent_rounding():
    assert "13.00%" in _run("原始值为520，基期全国加总为4000，求去量纲值（百分比，保留两位小数）")


def test_normalise_sample_total_and_focus():
    text = _run("样本只有甲、乙两个城市，基期值分别为30、70。乙城市的去量纲值？")
    assert "70 ÷ 100 = 0.7（即70%）" in text and "30 ÷" not in text


def test_two_year_growth_steps():
    text = _run("指数2020Q1为200，2021Q1为300，2022Q1为330，求两年平均的同比增速")
    assert "50.00%" in text and "10.00%" in text and "÷ 2 = 30%" in text


def test_weighted_average():
    assert "= 230。" in _run("三个分指数分别为100、200、300，权重依次为0.2、0.3、0.5，加权综合指数是多少")


# ---------------------------------------------------------------- what the tables do not hold


def test_scope_refusal_names_the_nearest_figure():
    q = table_query(normalise("西安22年Q1单季度同比增速多少"))
    plan = scope_plan(q, "西安市")
    assert plan is not None and not plan.answerable
    ans = route("西安22年Q1单季度同比增速多少")
    xian = OVERVIEW[OVERVIEW["city"] == "西安市"].iloc[0]
    assert ans is not None and not ans.answerable and f"{xian['growth']}%" in ans.answer


def test_city_plan_caveats():
    plan = city_plan(table_query(normalise("长三角增速最高的城市2021年排第几")), "长三角城市群")
    assert any("两个同比增速的均值" in c for c in plan.caveats)


# ---------------------------------------------------------------- prose support


@pytest.mark.parametrize(
    "question, sentence, reason",
    [
        ("这家企业2021年营收有多少", "该企业2021年积累了4800万粉丝。", "measure"),
        ("2021年全年的线上GMV是多少", "2021上半年，线上GMV为30亿元。", "period"),
        ("2020年数字经济规模是多少", "2022年数字经济规模为50万亿元。", "year"),
        ("请了多少位专家评审", "每位专家给出1分至5分。", "count"),
    ],
)
def test_unsupported_sentences(question, sentence, reason):
    assert verify.unsupported(question, sentence, "", amount=True).startswith(reason)


@pytest.mark.parametrize(
    "question, sentence",
    [
        ("2021年上半年线上GMV是多少", "2021上半年，线上GMV为30.37亿元。"),
        ("腾讯数字生态创造了多少个新职业", "数字生态创造了147个新职业。"),
        ("健康码上线100天后有多少次亮码", "创造亮码260亿次的奇迹。"),
        ("2022年数字经济规模多大", "2022年全国数字经济总规模约50万亿元。"),
    ],
)
def test_supported_sentences(question, sentence):
    assert verify.unsupported(question, sentence, "", amount=True) == ""


def test_place_conflict():
    assert verify.place_conflict("深圳2021年核心产业增加值多少", "2021年，江苏核心产业增加值") == "深圳市"
    assert verify.place_conflict("美国2022年数字经济体量", "2022年我国数字经济体量") == "美国"
    assert verify.place_conflict("深圳有多少5G基站", "深圳已累计建成5G基站5.1万个") == ""


def test_caveats_travel_with_table_answers(engine):
    from bot.core import prompts

    ans = engine.ask("成渝增速第一的是哪座城市？")
    assert prompts.CAVEAT_GROWTH in ans.caveats and prompts.CAVEAT_RANK_IN_CLUSTER in ans.caveats
    assert engine.ask("产业互联网是什么？").caveats == []


@pytest.mark.parametrize(
    "question, needle",
    [
        ("某市2020Q1、2021Q1、2022Q1的指数依次为80、120、150，按报告口径同比增速多少", "37.5%"),
        ("某地2021年一季度和2022年一季度的指数依次是120和150，同比增长多少", "25%"),
    ],
)
def test_growth_from_listed_periods(question, needle):
    assert needle in _run(question)
