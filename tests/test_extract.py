"""Shares computed from numbers in passages (fast unit tests over hand-made passages)."""

from __future__ import annotations

import pytest

from bot.answer.extract import (
    answers_amount,
    asked_metrics,
    asks_amount,
    counted_unit,
    counts,
    share_from_passages,
    share_terms,
    states_share,
    years_in,
)
from bot.core.schema import Chunk, Hit


def _hits(*texts: str) -> list[Hit]:
    return [
        Hit(
            chunk=Chunk(chunk_id=f"d:{i}", doc_id="d", title="t", text=t, start=0, end=1),
            score=1.0,
            rank=i + 1,
        )
        for i, t in enumerate(texts)
    ]


@pytest.mark.parametrize(
    "question,terms",
    [
        ("2022年我国产业数字化规模占数字经济规模的比重是多少？", ("产业数字化规模", "数字经济规模")),
        ("公司创造的新职业中，萌芽期新职业占比是多少？", ("萌芽期新职业", "公司创造的新职业")),
        ("数字技术有哪些作用？", None),
    ],
)
def test_share_terms(question, terms):
    assert share_terms(question) == terms


def test_share_from_a_list_with_counts_after_names():
    hits = _hits(
        "某公司创造了 147 个新职业，包括稳定期新职业 14 个、成长期新职业 26 个、萌芽期新职业 107 个。"
    )
    share = share_from_passages("某公司创造的新职业中，萌芽期新职业占比是多少？", hits)
    assert share is not None and share.part.value == 107 and share.total.value == 147
    assert round(share.percent, 1) == 72.8


def test_total_given_in_the_question_and_units_respected():
    hits = _hits("门店连接了 180 万用户，其中有 110 万用户加入了用户社群。")
    share = share_from_passages("门店连接的180万用户中，加入用户社群的比例是多少？", hits)
    assert share is not None and round(share.percent, 1) == 61.1


def test_no_share_without_numbers_or_when_part_exceeds_total():
    assert share_from_passages("甲占乙的比重是多少？", _hits("甲和乙都很重要。")) is None
    assert share_from_passages("甲占乙的比重是多少？", _hits("甲有 50 个，乙有 20 个。")) is None


def test_years_and_percentages_are_not_counts():
    hits = _hits("2022 年甲达到 30%，乙有 2021 年的记录。")
    assert share_from_passages("甲占乙的比重是多少？", hits) is None


def test_enumeration_intro_sizes():
    from bot.answer.extract import enumeration_size

    assert enumeration_size("成功经验可以归纳为以下三点。") == 3
    assert enumeration_size("主要包括如下：") == 0
    assert enumeration_size("这是一个普通的句子。") is None
    assert enumeration_size("问题突出，具体体现为四个方面：一是转型能力不够，导致“不会转”；") == 4


def test_list_items_follow_one_marker_family_in_order():
    from bot.answer.extract import list_items

    text = (
        "一是拥有优越的制度体系。此外，一是附带说明不算。二是拥有广阔的市场空间，规模大。"
        "（一）嵌套的列表不算。三是拥有领先的平台企业。"
    )
    items = list_items(_hits_text(text), 3)
    assert [c for _, _, c in items] == [
        "拥有优越的制度体系",
        "拥有广阔的市场空间，规模大",
        "拥有领先的平台企业",
    ]
    assert (
        list_items(_hits_text("首先，市场起决定性作用。其次，政府建设基础设施。最后，监管包容审慎。"), 0)[-1][
            2
        ]
        == "监管包容审慎"
    )
    assert list_items(_hits_text("一是只有一项。"), 3) == []


def _hits_text(text: str) -> list:
    return [(h, h.chunk.text) for h in _hits(text)]


def test_share_uses_the_year_the_question_asks_about():
    hits = _hits(
        "2018年，中国数字经济规模已达31.3万亿元，占GDP比重达34.8%。",
        "2022 年我国产业数字化规模约为 41万亿元，占当年GDP比重达 33.9%。",
        "在 2022 年，我国数字经济占GDP比重已经达到 41.5%，规模高达到 50.2 万亿元。",
    )
    share = share_from_passages("2022年我国产业数字化规模占数字经济规模的比重是多少？", hits)
    assert share is not None and share.total.value == 50.2e12 and round(share.percent, 1) == 81.7


def test_a_share_of_another_total_is_not_the_share_asked_for():
    terms = ("产业数字化规模", "数字经济规模")
    assert not states_share("2022 年我国产业数字化规模约为 41万亿元，占当年GDP比重达 33.9%。", terms)
    assert states_share("产业数字化规模占数字经济比重为81.7%。", terms)


@pytest.mark.parametrize(
    "question,amount",
    [
        ("大疆农业的无人机年销量是多少台？", True),
        ("腾讯会议的用户规模有多大？", True),
        ("新品上市周期缩短了几成？", True),
        ("数字化转型指数由哪几个层次的指数加权平均而得？", False),
        ("数字技术在多大程度上改变了制造业？", False),
        ("腾讯哪天宣布成立云与智慧产业事业群？", False),
    ],
)
def test_asks_amount(question, amount):
    assert asks_amount(question) is amount


def test_an_amount_needs_a_number_other_than_a_date_for_the_year_asked():
    assert not answers_amount("1月5日，大通县与腾讯云签署战略合作协议。", set())
    assert answers_amount("实现58万台高价值设备的物联接入。", set())
    assert years_in("2021上半年，线上GMV为30.37亿元；2022Q1增速较快；2023 年") == {"2021", "2022", "2023"}
    assert not answers_amount("2021上半年，线上GMV为30.37亿元。", {"2022"})
    assert answers_amount("2021上半年，线上GMV为30.37亿元。", {"2021"})


def test_what_a_how_many_question_counts():
    assert counted_unit("腾讯数字生态一共创造了几个新职业？") == "个新职"
    assert counted_unit("无人机年销量是多少台？") == "台"
    assert counted_unit("数字技术有什么作用？") == ""
    assert counts("2022 年腾讯数字生态创造了 147 个新职业。", "个新职")
    assert not counts("一个萌芽期职业能带动 10 万个以上就业机会。", "个新职")


def test_an_article_is_not_an_amount_and_metrics_are_read_from_the_question():
    assert not answers_amount("还有富驰高科，这是一家专业制造商。", set())
    assert answers_amount("前10省份平均增速都超过120%，三成企业受益。", set())
    assert asked_metrics("步步高2022年全年的线上GMV是多少？") == ["gmv"]
    assert asked_metrics("富驰高科每个产品的AI质检要多长时间？") == []
