"""Shares computed from numbers in passages (fast unit tests over hand-made passages)."""
from __future__ import annotations

import pytest

from bot.extract import share_from_passages, share_terms
from bot.schema import Chunk, Hit


def _hits(*texts: str) -> list[Hit]:
    return [Hit(chunk=Chunk(chunk_id=f"d:{i}", doc_id="d", title="t", text=t, start=0, end=1), score=1.0, rank=i + 1)
            for i, t in enumerate(texts)]


@pytest.mark.parametrize("question,terms", [
    ("2022年我国产业数字化规模占数字经济规模的比重是多少？", ("产业数字化规模", "数字经济规模")),
    ("公司创造的新职业中，萌芽期新职业占比是多少？", ("萌芽期新职业", "公司创造的新职业")),
    ("数字技术有哪些作用？", None),
])
def test_share_terms(question, terms):
    assert share_terms(question) == terms


def test_share_from_a_list_with_counts_after_names():
    hits = _hits("某公司创造了 147 个新职业，包括稳定期新职业 14 个、成长期新职业 26 个、萌芽期新职业 107 个。")
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
    from bot.extract import enumeration_size

    assert enumeration_size("成功经验可以归纳为以下三点。") == 3
    assert enumeration_size("主要包括如下：") == 0
    assert enumeration_size("这是一个普通的句子。") is None


def test_list_items_follow_one_marker_family_in_order():
    from bot.extract import list_items

    text = ("一是拥有优越的制度体系。此外，一是附带说明不算。二是拥有广阔的市场空间，规模大。"
            "（一）嵌套的列表不算。三是拥有领先的平台企业。")
    items = list_items(_hits_text(text), 3)
    assert [c for _, _, c in items] == ["拥有优越的制度体系", "拥有广阔的市场空间", "拥有领先的平台企业"]
    assert list_items(_hits_text("首先，市场起决定性作用。其次，政府建设基础设施。最后，监管包容审慎。"), 0)[-1][2] \
        == "监管包容审慎"
    assert list_items(_hits_text("一是只有一项。"), 3) == []


def _hits_text(text: str) -> list:
    return [(h, h.chunk.text) for h in _hits(text)]
