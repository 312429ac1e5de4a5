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


def _cluster(name: str) -> pd.DataFrame:
    return OVERVIEW[OVERVIEW["cluster"] == name]


@pytest.mark.parametrize(
    ("question", "cluster", "pick", "column"),
    [
        (
            "中原城市群增速高于150%的那些城市，平均增速是多少",
            "中原城市群",
            lambda d: d["growth"] > 150,
            "growth",
        ),
        ("长三角排名下降的城市平均降了几位", "长三角城市群", lambda d: d["rank_change"] < 0, "rank_change"),
        (
            "长江中游名次上升的城市平均上升多少位？",
            "长江中游城市群",
            lambda d: d["rank_change"] > 0,
            "rank_change",
        ),
    ],
)
def test_mean_over_a_filtered_set(question, cluster, pick, column):
    df = _cluster(cluster)
    expected = df[pick(df)][column].mean()
    ans = route(question)
    assert ans is not None and ans.answerable
    assert f"{expected:.2f}".rstrip("0").rstrip(".") in ans.answer.replace("%", "")


def test_the_same_mean_in_two_clusters_and_their_difference():
    a, b = _cluster("成渝城市群")["growth"].mean(), _cluster("京津冀城市群")["growth"].mean()
    ans = route("成渝城市群增速的平均值比京津冀城市群高多少个百分点？保留两位小数")
    assert ans is not None and "共" not in ans.answer.split("。")[0][:4]  # "多少个百分点" is not a count
    assert f"{abs(round(a, 2) - round(b, 2)):.2f}" in ans.answer
    assert f"{a:.2f}%" in ans.answer and f"{b:.2f}%" in ans.answer


def test_clusters_whose_top3_lack_an_industry():
    top3 = tables_readonly()["cluster_top3_industries"]
    lacking = set(top3["cluster"]) - set(top3[top3["industry"] == "工业"]["cluster"])
    ans = route("行业前三里不含工业的城市群有哪些？")
    assert ans is not None and f"共{len(lacking)}个" in ans.answer
    assert all(c in ans.answer for c in lacking)
    having = set(top3["cluster"]) - lacking
    assert not any(f"{c}（NO" in ans.answer for c in having)


def test_empty_rank_change_filter_says_how_the_cities_moved():
    unchanged = [c for c, d in OVERVIEW.groupby("cluster") if (d["rank_change"] == 0).all()]
    assert unchanged, "a cluster whose ranks did not move"
    ans = route(f"{unchanged[0]}哪些城市名次下降了")
    assert ans is not None and "没有" in ans.answer and "均没有变化" in ans.answer


def test_compound_table_question_keeps_its_subject_and_its_pronoun():
    row = _cluster("京津冀城市群").sort_values("rank_2022Q1").iloc[1]
    ans = route("京津冀2022Q1第二名是谁？它的增速呢？")
    assert ans is not None and row["city"] in ans.answer and f"{row['growth']}%" in ans.answer
    city = _cluster("成渝城市群").iloc[3]
    ans = route(f"{city['city']}在成渝排第几？同比增速又是多少？")
    assert ans is not None and f"{city['growth']}%" in ans.answer


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


def test_thousands_separators_and_name_value_lists():
    text = _run("某指标全国基期加总为40,000，A市原始值2,000、B市1,000、C市600，求B市的去量纲值")
    assert "1000 ÷ 40000 = 0.025" in text and "A市" not in text


def test_weight_as_a_percentage_of_the_asked_indicator():
    text = _run(
        "三位专家给规模、效率、质量打分：甲 5/4/3，乙 4/4/2，丙 3/5/2。效率的权重是多少？百分比，保留1位小数"
    )
    assert "效率：13/32 = 40.6%" in text and "规模" not in text


def test_weights_then_normalised_values_then_composite():
    text = _run(
        "2位专家给3个指标打分，专家A：4、4、2；专家B：2、4、4。某市三项原始值100、50、30，"
        "对应基期全国加总1000、500、600，先赋权、再标准化、再加权求综合值，保留4位小数"
    )
    # weights 0.3 / 0.4 / 0.3; normalised 0.1 / 0.1 / 0.05
    assert "= 0.0850" in text


