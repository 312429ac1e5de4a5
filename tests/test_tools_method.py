"""The report's index method: formulas, properties (hypothesis), CSV validation and the calculation tools."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tools import calc, method
from tools.errors import ToolError
from tools.userdata import mapping_frame, numeric_frame, read_csv

SAMPLES = Path(calc.__file__).resolve().parent / "samples"

scores_st = st.integers(min_value=1, max_value=6).flatmap(
    lambda n_ind: st.lists(
        st.lists(st.integers(1, 5), min_size=n_ind, max_size=n_ind), min_size=1, max_size=8
    )
)
positive = st.floats(min_value=0.01, max_value=1e6, allow_nan=False, allow_infinity=False)


def frame_st(min_rows: int = 1):
    return (
        st.integers(1, 5)
        .flatmap(
            lambda n_cols: st.lists(
                st.lists(positive, min_size=n_cols, max_size=n_cols), min_size=min_rows, max_size=8
            )
        )
        .map(
            lambda rows: pd.DataFrame(
                rows,
                columns=[f"指标{j}" for j in range(len(rows[0]))],
                index=[f"城市{i}" for i in range(len(rows))],
            )
        )
    )


# ---------------------------------------------------------------- formulas


def test_expert_weights_formula():
    scores = pd.DataFrame({"A": [5, 4, 5], "B": [3, 4, 3], "C": [2, 2, 1]})
    w = method.expert_weights(scores)
    assert w["A"] == pytest.approx(14 / 29)
    assert w["C"] == pytest.approx(5 / 29)


def test_normalise_against_base_totals():
    values = pd.DataFrame({"x": [50.0, 150.0]}, index=["甲", "乙"])
    assert method.normalise(values, pd.Series({"x": 2000.0}), scale=1)["x"].tolist() == [0.025, 0.075]
    assert method.normalise(values)["x"].tolist() == [25.0, 75.0]


def test_layers_and_composite():
    norm = pd.DataFrame({"a": [10.0], "b": [30.0], "c": [50.0]}, index=["甲"])
    w = pd.Series({"a": 1.0, "b": 3.0, "c": 2.0})
    layers = method.layer_indices(norm, w, {"a": "基础设施", "b": "基础设施", "c": "应用"})
    assert layers.loc["甲", "基础设施"] == pytest.approx((10 + 90) / 4)
    assert layers.loc["甲", "应用"] == pytest.approx(50)
    comp = method.composite_index(layers, pd.Series({"基础设施": 1.0, "应用": 3.0}))
    assert comp["甲"] == pytest.approx((25 + 150) / 4)


def test_growth_formulas():
    assert method.growth_rate(130, 100) == pytest.approx(30)
    assert method.two_year_mean_growth(100, 200, 260) == pytest.approx(65)
    table = method.growth_table(
        pd.DataFrame(
            {"2020Q1": [100.0], "2021Q1": [200.0], "2021Q4": [250.0], "2022Q1": [260.0]}, index=["甲"]
        )
    )
    row = table.iloc[0]
    assert row["period"] == "2022Q1"
    assert row["yoy"] == pytest.approx(30) and row["qoq"] == pytest.approx(4)
    assert row["two_year_mean"] == pytest.approx(65)


def test_growth_table_leaves_missing_comparisons_empty():
    table = method.growth_table(pd.DataFrame({"2021Q4": [100.0], "2022Q1": [110.0]}, index=["甲"]))
    assert table.iloc[0]["yoy"] is None or pd.isna(table.iloc[0]["yoy"])
    assert table.iloc[0]["qoq"] == pytest.approx(10)


def test_industry_share():
    assert method.industry_share(12, 80) == pytest.approx(15)
    shares = method.industry_shares(
        pd.DataFrame({"工业": [1.0, 3.0], "金融": [3.0, 1.0]}, index=["甲", "乙"])
    )
    assert shares.loc["甲", "金融"] == pytest.approx(75)


# ---------------------------------------------------------------- properties


@given(scores_st)
def test_weights_sum_to_one_and_follow_score_totals(rows):
    frame = pd.DataFrame(rows, columns=[f"指标{j}" for j in range(len(rows[0]))])
    w = method.expert_weights(frame)
    assert w.sum() == pytest.approx(1.0)
    assert (w > 0).all()
    totals = frame.sum()
    assert w.idxmax() in set(totals[totals == totals.max()].index)


@given(frame_st())
def test_normalised_shares_sum_to_scale(values):
    norm = method.normalise(values)
    for col in norm.columns:
        assert norm[col].sum() == pytest.approx(100.0)
    assert (norm >= 0).all().all()


@given(frame_st(), st.floats(min_value=0.001, max_value=1000, allow_nan=False))
def test_invariant_under_scaling_raw_values(values, factor):
    w = pd.Series(1.0, index=values.columns)
    a = method.compute_index(values, w).composite
    b = method.compute_index(values * factor, w).composite
    pd.testing.assert_series_equal(a, b, rtol=1e-9)


@settings(max_examples=60, deadline=None)
@given(frame_st(), st.data())
def test_composite_within_range_of_layers(values, data):
    cols = list(values.columns)
    layer_names = ["基础设施", "平台", "应用"]
    mapping = {c: data.draw(st.sampled_from(layer_names)) for c in cols}
    w = pd.Series(data.draw(st.lists(st.floats(0.1, 10), min_size=len(cols), max_size=len(cols))), index=cols)
    result = method.compute_index(values, w, mapping)
    lw = pd.Series(
        data.draw(
            st.lists(st.floats(0.1, 10), min_size=result.layers.shape[1], max_size=result.layers.shape[1])
        ),
        index=result.layers.columns,
    )
    comp = method.composite_index(result.layers, lw)
    low, high = result.layers.min(axis=1), result.layers.max(axis=1)
    assert (
        (comp >= low - 1e-9 * high.abs().clip(lower=1)) & (comp <= high + 1e-9 * high.abs().clip(lower=1))
    ).all()


@given(st.lists(positive, min_size=3, max_size=3))
def test_two_year_mean_is_mean_of_yoy(vals):
    a, b, c = vals
    assert method.two_year_mean_growth(a, b, c) == pytest.approx(
        (method.growth_rate(b, a) + method.growth_rate(c, b)) / 2
    )


# ---------------------------------------------------------------- bad input (in-memory)


@pytest.mark.parametrize(
    ("scores", "match"),
    [
        (pd.DataFrame({"A": [6, 3]}), "1 到 5"),
        (pd.DataFrame({"A": [0, 3]}), "1 到 5"),
        (pd.DataFrame({"A": ["高", 3]}), "1 到 5"),
        (pd.DataFrame(), "为空"),
    ],
)
def test_expert_weights_rejects(scores, match):
    with pytest.raises(ToolError, match=match):
        method.expert_weights(scores)


def test_normalise_rejects_zero_total_and_negative():
    with pytest.raises(ToolError, match="合计为 0"):
        method.normalise(pd.DataFrame({"x": [0.0, 0.0]}))
    with pytest.raises(ToolError, match="负数"):
        method.normalise(pd.DataFrame({"x": [-1.0, 2.0]}))
    with pytest.raises(ToolError, match="缺少"):
        method.normalise(pd.DataFrame({"x": [1.0]}), pd.Series({"y": 1.0}))


def test_mismatched_indicator_names():
    values = pd.DataFrame({"a": [1.0], "b": [2.0]})
    with pytest.raises(ToolError, match="指标名称不一致.*缺少.*b"):
        method.layer_indices(values, pd.Series({"a": 1.0}))
    with pytest.raises(ToolError, match="层级对照表"):
        method.layer_indices(values, pd.Series({"a": 1.0, "b": 1.0}), {"a": "平台"})
    with pytest.raises(ToolError, match="合计为 0"):
        method.weighted_average(values, pd.Series({"a": 0.0, "b": 0.0}))


def test_growth_rejects():
    with pytest.raises(ToolError, match="为 0"):
        method.growth_rate(10, 0)
    with pytest.raises(ToolError, match="负数"):
        method.growth_rate(-1, 5)
    with pytest.raises(ToolError, match="2021Q1"):
        method.growth_table(pd.DataFrame({"第一季度": [1.0]}))
    with pytest.raises(ToolError, match="超过 100%"):
        method.industry_share(90, 80)


# ---------------------------------------------------------------- CSV files


def write(tmp_path: Path, text: str | bytes, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("", "为空"),
        ("   \n\n", "为空"),
        ("城市,a\n".encode("gbk") + "甲,1\n".encode("gbk"), "不是 UTF-8"),
        (b"PK\x03\x04binary", "Excel"),
        ("城市;a;b\n甲;1;2\n", "不是逗号分隔"),
        ("城市\ta\n甲\t1\n", "不是逗号分隔"),
        ("城市,a,b\n甲,1\n", "列数与表头"),
        ("城市,a,a\n甲,1,2\n", "重复列名"),
        ("城市,,b\n甲,1,2\n", "空列名"),
        ("城市,a,b\n", "没有数据行"),
    ],
)
def test_read_csv_rejects(tmp_path, content, match):
    with pytest.raises(ToolError, match=match):
        read_csv(write(tmp_path, content), "指标数据")


def test_read_csv_missing_file(tmp_path):
    with pytest.raises(ToolError, match="不存在"):
        read_csv(tmp_path / "nope.csv", "指标数据")
    with pytest.raises(ToolError, match="文件夹"):
        read_csv(tmp_path, "指标数据")


def test_read_csv_accepts_bom_and_spaces(tmp_path):
    df = read_csv(write(tmp_path, "\ufeff城市, a ,b\n甲, 1,2\n"), "指标数据")
    assert list(df.columns) == ["城市", "a", "b"] and df.iloc[0, 1] == "1"


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("城市,a\n甲,abc\n", "第2行“a”列的“abc”"),
        ("城市,a\n甲,\n", "第2行“a”列为空"),
        ("城市,a\n甲,-3\n", "不能有负数"),
        ("城市,a\n甲,1\n甲,2\n", "重复"),
        ("城市,a\n,1\n", "为空"),
        ("城市,a\n甲,inf\n", "无穷大"),
    ],
)
def test_numeric_frame_rejects(tmp_path, content, match):
    with pytest.raises(ToolError, match=match):
        numeric_frame(read_csv(write(tmp_path, content), "指标数据"), "指标数据", id_label="城市")


def test_mapping_frame_rejects(tmp_path):
    with pytest.raises(ToolError, match="两列"):
        mapping_frame(
            read_csv(write(tmp_path, "指标,层级,多余\na,平台,x\n"), "层级对照表"),
            "层级对照表",
            "指标",
            "层级",
        )
    with pytest.raises(ToolError, match="重复"):
        mapping_frame(
            read_csv(write(tmp_path, "指标,层级\na,平台\na,应用\n"), "层级对照表"),
            "层级对照表",
            "指标",
            "层级",
        )


def test_scores_file_out_of_range(tmp_path):
    with pytest.raises(ToolError, match="1 到 5"):
        calc.weights_from_scores_file(write(tmp_path, "专家,a,b\n专家1,5,7\n"))


def test_index_from_sample_files():
    result = calc.index_from_files(
        SAMPLES / "indicators.csv",
        scores=SAMPLES / "expert_scores.csv",
        layers=SAMPLES / "layers.csv",
        layer_scores=SAMPLES / "layer_scores.csv",
        base=SAMPLES / "base_indicators.csv",
    )
    assert list(result.layers.columns) == ["基础设施", "平台", "应用"]
    assert result.weights.sum() == pytest.approx(1) and result.layer_weights.sum() == pytest.approx(1)
    table = result.table()
    assert table.iloc[0].name == "示例城市甲" and list(table["排名"]) == list(range(1, 7))
    same_base = calc.index_from_files(
        SAMPLES / "indicators.csv", weights=SAMPLES / "weights.csv", layers=SAMPLES / "layers.csv"
    )
    for layer in same_base.layers.columns:  # without --base, each layer's shares add up to 100
        assert same_base.layers[layer].sum() == pytest.approx(100)


def test_index_from_files_mismatched_names(tmp_path):
    weights = write(tmp_path, "指标,权重\n云计算,1\n人工智能,1\n", "w.csv")
    with pytest.raises(ToolError, match="指标名称不一致"):
        calc.index_from_files(SAMPLES / "indicators.csv", weights=weights)
    with pytest.raises(ToolError, match="二选一"):
        calc.index_from_files(SAMPLES / "indicators.csv")


def test_growth_from_sample_file():
    table = calc.growth_from_file(SAMPLES / "quarterly_index.csv")
    first = table.iloc[0]
    assert first["yoy"] == pytest.approx((262 / 196 - 1) * 100)
    assert first["two_year_mean"] == pytest.approx(((262 / 196 - 1) + (196 / 100 - 1)) * 50)


# ---------------------------------------------------------------- calculation tools


def test_calc_tools_sentences():
    r = calc.calc_expert_weights({"A": [5, 4, 5], "B": [3, 4, 3], "C": [2, 2, 1]})
    assert "14/29" in r.text and "48.3%" in r.text
    assert calc.calc_expert_weights({"X": [2, 2, 2], "Y": [4, 4, 4], "Z": [3, 3, 3]}).rows[0][
        "weight"
    ] == pytest.approx(6 / 27)
    assert "65%" in calc.calc_two_year_growth(100, 200, 260).text
    assert "90%" in calc.calc_mean_growth([150, 30]).text
    assert "0.025" in calc.calc_normalise({"某城市": 50}, 2000).text
    assert "93.9%" in calc.calc_change(278, 17).text and "降幅" in calc.calc_change(278, 17).text
    assert (
        "198" in calc.calc_weighted_index({"a": 120, "b": 300, "c": 180}, {"a": 0.3, "b": 0.3, "c": 0.4}).text
    )
    assert "15%" in calc.calc_industry_share(12, 80).text


@pytest.mark.parametrize(
    ("fn", "args", "match"),
    [
        (calc.calc_expert_weights, ({"A": [5, 4], "B": [3]},), "个数应相同"),
        (calc.calc_expert_weights, ({},), "评分为空"),
        (calc.calc_expert_weights, ({"A": [9]},), "1 到 5"),
        (calc.calc_growth, (1, 0), "为 0"),
        (calc.calc_growth, (1, 2, "mom"), "增速类型"),
        (calc.calc_normalise, ({"a": 0},), "合计为 0"),
        (calc.calc_normalise, ({"a": 5}, 0), "必须大于 0"),
        (calc.calc_weighted_index, ({"a": 1}, {"b": 1}), "不一致"),
        (calc.calc_mean_growth, ([],), "至少"),
        (calc.calc_industry_share, (1, 0), "为 0"),
    ],
)
def test_calc_tools_reject(fn, args, match):
    with pytest.raises(ToolError, match=match):
        fn(*args)
