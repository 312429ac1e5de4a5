"""Classes of table questions, each in several phrasings, checked against the parsed tables (pandas):
choosing cities by the 排名变化 column in everyday verbs; cities that changed or swapped places; a list and
then a statistic of exactly those cities; a province-table question whose later part omits the industry or
the place."""

from __future__ import annotations

import pandas as pd
import pytest

from bot.answer.route import RoutedAnswer, route
from bot.answer.understand import asks_of_answer, normalise, split_parts, table_query
from tools.queries import change_text
from tools.question import parse
from tools.tables import tables_readonly

OVERVIEW = tables_readonly()["city_overview"]
PROVINCES = tables_readonly()["province_industry_rank"]
CLUSTERS = list(dict.fromkeys(OVERVIEW["cluster"]))


def ask(question: str) -> RoutedAnswer:
    result = route(question)
    assert result is not None, f"not routed: {question}"
    return result


def cluster(name: str) -> pd.DataFrame:
    return OVERVIEW[OVERVIEW["cluster"] == name]


def short(name: str) -> str:
    return name.removesuffix("城市群")


def move(row: pd.Series) -> str:
    """A city's move as answers state it: both ranks and the change column."""
    return f"第{int(row['rank_2021'])}→第{int(row['rank_2022Q1'])}，{change_text(int(row['rank_change']))}"


# ---------------------------------------------------------------- 1. the largest move, in everyday verbs

FELL = [
    "{c}里哪座城市的名次跌得最厉害？",
    "{c}谁的位次滑落得最多",
    "{c}中排名下滑得最狠的城市是哪个",
    "2022Q1{c}哪个城市掉的名次最多",
]
ROSE = [
    "{c}里位次提升得最明显的是谁",
    "{c}排名涨得最多的是哪座城市",
    "{c}哪个城市名次攀升最快",
    "{c}哪个城市排名升了最多",
]


def _largest(df: pd.DataFrame, sign: int) -> pd.DataFrame:
    moved = df[df["rank_change"] * sign > 0]
    if moved.empty:
        return moved
    edge = moved["rank_change"].max() if sign > 0 else moved["rank_change"].min()
    return moved[moved["rank_change"] == edge]


@pytest.mark.parametrize("template", FELL + ROSE)
@pytest.mark.parametrize("name", CLUSTERS)
def test_the_largest_move_by_the_change_column(template, name):
    sign = -1 if template in FELL else 1
    df = cluster(name)
    expected = _largest(df, sign)
    ans = ask(template.format(c=short(name)))
    if expected.empty:
        assert "没有" in ans.answer
        return
    for _, row in expected.iterrows():
        assert f"{row['city']}（{move(row)}）" in ans.answer
    others = df[~df["city"].isin(expected["city"])]
    assert not any(f"{c}（" in ans.answer for c in others["city"])


@pytest.mark.parametrize(
    "question",
    ["哪座城市的排名掉得最多", "所有城市中谁的名次下降幅度最大", "哪个城市位次退得最狠？"],
)
def test_the_largest_fall_across_the_seven_clusters(question):
    expected = _largest(OVERVIEW, -1)
    ans = ask(question)
    assert len(expected) >= 1
    for _, row in expected.iterrows():
        assert f"{row['city']}（{row['cluster']}，{move(row)}）" in ans.answer


@pytest.mark.parametrize(
    ("question", "sign"),
    [
        ("{c}名次滑落最多的是哪个城市？滑了几名", -1),
        ("{c}里哪座城市的排位跌得最凶，跌了多少名", -1),
        ("{c}哪座城市名次提升最多？提升了几位", 1),
        ("{c}哪个城市排名进步最大？它前进了几位", 1),
    ],
)
def test_how_many_places_is_answered_with_the_number(question, sign):
    name = next(c for c in CLUSTERS if len(_largest(cluster(c), sign)) == 1)
    row = _largest(cluster(name), sign).iloc[0]
    ans = ask(question.format(c=short(name)))
    amount = change_text(int(row["rank_change"]))
    assert f"{row['city']}（{move(row)}）" in ans.answer  # the number, with both ranks
    assert "前" not in ans.answer.split("。")[0]  # no top-N listing
    if "？" in question:  # a part of its own is answered too: the city's 2022Q1 rank and its move
        assert f"{row['city']}在{name}2022Q1排名第{int(row['rank_2022Q1'])}" in ans.answer
        assert ans.answer.count(amount) == 2


def test_a_named_citys_move_is_not_a_filter():
    row = cluster("中原城市群").sort_values("rank_change").iloc[-1]
    for q in (f"{row['city']}在中原城市群排名上升了几位", f"中原城市群里{row['city']}名次涨了多少名"):
        ans = ask(q)
        assert f"{change_text(int(row['rank_change']))}" in ans.answer
        assert "上升的城市共" not in ans.answer  # not the list of every city that rose


# ---------------------------------------------------------------- 2. cities that changed or swapped places