def test_months_and_days_are_not_calculation_inputs():
    assert calc_query(normalise("2022年3-6月的同比增速是多少")) is None
    assert route("2021年1-5月软件业务收入同比增速多少？") is None


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
        ("某平台2022年三季度交易额多少", "2022年一季度，某平台交易额为12亿元。", "period"),
        ("某平台2022Q3交易额多少", "2022年一季度，某平台交易额为12亿元。", "period"),
        ("某公司2021年全年营收多少", "截至2021年6月底，某公司营收达到3亿元。", "period"),
        ("某公司2021年全年销售额多少", "2021年，该公司单周销售额突破1亿元。", "period"),
        ("该市2022年新增了多少个数据中心", "2022年该市累计建成数据中心12个。", "flow"),
        ("这个项目是哪一年启动的", "该项目由政府与企业共同发起，覆盖三个县。", "date"),
        ("榜单上排第三的是哪家企业", "位列榜单第一的是甲公司，其次是乙公司。", "ordinal"),
        ("某行业2023年1-6月累计增速多少", "2023年1-4月份累计同比增长3%。", "period"),
        ("2019年全省研发投入强度是多少", "按照要求，到2019年，全省研发投入强度要达到2.5%。", "target"),
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
        ("某平台2022Q1交易额多少", "2022年一季度，某平台交易额为12亿元。"),
        ("这个项目是哪一年启动的", "该项目于2019年3月启动。"),
        ("榜单上排第三的是哪家企业", "排名第三的是丙公司，交易额12亿元。"),
        ("该市2022年新增了多少个数据中心", "2022年该市新增数据中心3个，累计12个。"),
        ("2020年1-5月平台节省了多少成本", "2020 年 1 月至 5月期间，平台节约成本达到 7 亿元。"),
        ("2019年全省研发投入强度的目标是多少", "按照要求，到2019年，全省研发投入强度要达到2.5%。"),
    ],
)
def test_supported_sentences(question, sentence):
    assert verify.unsupported(question, sentence, "", amount=True) == ""


def test_place_conflict():
    assert verify.place_conflict("深圳2021年核心产业增加值多少", "2021年，江苏核心产业增加值") == "深圳市"
    assert verify.place_conflict("美国2022年数字经济体量", "2022年我国数字经济体量") == "美国"
    assert verify.place_conflict("深圳有多少5G基站", "深圳已累计建成5G基站5.1万个") == ""
    # a national figure is not a province's
    assert (
        verify.place_conflict("我国2020年数字经济增加值多少", "2020年，广东数字经济增加值为5万亿元") == "中国"
    )
    assert verify.place_conflict("我国2020年数字经济增加值多少", "2020年我国数字经济增加值39.2万亿元") == ""


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


def test_a_measure_is_searched_by_its_other_words():
    from bot.answer.offline import measure_synonyms

    assert "节约" in measure_synonyms("上云以后省了多少钱") and "营业收入" in measure_synonyms("去年营收多少")
    assert measure_synonyms("这个项目在哪里") == ""


def test_question_for_a_sentence_asks_its_figure():
    from bot.answer.offline import question_for

    q, figure = question_for("后来情况平稳——截至2021年3月底，某平台的单日订单已经突破20万单。")
    assert q == "截至2021年3月底，某平台的单日订单已经突破多少？" and figure == "20万单"
    assert question_for("这是一个没有数字的句子，只谈方法。") == ("", "")


def test_a_refusal_names_the_closest_sentence_and_a_question_the_corpus_answers(engine):
    from bot.core import prompts

    ans = engine.ask("永辉到家2020年一整年的销售额是多少", use_llm=False)
    assert not ans.answerable
    assert "最接近的是《" in ans.answer and "——" in ans.answer
    suggested = ans.answer.rpartition(prompts.REFUSAL_SUGGEST.format(question=""))[2].strip()
    assert suggested.endswith("？")
    follow = engine.ask(suggested, use_llm=False)
    assert follow.answerable and follow.citations
    assert ans.related and ans.related[0].quote in ans.answer  # the closest sentence is the first related
    # a question with nothing near it gets the plain refusal
    assert engine.ask("月球背面有几家奶茶店？", use_llm=False).answer == prompts.OFFLINE_REFUSAL


def test_clauses_keep_brackets_whole():
    from bot.answer.offline import clauses_of

    assert clauses_of("而B2C（Business to Consumer，企业到消费者）的模式，是一条路径——也是起点。") == [
        "而B2C（Business to Consumer，企业到消费者）的模式",
        "是一条路径",
        "也是起点",
    ]


def test_a_long_quote_opens_with_the_clause_that_answers(engine):
    ans = engine.ask("在AI质检的帮助下，富驰高科的缺陷检出率能到多少？", use_llm=False)
    assert ans.answerable
    first, _, rest = ans.answer.partition("\n")
    assert "99.9%" in first and len(first) < 30 and rest.startswith("根据《")


