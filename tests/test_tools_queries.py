"""Ranking queries and the tool registry: values, sentences, provenance, validation, schemas."""

from __future__ import annotations

import json

import pytest

from tools import industries as ind
from tools import queries as q
from tools.errors import ToolError
from tools.registry import ToolResult, all_tools, call_tool, get_tool, llama_index_tools, openai_tools
from tools.tables import GROWTH_NOTE, report_source


@pytest.fixture(scope="module")
def lines() -> list[str]:
    return report_source().path.read_text(encoding="utf-8").splitlines()


def assert_cites(result: ToolResult, lines: list[str], *needles: str) -> None:
    """Every provenance line exists; each needle appears on one of the cited lines."""
    assert result.provenance, "no provenance"
    cited = []
    for p in result.provenance:
        assert set(p) >= {"file", "line", "table"}
        assert p["file"] == report_source().file
        cited.append(lines[p["line"] - 1])
    for needle in needles:
        assert any(needle in ln for ln in cited), f"{needle} not on cited lines {cited}"


# ---------------------------------------------------------------- cities


def test_city_rank_2022q1(lines):
    r = q.city_rank("东莞", "2022Q1")
    assert r.rows[0]["rank"] == 3 and r.rows[0]["cluster"] == "珠三角城市群"
    assert "2022Q1" in r.text and "第3" in r.text
    assert_cites(r, lines, "3\t东莞市\t0")


def test_city_rank_growth_says_two_year_mean(lines):
    r = q.city_rank("北京市", "growth")
    assert r.rows[0]["rank"] == 13 and r.rows[0]["growth"] == 41.1
    assert GROWTH_NOTE in r.text and "41.1%" in r.text
    assert_cites(r, lines, "13\t北京市\t41.1%")


def test_city_rank_change_and_inconsistency_note():
    r = q.city_rank("泰州", "2022Q1")
    assert r.rows[0]["rank"] == 16 and r.rows[0]["rank_change"] == -4
    assert "下降4位" in r.text and "不一致" not in r.text
    r = q.city_rank("宜宾", "2022Q1")
    assert "不一致" in r.text and "成渝" in r.text


def test_city_profile(lines):
    r = q.city_profile("聊城")
    row = r.rows[0]
    assert (row["rank_2021"], row["rank_2022Q1"], row["rank_change"], row["growth_rank"]) == (5, 8, -3, 1)
    assert "2021年" in r.text and "2022Q1" in r.text and GROWTH_NOTE in r.text
    assert len(r.provenance) == 3
    assert_cites(r, lines, "5\t聊城市", "8\t聊城市\t-3", "1\t聊城市\t234.3%")


@pytest.mark.parametrize(
    ("cluster", "rank", "measure", "city"),
    [
        ("珠三角", 7, "2022Q1", "江门市"),
        ("京津冀城市群", 6, "2022Q1", "唐山市"),
        ("成渝", 5, "2022Q1", "南充市"),
        ("长江中游", 10, "2022Q1", "常德市"),
        ("关中平原", 3, "growth", "宝鸡市"),
        ("中原", 5, "2021", "聊城市"),
        ("長三角", 9, "2022Q1", "常州市"),
    ],
)
def test_city_at_rank(cluster, rank, measure, city, lines):
    r = q.city_at_rank(cluster, rank, measure)
    assert r.rows[0]["city"] == city and city in r.text
    assert_cites(r, lines, f"{rank}\t{city}")


def test_top_and_bottom_cities(lines):
    r = q.top_cities("京津冀", "growth", 3)
    assert [x["city"] for x in r.rows] == ["沧州市", "保定市", "邯郸市"]
    assert "167.4%" in r.text and GROWTH_NOTE in r.text and r.chart == {"label": "city", "value": "growth"}
    assert_cites(r, lines, "沧州市\t167.4%", "保定市\t148.0%", "邯郸市\t140.3%")
    r = q.top_cities("长江中游", "growth", 3, "bottom")
    assert [x["city"] for x in r.rows] == ["潜江市", "天门市", "仙桃市"]
    r = q.top_cities("长三角", "2021", 2, "bottom")
    assert [x["city"] for x in r.rows] == ["铜陵市", "池州市"] and r.chart is None


def test_rank_movers():
    r = q.rank_movers("长三角", "rose", largest_only=True)
    assert {x["city"] for x in r.rows} == {"常州市", "盐城市", "扬州市"}
    r = q.rank_movers("中原", "fell", largest_only=True)
    assert {x["city"] for x in r.rows} == {"聊城市", "焦作市"}
    r = q.rank_movers("长江中游", "rose")
    assert len(r.rows) == 6 and "共6个" in r.text
    r = q.rank_movers("珠三角", "changed")
    assert {x["city"] for x in r.rows} == {"江门市", "珠海市"}
    r = q.rank_movers("关中平原", "rose")
    assert r.rows == [] and "没有城市" in r.text and "均为0" in r.text
    r = q.rank_movers(None, "fell", k=2)
    assert [x["rank_change"] for x in r.rows] == [-4, -4]