def _pairs(df: pd.DataFrame) -> list[tuple[pd.Series, pd.Series]]:
    """Pairs that exchanged places by the change column: 2022Q1 rank + change is the place held before."""
    moved = df[df["rank_change"] != 0]
    before = {(r["cluster"], r["rank_2022Q1"] + r["rank_change"]): r for _, r in moved.iterrows()}
    out = []
    for _, r in moved.iterrows():
        o = before.get((r["cluster"], r["rank_2022Q1"]))
        if (
            o is not None
            and r["rank_2022Q1"] + r["rank_change"] == o["rank_2022Q1"]
            and r["city"] < o["city"]
        ):
            out.append((r, o))
    return out


SWAPS = ["{c}有没有两座城市的名次调换了", "{c}有哪些城市互相交换了位次", "{c}里哪几座城市跟别的城市换位了"]


@pytest.mark.parametrize("template", SWAPS)
@pytest.mark.parametrize("name", CLUSTERS)
def test_swapped_pairs(template, name):
    df = cluster(name)
    pairs = _pairs(df)
    ans = ask(template.format(c=short(name)))
    if not pairs:
        assert "没有两两互换" in ans.answer
        for _, row in df[df["rank_change"] != 0].iterrows():  # with every city that moved
            assert f"{row['city']}（{move(row)}）" in ans.answer
        return
    for a, b in pairs:
        assert a["city"] in ans.answer and b["city"] in ans.answer
        for r in (a, b):
            step = f"第{int(r['rank_2021'])}→第{int(r['rank_2022Q1'])}、{change_text(int(r['rank_change']))}"
            assert f"{r['city']}{step}" in ans.answer
    unpaired = set(df["city"]) - {r["city"] for pair in pairs for r in pair}
    assert not any(c in ans.answer for c in unpaired)


def test_a_swap_stated_by_the_change_column_keeps_the_reports_note():
    inconsistent = OVERVIEW[OVERVIEW["rank_2021"] - OVERVIEW["rank_2022Q1"] != OVERVIEW["rank_change"]]
    name = inconsistent["cluster"].iloc[0]
    assert _pairs(cluster(name)), "the change column pairs two cities"
    ans = ask(f"{short(name)}有哪些城市名次颠倒了")
    assert "不一致" in ans.answer and ans.caveats


@pytest.mark.parametrize(
    "template",
    ["{c}排名有变动的城市有哪些", "{c}哪些城市的名次较上年发生了变化", "{c}位次有升降的城市是哪些"],
)
@pytest.mark.parametrize("name", CLUSTERS)
def test_cities_whose_rank_changed(template, name):
    df = cluster(name)
    moved = df[df["rank_change"] != 0]  # the change column as the report states it
    ans = ask(template.format(c=short(name)))
    if moved.empty:
        assert "没有" in ans.answer
        return
    assert f"共{len(moved)}个" in ans.answer
    for _, row in moved.iterrows():
        assert f"{row['city']}（{move(row)}）" in ans.answer
    assert not any(f"{c}（" in ans.answer for c in df[df["rank_change"] == 0]["city"])


@pytest.mark.parametrize(
    "template", ["{c}名次没有变的城市有多少个", "{c}排名维持不动的城市数量", "{c}有几座城市位次不变"]
)
def test_how_many_kept_their_rank(template):
    for name in CLUSTERS:
        n = int((cluster(name)["rank_change"] == 0).sum())
        assert f"共{n}个" in ask(template.format(c=short(name))).answer


# ---------------------------------------------------------------- 3. a list, then a statistic of those cities


def _below(name: str, t: float) -> pd.DataFrame:
    return cluster(name)[cluster(name)["growth"] < t]


def _above(name: str, t: float) -> pd.DataFrame:
    return cluster(name)[cluster(name)["growth"] > t]


