"""The tables / calc / tool subcommands, driven through bot.cli.main."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from bot.app.cli import main
from tools import calc

SAMPLES = Path(calc.__file__).resolve().parent / "samples"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_tables_lists_catalogue(capsys):
    code, out, _ = run(capsys, "tables")
    assert code == 0
    assert "city_rank_2022Q1" in out and "province_industry_rank" in out and "140" in out


def test_tables_export(capsys, tmp_path):
    code, out, err = run(capsys, "tables", "--export", str(tmp_path / "out"), "--json")
    assert code == 0
    catalogue = json.loads(out)
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == sorted(f"{c['name']}.csv" for c in catalogue)
    growth = pd.read_csv(tmp_path / "out" / "city_growth.csv", encoding="utf-8-sig")
    assert len(growth) == 134 and "行号" in growth.columns and "城市" in growth.columns
    assert "已导出" in err


def test_calc_weights(capsys):
    code, out, _ = run(capsys, "calc", "weights", "--scores", str(SAMPLES / "expert_scores.csv"))
    assert code == 0 and "云计算" in out and "权重" in out
    code, out, _ = run(capsys, "calc", "weights", "--scores", str(SAMPLES / "expert_scores.csv"), "--json")
    assert sum(json.loads(out)["weights"].values()) == pytest.approx(1)


def test_calc_index(capsys):
    code, out, _ = run(
        capsys,
        "calc",
        "index",
        "--indicators",
        str(SAMPLES / "indicators.csv"),
        "--scores",
        str(SAMPLES / "expert_scores.csv"),
        "--layers",
        str(SAMPLES / "layers.csv"),
        "--layer-scores",
        str(SAMPLES / "layer_scores.csv"),
        "--json",
    )
    assert code == 0
    data = json.loads(out)
    assert data["rows"][0]["城市"] == "示例城市甲" and set(data["layer_weights"]) == {
        "基础设施",
        "平台",
        "应用",
    }
    code, out, _ = run(
        capsys,
        "calc",
        "index",
        "--indicators",
        str(SAMPLES / "indicators.csv"),
        "--weights",
        str(SAMPLES / "weights.csv"),
    )
    assert code == 0 and "综合指数" in out and "示例城市己" in out


def test_calc_index_needs_weights(capsys):
    with pytest.raises(SystemExit):
        main(["calc", "index", "--indicators", str(SAMPLES / "indicators.csv")])
    assert "--weights" in capsys.readouterr().err


def test_calc_index_bad_file_is_a_chinese_error(capsys, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes("城市,云计算\n甲,很多\n".encode())
    code, out, err = run(
        capsys, "calc", "index", "--indicators", str(bad), "--weights", str(SAMPLES / "weights.csv")
    )
    assert code == 2 and out == ""
    assert err.startswith("错误：") and "很多" in err


def test_calc_growth(capsys):
    code, out, _ = run(capsys, "calc", "growth", "--file", str(SAMPLES / "quarterly_index.csv"))
    assert code == 0 and "两年同比增速均值" in out and "示例城市丙" in out
    code, out, _ = run(capsys, "calc", "growth", "--previous", "100", "--current", "130")
    assert code == 0 and "30%" in out
    code, out, _ = run(capsys, "calc", "growth", "--earlier", "100", "--previous", "200", "--current", "260")
    assert "65%" in out
    code, _, err = run(capsys, "calc", "growth", "--current", "1")
    assert code == 2 and "--previous" in err


def test_calc_share(capsys):
    code, out, _ = run(capsys, "calc", "share", "--industry", "12", "--total", "80")
    assert code == 0 and "15%" in out


def test_calc_without_subcommand_prints_help(capsys):
    code, out, _ = run(capsys, "calc")
    assert code == 0 and "weights" in out and "index" in out


def test_tool_list_and_run(capsys):
    code, out, _ = run(capsys, "tool", "--list")
    assert code == 0 and "city_rank(city, measure?)" in out and "calc_expert_weights" in out
    code, out, _ = run(
        capsys, "tool", "top_cities", "--args", '{"cluster": "关中平原", "measure": "growth", "k": 5}'
    )
    assert code == 0 and "运城市" in out and "两年同比增速均值" in out and "第 936" in out
    code, out, _ = run(capsys, "tool", "city_at_rank", "--args", '{"cluster": "成渝", "rank": 5}', "--json")
    data = json.loads(out)
    assert data["rows"][0]["city"] == "南充市" and data["provenance"][0]["line"] == 578


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["tool", "no_such_tool"], "没有名为"),
        (["tool", "city_rank", "--args", "{oops"], "JSON"),
        (["tool", "city_rank", "--args", '{"city": "拉萨"}'], "未找到城市"),
        (["calc", "weights", "--scores", "/nonexistent.csv"], "不存在"),
    ],
)
def test_errors_exit_with_message(capsys, argv, needle):
    code, _, err = run(capsys, *argv)
    assert code == 2 and needle in err


def test_help_texts(capsys):
    for argv in (["calc", "index", "--help"], ["tool", "--help"], ["tables", "--help"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 0
        out = capsys.readouterr().out
        assert "示例" in out or "CSV" in out