def test_tied_cities():
    r = q.tied_cities("珠三角")
    assert {x["city"] for x in r.rows} == {"广州市", "江门市"} and "87.6%" in r.text


def test_compare_cities():
    r = q.compare_cities("惠州", "深圳", "growth")
    assert "83.3个百分点" in r.text and GROWTH_NOTE in r.text
    r = q.compare_cities("东莞", "佛山")
    assert "靠前1位" in r.text
    r = q.compare_cities("深圳", "北京", "2021")
    assert "不宜直接比较" in r.text
    with pytest.raises(ToolError, match="相同"):
        q.compare_cities("深圳", "深圳市")


def test_filter_cities():
    r = q.filter_cities("长江中游", growth_above=120)
    assert len(r.rows) == 18 and "共18个" in r.text and GROWTH_NOTE in r.text
    r = q.filter_cities("京津冀", growth_above=100)
    assert len(r.rows) == 7
    r = q.filter_cities("中原", change="fell")
    assert len(r.rows) == 7
    r = q.filter_cities("长三角", growth_above=100, rank_at_most=10)
    assert {x["city"] for x in r.rows} == {
        "苏州市",
        "合肥市",
        "宁波市",
        "无锡市",
        "温州市",
        "常州市",
        "金华市",
    }
    with pytest.raises(ToolError, match="至少给出一个筛选条件"):
        q.filter_cities("长三角")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"cluster": "关中平原", "stat": "mean", "top_k": 5}, "125.36%"),
        ({"cluster": "成渝", "stat": "mean", "top_k": 3}, "120.67%"),
        ({"cluster": "珠三角", "stat": "mean"}, "100.94%"),
        ({"cluster": "珠三角", "stat": "sum"}, "908.5%"),
        ({"cluster": "关中平原", "stat": "median"}, "114.1%"),
        ({"cluster": "关中平原", "stat": "max"}, "132.6%"),
        ({"cluster": "关中平原", "stat": "min", "bottom_k": 2}, "51.5%"),
        ({"cluster": "京津冀", "stat": "count", "top_k": 4}, "为4"),
        ({"cluster": "长三角", "stat": "mean", "top_k": 3, "by": "2022Q1"}, "71.5%"),
        ({"cluster": "珠三角", "stat": "mean", "cities": ["广州", "深圳"]}, "74.75%"),
        ({"cluster": "中原", "stat": "sum", "value": "rank_change"}, "为0"),
    ],
)
def test_aggregate_cities(args, expected):
    r = q.aggregate_cities(**args)
    assert expected in r.text
    if args.get("value", "growth") == "growth":
        assert GROWTH_NOTE in r.text


def test_aggregate_rejects_two_selections_and_foreign_cities():
    with pytest.raises(ToolError, match="只能给出其中一个"):
        q.aggregate_cities("珠三角", top_k=2, bottom_k=2)
    with pytest.raises(ToolError, match="不属于"):
        q.aggregate_cities("珠三角", cities=["北京"])


def test_membership(lines):
    r = q.city_cluster("仙桃")
    assert r.rows[0]["cluster"] == "长江中游城市群"
    assert_cites(r, lines, "仙桃市")
    r = q.cluster_cities("京津冀")
    assert len(r.rows) == 13 and "13个城市" in r.text


def test_cluster_industries(lines):
    r = ind.cluster_top_industries("京津冀")
    assert [x["industry_source"] for x in r.rows] == ["文化体育娱乐", "生活互联", "行业工具"]
    assert_cites(r, lines, "京津冀城市群\t文化体育娱乐")
    r = ind.cluster_top_industries("兰西")
    assert r.rows[2]["industry"] == "游戏"
    r = ind.clusters_with_industry("电商", 1)
    assert [x["cluster"] for x in r.rows] == ["长三角城市群"]
    r = ind.clusters_with_industry("金融")
    assert len(r.rows) == 9


# ---------------------------------------------------------------- provinces


def test_province_rank(lines):
    r = ind.province_rank("浙江", "电商")
    assert {(x["measure"], x["rank"]) for x in r.rows} == {("share", 9), ("growth", 1)}
    assert_cites(r, lines, "9\t浙江", "1\t浙江")
    r = ind.province_rank("北京市", "文体娱", "share")
    assert r.rows[0]["rank"] == 2
    r = ind.province_rank("江苏", "医疗")
    assert r.rows == [] and "未进入前10" in r.text
    r = ind.province_rank("广东")
    assert {x["industry"] for x in r.rows} == {"文体娱", "电商", "金融", "医疗"}