@pytest.mark.parametrize(
    ("question", "pick", "stat"),
    [
        ("{c}有哪些城市增速在{t}%以下？这几座城市增速的均值是多少", _below, "mean"),
        ("{c}同比增速不到{t}%的城市都有哪些？算一下平均增速", _below, "mean"),
        ("{c}增速超出{t}%的城市是哪些？把它们的增速相加是多少", _above, "sum"),
        ("{c}哪些城市增速超过{t}%？增速合计多少", _above, "sum"),
        ("{c}增速不到{t}%的城市列一下？当中增速最快的是哪座", _below, "max"),
        ("列出{c}增速高于{t}%的城市；它们中间最慢的是谁", _above, "min"),
    ],
)
@pytest.mark.parametrize("name", CLUSTERS)
def test_a_statistic_of_the_listed_cities(question, pick, stat, name):
    median = float(cluster(name)["growth"].median())  # a round threshold with cities on both sides
    threshold = int(median // 10 * 10) if pick is _above else int(-(-median // 10) * 10)
    chosen = pick(name, threshold)
    assert len(chosen) >= 2
    ans = ask(question.format(c=short(name), t=threshold))
    listing = f"共{len(chosen)}个"
    assert ans.answer.count(listing) == 1  # the list once
    first = chosen.sort_values("growth").iloc[0]["city"]
    assert ans.answer.count(first) == (2 if stat == "min" else 1)
    growth = chosen["growth"]
    if stat in ("mean", "sum"):
        value = growth.mean() if stat == "mean" else growth.sum()
        assert f"（{len(chosen)}个）" in ans.answer and f"{value:.2f}%" in ans.answer
    else:
        row = chosen.loc[growth.idxmax() if stat == "max" else growth.idxmin()]
        assert f"其中同比增速{'最高' if stat == 'max' else '最低'}的城市：{row['city']}（" in ans.answer


def test_a_statistic_of_a_top_k_set():
    df = cluster("关中平原城市群").sort_values("growth", ascending=False).head(3)
    ans = ask("关中平原增速前三的城市是哪些？它们2021年排名平均是多少")
    assert f"{df['rank_2021'].mean():.2f}" in ans.answer


# ---------------------------------------------------------------- 4. province tables: a later part inherits


def _province(industry: str, measure: str, rank: int) -> str:
    df = PROVINCES
    return str(
        df[(df["industry"] == industry) & (df["measure"] == measure) & (df["rank"] == rank)]["province"].iloc[
            0
        ]
    )


@pytest.mark.parametrize(
    ("question", "industry", "first", "second"),
    [
        ("哪个省的零售数字化占比排名第一？增速排第一的又是哪个省", "零售", ("share", 1), ("growth", 1)),
        ("医疗占比第二的省份是哪个，增速第二呢", "医疗", ("share", 2), ("growth", 2)),
        ("电商占比最高的是哪个省？那增速最快的呢", "电商", ("share", 1), ("growth", 1)),
        ("行业工具在本省占比第三的是哪个省？行业工具增速第三的呢", "行业工具", ("share", 3), ("growth", 3)),
        ("金融占比排第一的是哪个省份，增速排第二的又是哪个", "金融", ("share", 1), ("growth", 2)),
        ("工业增速第一的省是哪个？占比第一呢", "工业", ("growth", 1), ("share", 1)),
    ],
)
def test_a_later_part_inherits_the_industry_and_asks_its_own_measure(question, industry, first, second):
    ans = ask(question)
    parts = ans.answer.split("。")
    assert _province(industry, *first) in parts[0] and industry in parts[0]
    assert _province(industry, *second) in parts[1] and industry in parts[1]
    words = {"share": "占比", "growth": "增速"}
    assert words[first[0]] in parts[0] and words[second[0]] in parts[1]


def test_a_later_part_inherits_the_named_province():
    ans = ask("浙江电商占比排第几？金融增速呢")
    df = PROVINCES[(PROVINCES["province"] == "浙江") & (PROVINCES["industry"] == "金融")]
    assert "浙江" in ans.answer.split("。")[1] and "金融" in ans.answer.split("。")[1]
    in_top10 = not df[df["measure"] == "growth"].empty
    assert ("未进入前10" in ans.answer) != in_top10


# ---------------------------------------------------------------- the parse underneath


@pytest.mark.parametrize(
    ("clause", "kind", "op"),
    [
        ("长三角谁的位次掉得最惨", "bottom", None),
        ("中原哪个城市排名跌了最多", "bottom", None),
        ("成渝名次退步幅度最大的城市", "bottom", None),
        ("京津冀哪个城市的排名升得最多", "top", None),
        ("珠三角位次涨得最猛的城市", "top", None),
        ("长江中游哪两座城市名次对调", "filter", "swapped"),
        ("京津冀哪些城市排名发生了变化", "filter", "changed"),
        ("京津冀排名没有变化的城市", "filter", "unchanged"),
        ("中原哪两个城市排名上升了", "filter", "rose"),
    ],
)
def test_selection_by_the_change_column(clause, kind, op):
    q = table_query(normalise(clause), parse(clause))
    assert q.selection.kind == kind and q.selection.by == "rank_change"
    assert (q.selection.condition.op if q.selection.condition else None) == op


def test_how_far_a_city_moved_is_a_measure_not_a_filter():
    for clause in ("掉了几位", "升了多少名", "跌了几个名次"):
        q = table_query(normalise(clause), parse(clause))
        assert q.measure == "rank_change" and q.selection.kind == "all" and asks_of_answer(clause)
    q = table_query(normalise("长三角排名下降的城市平均降了几位"), parse("长三角排名下降的城市平均降了几位"))
    assert q.selection.kind == "filter" and q.aggregate == "mean"


def test_parts_split_at_a_comma_before_a_follow_up():
    assert split_parts("金融占比第一的省是哪个，增速第一呢") == ["金融占比第一的省是哪个", "增速第一呢"]
    assert split_parts("占比第一的是哪个省，增速第一的又是哪个") == [
        "占比第一的是哪个省",
        "增速第一的又是哪个",
    ]
    assert split_parts("请问，长三角增速最快的是哪个呢") == ["请问，长三角增速最快的是哪个呢"]
    assert split_parts("京津冀增速最快的城市，其排名是多少") == ["京津冀增速最快的城市，其排名是多少"]


def test_what_a_later_clause_asks_of_the_earlier_answer():
    assert asks_of_answer("它们平均增速多少") and asks_of_answer("2021年排第几")
    assert not asks_of_answer("第六呢") and not asks_of_answer("那2021年呢")
    assert not asks_of_answer("长三角平均增速多少")  # names its own subject
