"""The report's tables parsed from text: row counts, spot values, provenance, the 京津冀 label trap, names,
cache."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tools import tables as tb
from tools.errors import ReportMissingError, ToolError
from tools.names import normalize, province_vocabulary
from tools.tables import known_names, load_tables, report_source, table_catalog

CLUSTER_SIZES = {
    "珠三角城市群": 9,
    "京津冀城市群": 13,
    "长三角城市群": 27,
    "成渝城市群": 16,
    "中原城市群": 27,
    "长江中游城市群": 31,
    "关中平原城市群": 11,
}
CITY_TABLES = ("city_rank_2021", "city_rank_2022Q1", "city_growth")


@pytest.fixture(scope="module")
def tables():
    return load_tables()


@pytest.fixture(scope="module")
def source_lines() -> list[str]:
    return report_source().path.read_text(encoding="utf-8").splitlines()


def test_report_found_through_manifest():
    src = report_source()
    assert src.doc_id == "tencent-dti-2022"
    assert src.path.exists() and src.file == src.path.name


@pytest.mark.parametrize("name", CITY_TABLES)
def test_city_table_row_counts(tables, name):
    counts = tables[name].groupby("cluster").size().to_dict()
    assert counts == CLUSTER_SIZES
    for cluster, size in CLUSTER_SIZES.items():
        ranks = sorted(tables[name].loc[tables[name]["cluster"] == cluster, "rank"])
        assert ranks == list(range(1, size + 1))


def test_overview_has_one_row_per_city(tables):
    ov = tables["city_overview"]
    assert len(ov) == sum(CLUSTER_SIZES.values()) == 134
    assert not ov["city"].duplicated().any()


def test_cluster_top3_counts(tables):
    df = tables["cluster_top3_industries"]
    assert df["cluster"].nunique() == 11
    assert len(df) == 33
    assert set(df["position"]) == {1, 2, 3}


def test_province_industry_counts(tables):
    df = tables["province_industry_rank"]
    assert len(df) == 7 * 2 * 10
    assert set(df["industry"]) == {"工业", "文体娱", "电商", "行业工具", "金融", "零售", "医疗"}
    for (_, _), group in df.groupby(["industry", "measure"]):
        assert sorted(group["rank"]) == list(range(1, 11))
        assert group["province"].is_unique


@pytest.mark.parametrize(
    ("table", "cluster", "rank", "city", "extra"),
    [
        ("city_rank_2021", "珠三角城市群", 7, "珠海市", {}),
        ("city_rank_2022Q1", "珠三角城市群", 7, "江门市", {"rank_change": 1}),
        ("city_rank_2022Q1", "京津冀城市群", 6, "唐山市", {"rank_change": 1}),
        ("city_rank_2022Q1", "长三角城市群", 16, "泰州市", {"rank_change": -4}),
        ("city_rank_2022Q1", "中原城市群", 3, "商丘市", {"rank_change": 3}),
        ("city_growth", "珠三角城市群", 1, "惠州市", {"growth": 145.2}),
        ("city_growth", "长三角城市群", 27, "上海市", {"growth": 44.2}),
        ("city_growth", "长江中游城市群", 31, "潜江市", {"growth": 13.0}),
        ("city_growth", "关中平原城市群", 3, "宝鸡市", {"growth": 127.0, "growth_text": "127.0%"}),
        ("city_rank_2021", "长江中游城市群", 31, "天门市", {}),
    ],
)
def test_spot_values(tables, table, cluster, rank, city, extra):
    df = tables[table]
    row = df[(df["cluster"] == cluster) & (df["rank"] == rank)].iloc[0]
    assert row["city"] == city
    for key, value in extra.items():
        assert row[key] == value


@pytest.mark.parametrize("name", [*CITY_TABLES, "province_industry_rank"])
def test_provenance_lines_point_at_source_rows(tables, source_lines, name):
    df = tables[name]
    assert {"file", "line"} <= set(df.columns)
    for _, row in df.iterrows():
        cells = source_lines[row["line"] - 1].split("\t")
        assert row["file"] == report_source().file
        assert cells[0] == str(row["rank"])
        entity = row["city"] if "city" in row else row["province"]
        assert cells[1].startswith(entity) or entity.startswith(cells[1])
        if name == "city_growth":
            assert cells[2] == row["growth_text"]


def test_top3_provenance_and_aliases(tables, source_lines):
    df = tables["cluster_top3_industries"]
    jjj = df[df["cluster"] == "京津冀城市群"].sort_values("position")
    assert list(jjj["industry"]) == ["文体娱", "生活互联", "行业工具"]
    assert list(jjj["industry_source"]) == ["文化体育娱乐", "生活互联", "行业工具"]
    line = source_lines[jjj.iloc[0]["line"] - 1]
    assert line.startswith("京津冀城市群\t文化体育娱乐")
    # The source writes 长江中游城市 (without 群); it is the same cluster.
    cj = df[df["cluster"] == "长江中游城市群"]
    assert list(cj["label_in_source"].unique()) == ["长江中游城市"]


def test_jingjinji_label_trap(tables, source_lines):
    """The 京津冀 2022Q1 and growth tables are labelled 珠三角城市群 in the source; the heading decides."""
    for name in ("city_rank_2022Q1", "city_growth"):
        df = tables[name]
        beijing = df[df["city"] == "北京市"].iloc[0]
        assert beijing["cluster"] == "京津冀城市群"
        assert beijing["label_in_source"] == "珠三角城市群"
        # The raw header line above the row really says 珠三角城市群 ...
        header = source_lines[beijing["line"] - beijing["rank"] - 1]
        assert "珠三角城市群" in header.split("\t")
        # ... while the nearest section heading above names 京津冀.
        heading = next(
            ln for ln in reversed(source_lines[: beijing["line"]]) if "：" in ln and "\t" not in ln
        )
        assert heading.startswith("京津冀：")
        # So 珠三角 keeps exactly its 9 cities and no 京津冀 city leaks into it.
        zsj = df[df["cluster"] == "珠三角城市群"]
        assert len(zsj) == 9 and "北京市" not in set(zsj["city"])


def test_every_city_table_cluster_matches_its_section_heading(tables, source_lines):
    vocab = known_names()["cluster"]
    for name in CITY_TABLES:
        for _, row in tables[name].groupby("table").head(1).iterrows():
            heading = next(
                ln
                for ln in reversed(source_lines[: row["line"]])
                if "：" in ln and "\t" not in ln and vocab.get(ln.split("：")[0])
            )
            assert vocab.get(heading.split("：")[0]) == row["cluster"]


def test_province_tables_follow_industry_headings(tables):
    df = tables["province_industry_rank"]

    def at(industry, measure, rank):
        return df[(df["industry"] == industry) & (df["measure"] == measure) & (df["rank"] == rank)].iloc[0]

    assert at("工业", "share", 1)["province"] == "吉林"
    assert at("金融", "share", 1)["province"] == "西藏"
    assert at("金融", "growth", 1)["province"] == "西藏"
    assert at("医疗", "share", 1)["province"] == "海南"
    assert at("零售", "growth", 1)["province"] == "安徽"
    assert at("文体娱", "growth", 1)["province"] == "陕西"
    assert at("电商", "growth", 3)["province"] == "广东"


def test_rank_change_consistency_oddity(tables):
    """排名变化 should equal rank_2021 - rank_2022Q1; the source breaks it for six 成渝 cities only."""
    ov = tables["city_overview"]
    bad = ov[~ov["change_consistent"]]
    assert set(bad["cluster"]) == {"成渝城市群"}
    assert set(bad["city"]) == {"宜宾市", "南充市", "德阳市", "泸州市", "乐山市", "达州市"}


def test_catalog(tables):
    cat = {c["name"]: c for c in table_catalog()}
    assert set(cat) == set(tables)
    assert cat["city_rank_2021"]["rows"] == 134
    assert cat["province_industry_rank"]["rows"] == 140
    assert cat["cluster_top3_industries"]["first_line"] < cat["city_rank_2021"]["first_line"]
    for entry in cat.values():
        assert entry["first_line"] <= entry["last_line"]


def test_parse_of_the_report_text():
    """(How fast parsing is belongs to the benchmark; here: the report text parses into every table.)"""
    text = report_source().path.read_text(encoding="utf-8")
    assert {"city_rank_2021", "city_rank_2022Q1", "city_growth"} <= set(tb._parse(text, "x.txt"))


def test_cache_and_copies():
    first = tb.tables_readonly()
    assert tb.tables_readonly() is first
    copy = load_tables()
    copy["city_overview"].loc[0, "city"] = "改过的"
    assert tb.tables_readonly()["city_overview"].loc[0, "city"] != "改过的"


def _corpus_copy(tmp_path: Path) -> Path:
    src = report_source()
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(src.path, corpus / src.file)
    manifest = {
        "documents": [{"id": "tencent-dti-2022", "file": src.file, "title": src.title, "kind": "report"}]
    }
    (corpus / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    return corpus


def test_cache_follows_file_changes(tmp_path):
    corpus = _corpus_copy(tmp_path)
    path = corpus / report_source().file
    before = load_tables(corpus)["city_rank_2021"]
    assert "深圳市" in set(before["city"])
    path.write_text(path.read_text(encoding="utf-8").replace("\t深圳市", "\t鹏城市"), encoding="utf-8")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000))
    after = load_tables(corpus)["city_rank_2021"]
    assert "鹏城市" in set(after["city"])


def test_missing_report_is_a_corpus_error(tmp_path):
    corpus = tmp_path / "empty"
    corpus.mkdir()
    (corpus / "manifest.json").write_text('{"documents": []}', encoding="utf-8")
    with pytest.raises(ReportMissingError, match="tencent-dti-2022"):
        load_tables(corpus)


def test_broken_table_is_reported(tmp_path):
    corpus = _corpus_copy(tmp_path)
    path = corpus / report_source().file
    path.write_text(
        path.read_text(encoding="utf-8").replace("4\t东莞市\t105.5%", "4\t东莞市\t很快"), encoding="utf-8"
    )
    with pytest.raises(ReportMissingError, match="不是百分数"):
        load_tables(corpus)


# ---------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("kind", "given", "expected"),
    [
        ("city", "东莞", "东莞市"),
        ("city", "東莞市", "东莞市"),
        ("city", " 鄭州 ", "郑州市"),
        ("city", "石家庄", "石家庄市"),
        ("cluster", "长江中游城市", "长江中游城市群"),
        ("cluster", "長江中游城市羣", "长江中游城市群"),
        ("cluster", "京津冀", "京津冀城市群"),
        ("cluster", "呼包鄂榆", "呼包鄂榆城市群"),
        ("province", "广东省", "广东"),
        ("province", "內蒙古自治區", "内蒙古"),
        ("province", "新疆维吾尔自治区", "新疆"),
        ("province", "广西壮族自治区", "广西"),
        ("province", "北京市", "北京"),
        ("industry", "文化体育娱乐", "文体娱"),
        ("industry", "文化、体育和娱乐业", "文体娱"),
        ("industry", "智慧金融", "金融"),
        ("industry", "智慧零售", "零售"),
        ("industry", "智慧醫療", "医疗"),
    ],
)
def test_name_aliases(kind, given, expected):
    assert known_names()[kind].resolve(given) == expected


def test_normalize_full_width_and_traditional():
    assert normalize("２０２２Ｑ１ 長三角") == "2022q1长三角"


def test_unknown_name_lists_closest():
    with pytest.raises(ToolError) as err:
        known_names()["city"].resolve("东筦市")
    assert "东莞市" in str(err.value) and "未找到城市" in str(err.value)
    with pytest.raises(ToolError, match="省份"):
        province_vocabulary().resolve("火星省")


def test_vocabulary_scan_prefers_longest():
    found = known_names()["cluster"].scan(normalize("长江中游城市群和京津冀的比较"))
    assert [c for _, _, c in found] == ["长江中游城市群", "京津冀城市群"]
