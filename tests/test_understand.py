"""The typed question parse: normaliser, measures, selections, aggregates, scope issues and data typed into
the question, each with several phrasings (colloquial, 市 omitted, Q1 / 一季度, full-width digits, spaces)."""

from __future__ import annotations

import pytest

from bot.answer.understand import Intent, calc_query, measure_of, normalise, split_selector, table_query


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("成渝２０２２Ｑ１排名第三的城市", "成渝2022q1排名第3的城市"),
        ("长三角 2022 年 第一季度 排名", "长三角2022年一季度排名"),
        ("前五名", "前5名"),
        ("倒数第二的城市是谁", "倒数第2的城市是谁"),
        ("關中平原", "关中平原"),
    ],
)
def test_normalise(raw, expected):
    assert normalise(raw) == expected


@pytest.mark.parametrize(
    "text, measure",
    [
        ("郑州2021年排第几", "rank_2021"),
        ("郑州22年一季度的名次", "rank_2022Q1"),
        ("郑州排名多少", "rank_2022Q1"),
        ("郑州的增速是多少", "growth"),
        ("郑州同比增长多少", "growth"),
        ("郑州增速排名第几", "growth_rank"),
        ("郑州排名上升了几位", "rank_change"),
        ("郑州名次变化", "rank_change"),
    ],
)
def test_measure(text, measure):
    assert measure_of(normalise(text)) == measure


@pytest.mark.parametrize(
    "question, kind, by, report, aggregate",
    [
        ("长三角增速最高的那个城市，2022Q1排第几？", "top", "growth", "rank_2022Q1", "value"),
        ("中原城市群增速最快的城市在2021年排在第几", "top", "growth", "rank_2021", "value"),
        ("京津冀排名下降的那个城市的增速是多少", "filter", "rank_change", "growth", "value"),
        ("成渝２０２２Ｑ１排第３的城市，增速是多少", "nth", "rank_2022Q1", "growth", "value"),
        ("珠三角排名倒数第一的城市增速多少", "nth", "rank_2022Q1", "growth", "value"),
        ("长江中游排名上升最多的城市，它的增速是多少", "top", "rank_change", "growth", "value"),
        ("关中平原前3名的城市，它们的增速平均是多少", "top_k", "rank_2022Q1", "growth", "mean"),
    ],
)
def test_selector_then_report(question, kind, by, report, aggregate):
    q = table_query(normalise(question))
    assert q.selector is not None, q
    assert (q.selection.kind, q.selection.by, q.measure, q.aggregate) == (kind, by, report, aggregate)
    assert q.intent == Intent.TABLE_AGGREGATE


@pytest.mark.parametrize(
    "question",
    [
        "长江中游增速最快与最慢的城市差几个百分点",
        "中原 增速 最快和最慢的城市差多少个百分点",
        "长三角城市群增速最低与最高的城市差距多大",
    ],
)
def test_range(question):
    q = table_query(normalise(question))
    assert (q.selection.kind, q.aggregate) == ("extremes", "range")
    assert q.selection.by == "growth"


@pytest.mark.parametrize(
    "question, op",
    [
        ("长三角排名下滑的城市一共几个", "fell"),
        ("成渝排名上升的城市有多少个", "rose"),
        ("关中平原排名没变的城市数量", "unchanged"),
    ],
)
def test_count_with_condition(question, op):
    q = table_query(normalise(question))
    assert q.selection.kind == "filter" and q.selection.condition is not None
    assert (q.selection.condition.op, q.aggregate) == (op, "count")


def test_plain_lookup_has_no_selector():
    for question in ("郑州2022Q1排第几", "成渝排名第五的城市", "西安的增速"):
        assert split_selector(normalise(question)) is None


@pytest.mark.parametrize(
    "question, issue",
    [
        ("惠州22年一季度单季同比增长多少", "single_quarter_growth"),
        ("武汉在全国范围内排第几", "national_rank"),
        ("西安全国排名第几", "national_rank"),
        ("郑州指数值是多少", "index_value"),
        ("湖南工业数字化占比是百分之多少", "share_value"),
    ],
)
def test_scope_issues(question, issue):
    assert issue in table_query(normalise(question)).scope