def test_an_authors_essay_and_then_their_position(engine):
    ans = engine.ask("邬贺铨在这本书里写的文章叫什么？", use_llm=False)
    assert ans.answerable and "《问路产业互联网》" in ans.answer
    both = engine.ask("汤道生那篇文章的标题是什么，他在哪里工作？", use_llm=False)
    assert "《产业互联网数字化进程" in both.answer and "腾讯高级执行副总裁" in both.answer


@pytest.mark.parametrize(
    ("question", "needle"),
    [
        ("某地两年同比增速均值为90%，2021Q1的同比增速是120%，2022Q1的同比增速是多少？", "= 60%"),
        ("两年均值口径下某市增速为50%，其2022年一季度同比为30%，那2021年一季度同比是多少", "= 70%"),
        ("某市同比增速（两年均值）为100%，2020Q1指数为3，2021Q1同比增长50%，推算它2022Q1的指数", "= 11.25"),
    ],
)
def test_one_years_rate_from_the_two_year_mean(question, needle):
    ans = route(question)
    assert ans is not None and ans.answerable and needle in ans.answer


def test_one_years_rate_from_a_named_citys_mean_in_the_tables():
    row = OVERVIEW[OVERVIEW["city"] == "洛阳市"].iloc[0]
    ans = route("洛阳的两年均值增速就是报告里的数字，假设它2021Q1的单年同比为150%，2022Q1单年同比是多少？")
    assert ans is not None and f"{row['growth']}%" in ans.answer
    assert f"= {2 * row['growth'] - 150:g}%" in ans.answer
    assert any(c.line == int(row["line_growth"]) for c in ans.citations)


def test_shares_of_two_regions_by_the_reports_definition():
    ans = route("甲省整体指数为50，其中金融6；乙省整体40、金融6。哪个省的金融占比高？高多少个百分点？")
    assert ans is not None
    assert (
        "6 ÷ 50 = 12%" in ans.answer
        and "6 ÷ 40 = 15%" in ans.answer
        and "乙省的金融占比更高，高3个百分点" in ans.answer
    )


def test_a_sentence_about_another_things_measure_ranks_lower():
    anchors = verify.measure_anchors("2021年全省数字经济规模是多少")
    assert ("全省数字经济", "规模") in anchors
    assert verify.anchor_fit(anchors, "2021年全省数字经济规模达到5万亿元") == 1
    assert verify.anchor_fit(anchors, "2021年全省产业数字化规模达到4万亿元") == -1
    assert verify.anchor_fit(anchors, "2021年，全省数字经济增长较快，规模达到5万亿元") == 0


def test_score_rows_typed_with_spaces_one_row_per_indicator():
    text = _run("打分表（每行一个指标，依次为专家1~3）：规模 5 4 3；效率 3 3 2。效率的权重是多少")
    assert "效率：8/20 = 0.4" in text and "规模" not in text


def test_weights_then_composite_without_a_then_word():
    text = _run("两位专家给X、Y打分：甲是4,2；乙是2,4。分指数为100、200，按专家赋权加权后的综合指数是多少")
    assert "= 150" in text


def test_a_weight_from_two_sums():
    text = _run("4位专家打分，效率这一项总共得了12分，所有得分总分是40，效率的权重？")
    assert "效率：12/40 = 0.3" in text


def test_last_k_and_a_position_past_the_top3():
    df = _cluster("京津冀城市群").sort_values("growth")
    ans = route("京津冀增速最后两名的平均增速")
    assert ans is not None and f"{df['growth'].head(2).mean():.2f}".rstrip("0").rstrip(".") in ans.answer
    ans = route("北部湾城市群行业累计排名第5是哪个行业")
    assert ans is not None and not ans.answerable and "Top3" in ans.answer


def test_a_later_clause_compares_the_answer_with_a_named_city():
    df = _cluster("长三角城市群")
    top = df.sort_values("growth").iloc[-1]
    other = df[df["city"] == "南京市"].iloc[0]
    ans = route("长三角增速第一的是哪座城市？它比南京的增速高多少个百分点？")
    assert ans is not None and f"{round(top['growth'] - other['growth'], 1):g}个百分点" in ans.answer


def test_a_pronoun_in_a_clause_naming_the_cluster_is_the_answered_city():
    df = _cluster("中原城市群")
    first = df[df["rank_2022Q1"] == 1].iloc[0]
    ans = route("中原2022Q1排名第一的是谁？它在中原增速榜上排第几？")
    assert ans is not None and f"排名第{int(first['growth_rank'])}" in ans.answer