def test_industry_rankings(lines):
    r = ind.industry_top_provinces("行业工具", "share", 3)
    assert [x["province"] for x in r.rows] == ["甘肃", "青海", "河北"]
    r = ind.industry_top_provinces("智慧零售", "growth", 1)
    assert r.rows[0]["province"] == "安徽" and GROWTH_NOTE in r.text
    r = ind.province_at_rank("文化、体育和娱乐业", 1, "growth")
    assert r.rows[0]["province"] == "陕西"
    assert_cites(r, lines, "1\t陕西")


def test_double_high():
    r = ind.double_high("电商")
    assert {x["province"] for x in r.rows} == {"上海", "浙江", "福建", "湖南"}
    r = ind.double_high("工业")
    assert {x["province"] for x in r.rows} == {"上海", "宁夏", "重庆", "湖北", "四川"}
    r = ind.double_high("医疗")
    assert any(x["province"] == "海南" and x["share_rank"] == 1 and x["growth_rank"] == 1 for x in r.rows)
    assert len(ind.double_high().text) > 50


def test_compare_provinces():
    r = ind.compare_provinces("上海", "福建", "工业")
    assert r.rows[1]["growth_rank"] is None and "未进前10" in r.text


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("fn", "args", "match"),
    [
        (q.city_rank, ("东莞", "2023"), "排名口径"),
        (q.city_rank, ("拉萨",), "未找到城市"),
        (q.city_at_rank, ("成渝", 17), "1 到 16"),
        (q.city_at_rank, ("成渝", 0), "1 到 16"),
        (q.city_at_rank, ("呼包鄂榆", 1), "不在此范围内"),
        (q.city_at_rank, ("山东半岛", 1), "未找到城市群"),
        (q.top_cities, ("成渝", "growth", 3, "middle"), "顺序"),
        (q.top_cities, ("成渝", "growth", True), "整数"),
        (q.rank_movers, ("成渝", "up"), "变化方向"),
        (ind.industry_top_provinces, ("游戏",), "不在此范围内"),
        (ind.industry_top_provinces, ("金融", "share", 11), "1 到 10"),
        (ind.province_rank, ("火星",), "未找到省份"),
        (q.aggregate_cities, ("珠三角", "mode"), "统计量"),
    ],
)
def test_bad_arguments(fn, args, match):
    with pytest.raises(ToolError, match=match):
        fn(*args)


# ---------------------------------------------------------------- registry


def test_registry_covers_every_function_once():
    names = [t.name for t in all_tools()]
    assert len(names) == len(set(names))
    assert {"city_rank", "top_cities", "double_high", "calc_expert_weights", "calc_growth"} <= set(names)
    for spec in all_tools():
        assert spec.description and not spec.description.startswith("Args")
        assert spec.parameters["type"] == "object"
        for name, prop in spec.parameters["properties"].items():
            assert prop.get("description"), f"{spec.name}.{name} has no description"


def test_openai_format():
    tools = openai_tools()
    assert all(
        t["type"] == "function" and set(t["function"]) == {"name", "description", "parameters"} for t in tools
    )
    top = next(t for t in tools if t["function"]["name"] == "top_cities")["function"]["parameters"]
    assert top["properties"]["measure"]["enum"] == ["2021", "2022Q1", "growth"]
    assert top["required"] == ["cluster"]
    json.dumps(tools)  # serialisable


def test_call_tool_with_json_string_and_dict():
    r = call_tool("city_at_rank", '{"cluster": "成渝", "rank": 5}')
    assert r.rows[0]["city"] == "南充市"
    r = call_tool("calc_growth", {"current": 130, "previous": 100})
    assert "30%" in r.text
    assert call_tool("city_profile", {"city": "深圳"}).model_dump()["provenance"]


@pytest.mark.parametrize(
    ("name", "args", "match"),
    [
        ("city_rnak", {}, "city_rank"),
        ("city_rank", "{city: 1", "不是有效的 JSON"),
        ("city_rank", "[1, 2]", "JSON 对象"),
        ("city_rank", {}, "缺少必填参数"),
        ("city_rank", {"city": "东莞", "period": "2021"}, "不认识的参数"),
        ("city_rank", {"city": "东莞", "measure": "2020"}, "可选：2021、2022Q1、growth"),
        ("top_cities", {"cluster": "成渝", "k": "three"}, "应为整数"),
        ("calc_growth", {"current": "多", "previous": 1}, "应为数字"),
    ],
)
def test_call_tool_errors(name, args, match):
    with pytest.raises(ToolError, match=match):
        call_tool(name, args)


def test_get_tool_and_llama_index():
    assert get_tool("double_high").fn is ind.double_high
    tools = llama_index_tools()
    assert len(tools) == len(all_tools())
    tool = next(t for t in tools if t.metadata.name == "city_rank")
    out = tool.call(city="东莞", measure="growth")
    assert "105.5%" in out.content