def test_no_scope_issue_for_answerable_questions():
    for question in ("惠州的同比增速是多少", "成都在成渝城市群排第几", "湖南工业占比排名第几"):
        assert table_query(normalise(question)).scope == []


# ---------------------------------------------------------------- data typed into the question


def test_expert_matrix_by_expert_rows():
    q = calc_query(
        normalise(
            "三位专家给A、B、C三个指标打分：专家1为5、3、4，专家2为4、4、3，专家3为5、2、4。A的权重是多少？"
        )
    )
    assert q is not None and q.operation == "weights"
    assert [v.values for v in q.inline.vectors] == [[5, 3, 4], [4, 4, 3], [5, 2, 4]]
    assert q.inline.names == ["a", "b", "c"] and q.inline.focus == "a"


def test_expert_matrix_in_parentheses_full_width():
    q = calc_query(normalise("专家打分（４，５，３）、（３，４，４）算权重，保留三位小数"))
    assert q is not None and q.operation == "weights" and q.digits == 3
    assert [v.values for v in q.inline.vectors] == [[4, 5, 3], [3, 4, 4]]


def test_normalise_with_total_and_percent():
    q = calc_query(normalise("原始值为520，基期全国加总为4000，求去量纲值，用百分比"))
    assert q is not None and q.operation == "normalise" and q.percent
    assert q.inline.total == 4000 and list(q.inline.scalars.values()) == [520]


def test_weighted_average_vectors():
    q = calc_query(
        normalise("三个分指数分别为100、200、300，权重依次为0.2、0.3、0.5，加权后的综合指数是多少")
    )
    assert q is not None and q.operation == "weighted"
    assert [v.values for v in q.inline.vectors] == [[100, 200, 300], [0.2, 0.3, 0.5]]


def test_two_year_growth_periods():
    q = calc_query(normalise("指数2020年一季度为100，2021Q1为150，2022Q1为180，两年同比增速均值是多少"))
    assert q is not None and q.operation == "growth"
    assert q.inline.periods == {"2020Q1": 100, "2021Q1": 150, "2022Q1": 180}


def test_no_calculation_without_data_or_operation():
    assert calc_query(normalise("报告用什么方法确定权重？")) is None
    assert calc_query(normalise("郑州排名第几")) is None


# ---------------------------------------------------------------- the one entry point


@pytest.mark.parametrize(
    ("question", "intent", "operation"),
    [
        ("两位专家给甲、乙打分：专家1为4、2，专家2为3、3。权重分别是多少", "calculation", "weights"),
        ("某地两年均值增速80%，2021Q1同比100%，2022Q1同比是多少", "calculation", "other_year"),
        ("甲省整体60，其中工业12；乙省整体30，工业9。哪个省工业占比高", "calculation", "shares"),
        ("德阳在成渝排第几", "table_lookup", None),
        ("中原增速高于150%的城市有几个", "table_aggregate", None),
        ("《问路产业互联网》是谁写的", "author", None),
        ("邬贺铨那篇文章的题目是什么", "author", None),
        ("产业互联网和消费互联网有什么区别", "prose", None),
        ("南阳在全国排第几", "out_of_scope", None),
    ],
)
def test_understand_types_the_question(question, intent, operation):
    from bot.answer.understand import understand

    q = understand(question)
    assert q.intent.value == intent and q.operation == operation


def test_understand_parts_of_a_compound_table_question():
    from bot.answer.understand import split_parts, understand

    q = understand("洛阳在中原城市群排第几？它的增速是多少？")
    assert len(q.parts) == 2 and q.parts[1].measure == "growth"
    assert split_parts("长三角增速前五的平均值？保留1位小数") == ["长三角增速前五的平均值，保留1位小数"]