@pytest.mark.parametrize(
    ("question", "sentence", "reason"),
    [
        ("甲市已建成基站2.3万个，那乙市呢？", "目前甲市已累计建成基站2.3万个。", "premise"),
        ("这本书是哪家出版社出的", "编辑们为本书的出版做了大量工作。", "kind"),
    ],
)
def test_premise_and_kind(question, sentence, reason):
    assert verify.unsupported(question, sentence, "", amount=True).startswith(reason)


def test_the_asked_clause_decides_the_place():
    assert (
        verify.place_conflict("深圳已有5G基站5.1万个，广州有多少个", "深圳已累计建成5G基站5.1万个")
        == "广州市"
    )
    assert not verify.restates_premise("上线100天后，一共亮码多少次？", "上线100天，亮码260亿次")


def test_how_many_days_is_an_amount_and_a_rank_label_is_not():
    from bot.answer.extract import asks_amount, states_amount

    assert asks_amount("交付时间缩短了几天？") and asks_amount("要花几小时")
    assert not states_amount("2021全年基础设施指数TOP10省份")


def test_a_follow_up_about_a_new_subject_needs_that_subject(engine):
    ans = engine.ask("移动支付方面微信支付日均交易超过10亿笔，那银联云闪付呢？", use_llm=False)
    assert not ans.answerable and "最接近的是《" in ans.answer


def test_the_direct_line_states_a_new_figure_not_the_users(engine):
    ans = engine.ask("健康码推出100天以后，累计亮码次数是多少？", use_llm=False)
    first = ans.answer.partition("\n")[0]
    assert ans.answerable and "亿" in first and "100天" not in first


def test_except_a_which_other_b():
    q = "除了甲事业部，公司当年还成立了哪个事业部？"
    assert verify.only_the_excepted(q, "公司当年成立了全新的事业部——甲事业部。")
    assert not verify.only_the_excepted(q, "公司当年成立了乙事业部和甲事业部。")


def test_one_character_province_names_are_expanded_before_splitting():
    from bot.answer.offline import _subquestions, expand_abbreviations

    assert expand_abbreviations("沪苏浙三省市的数字经济规模") == "上海、江苏和浙江的数字经济规模"
    assert _subquestions("粤闽两省的核心产业增加值分别是多少") == [
        "广东的核心产业增加值是多少",
        "福建的核心产业增加值是多少",
    ]


# ---------------------------------------------------------------- the province x industry tables

PROVINCE_TABLE = tables_readonly()["province_industry_rank"]
PROVINCE_INDUSTRIES = sorted(PROVINCE_TABLE["industry"].unique())
PROVINCE_NAMES = sorted(PROVINCE_TABLE["province"].unique())


@settings(max_examples=120, deadline=None)
@given(
    industry=st.one_of(st.none(), st.sampled_from(PROVINCE_INDUSTRIES)),
    measure=st.one_of(st.none(), st.sampled_from(["share", "growth"])),
    provinces=st.one_of(st.none(), st.lists(st.sampled_from(PROVINCE_NAMES), min_size=1, max_size=3)),
    select=st.sampled_from(["all", "nth", "top_k", "both"]),
    n=st.integers(1, 10),
    aggregate=st.sampled_from(["list", "count"]),
)
def test_province_query_matches_pandas(industry, measure, provinces, select, n, aggregate):
    from tools.compose import province_query

    df = PROVINCE_TABLE
    if industry:
        df = df[df["industry"] == industry]
    if provinces:
        df = df[df["province"].isin(provinces)]
    if select == "both":
        pairs = df.groupby(["industry", "province"])["measure"].nunique()
        both = {k for k, v in pairs.items() if v == 2}
        mask = [(i, p) in both for i, p in zip(df["industry"], df["province"], strict=True)]
        df = df[pd.Series(mask, index=df.index, dtype=bool)]
    if measure:
        df = df[df["measure"] == measure]
    if select == "nth":
        df = df[df["rank"] == n]
    elif select == "top_k":
        df = df[df["rank"] <= n]
    res = province_query(
        industry=industry, measure=measure, provinces=provinces, select=select, n=n, aggregate=aggregate
    )
    got = {(r["industry"], r["measure"], r["rank"], r["province"]) for r in res.rows}
    expected = set(zip(df["industry"], df["measure"], df["rank"], df["province"], strict=True))
    assert got == expected and len(res.rows) == len(df)
    assert sorted(p["line"] for p in res.provenance) == sorted(int(x) for x in df["line"])
    assert res.data["value"] == (len(df) if aggregate == "count" else None)


def test_a_provinces_industries_by_measure_and_their_count():
    df = PROVINCE_TABLE[(PROVINCE_TABLE["province"] == "浙江") & (PROVINCE_TABLE["measure"] == "growth")]
    ans = route("浙江一共在几个行业的增速TOP10里？")
    assert ans is not None and f"共{df['industry'].nunique()}个" in ans.answer
    assert all(f"{i}第{r}" in ans.answer for i, r in zip(df["industry"], df["rank"], strict=True))
    share = PROVINCE_TABLE[(PROVINCE_TABLE["province"] == "广东") & (PROVINCE_TABLE["measure"] == "share")]
    ans = route("广东进了哪些行业的占比前十？")
    assert ans is not None and "增速" not in ans.answer.split("：")[1]
    assert all(i in ans.answer for i in share["industry"])


def test_a_later_clause_asks_about_the_industry_an_earlier_one_answered():
    top3 = tables_readonly()["cluster_top3_industries"]
    first = top3[(top3["cluster"] == "长三角城市群") & (top3["position"] == 1)].iloc[0]["industry"]
    best = PROVINCE_TABLE[
        (PROVINCE_TABLE["industry"] == first)
        & (PROVINCE_TABLE["measure"] == "share")
        & (PROVINCE_TABLE["rank"] == 1)
    ].iloc[0]["province"]
    ans = route("长三角城市群行业Top3的NO.1是什么？该行业占比排名第一的省份是哪个？")
    assert ans is not None and first in ans.answer and best in ans.answer


def test_an_overall_figure_is_a_figure_not_a_count_of_quarters(engine):
    ans = engine.ask("腾讯研究院的数字化转型指数在２０２２年Ｑ１达到了多少？", use_llm=False)
    assert ans.answerable and "299.2" in ans.answer.partition("\n")[0]


def test_figures_in_words_still_count_as_figures():
    from bot.answer.extract import states_amount

    assert states_amount("占比约三成", digits_only=True) and not states_amount("九个季度中", digits_only=True)


def test_another_b_after_a_part_that_named_one():
    lead, part = "公司哪年成立了甲事业部？", "同时成立的另一个事业部是什么？"
    excepted = verify.excepted_by_lead(part, lead)
    assert excepted.endswith("甲事业部")
    assert verify.only_the_excepted(part, "那一年公司成立了全新的事业部——甲事业部。", excepted)
    assert not verify.only_the_excepted(part, "那一年公司成立了乙事业部和甲事业部。", excepted)
    assert verify.only_the_excepted(part, "那一年公司成立了研究院。", excepted)


def test_this_book_is_the_book_the_question_names(engine):
    docs = engine.retriever.named_docs("《一本别的书》这本书讲了什么")
    assert docs == []
    assert engine.retriever.named_docs("这本书讲了什么") != []  # the corpus book, when no other book is named


def test_a_question_about_a_named_work_needs_that_work(engine):
    ans = engine.ask("《从连接到激活：数字化与中国产业新循环》的出版社是哪家？", use_llm=False)
    assert not ans.answerable
    ans = engine.ask("《问路产业互联网》一文提到了哪些问题？", use_llm=False)
    assert ans.answerable


# ---------------------------------------------------------------- the 11 clusters' industry Top3 table

TOP3 = tables_readonly()["cluster_top3_industries"]


@settings(max_examples=80, deadline=None)
@given(
    industry=st.sampled_from(sorted(TOP3["industry"].unique())),
    position=st.one_of(st.none(), st.integers(1, 3)),
    exclude=st.booleans(),
)
def test_clusters_with_industry_matches_pandas(industry, position, exclude):
    from tools.industries import clusters_with_industry

    at = TOP3["industry"] == industry
    if position is not None:
        at &= TOP3["position"] == position
    having = set(TOP3[at]["cluster"])
    expected = set(TOP3["cluster"]) - having if exclude else having
    res = clusters_with_industry(industry, position=position, exclude=exclude)
    assert {r["cluster"] for r in res.rows} == expected
    if exclude:  # each excluded cluster comes with its whole Top3
        assert len(res.rows) == 3 * len(expected)
    assert {p["line"] for p in res.provenance} == {r["line"] for r in res.rows}


@settings(max_examples=30, deadline=None)
@given(cluster=st.sampled_from(sorted(TOP3["cluster"].unique())))
def test_cluster_top_industries_matches_pandas(cluster):
    from tools.industries import cluster_top_industries

    res = cluster_top_industries(cluster)
    expected = TOP3[TOP3["cluster"] == cluster].sort_values("position")
    assert [r["industry"] for r in res.rows] == list(expected["industry"])
