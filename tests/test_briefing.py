"""Briefings on the real index with the real tool layer: every kind builds (every cluster, samples of cities,
provinces, industries, topics, comparisons), the number check catches planted errors, the chart never draws
tofu, and the Markdown / Word / PDF files read back (python-docx, pdftotext)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app.cli import main
from bot.briefing import chart as chart_mod
from bot.briefing.build import make_briefing
from bot.briefing.export import chart_for, export
from bot.briefing.model import Briefing, Section
from bot.briefing.render import markdown, page_html
from bot.briefing.subject import identify, parse, ranked_clusters
from bot.briefing.verify import EXACT, Num, check, matches, numbers
from bot.core import prompts
from bot.core.errors import BriefingCheckError, ExportError, InputError
from bot.core.settings import Settings
from tests.llm_server import ReplayServer
from tools.queries import aggregate_cities, city_profile, cluster_cities, num
from tools.result import fmt_number
from tools.tables import known_names

pytestmark = pytest.mark.slow

CITIES = [
    "成都",
    "深圳市",
    "宜昌",
    "重庆",
    "西安",
    "北京",
    "仙桃",
]  # 宜昌: a 31-city cluster; 重庆/北京: also provinces
PROVINCES = ["广东", "西藏自治区", "海南", "河北省", "湖北"]
INDUSTRIES = [
    "工业",
    "智慧金融",
    "文体娱",
    "房地产",
    "政务",
]  # ranked, alias, unranked, in no cluster's top 3
TOPICS = ["工业互联网", "数字就业", "C2B", "产业互联网", "数字政府"]
HAS_PDF_TOOLS = bool(shutil.which("pdftotext")) and Path(Settings().briefing.chromium_path).exists()


def _chunk(engine):
    return lambda cid: (
        engine.retriever.chunks[engine.retriever.by_id[cid]] if cid in engine.retriever.by_id else None
    )


def assert_well_formed(b: Briefing) -> None:
    """Checked, no empty section, every marker points at a source and every source is used."""
    assert b.checked
    assert b.sections and all(not s.empty() for s in b.sections)
    assert b.sections[0].key == "overview"
    used = {r for _, u in b.units() for r in u.refs}
    assert used == set(range(1, len(b.sources) + 1))
    for s in b.sections:
        for n in numbers(s.heading):
            pytest.fail(f"number {n} in heading {s.heading}")


@pytest.fixture(scope="module")
def chengyu(engine) -> Briefing:
    return make_briefing(engine, "成渝城市群", use_llm=False)


# ---------------------------------------------------------------- kinds


def test_kinds_come_from_the_tool_vocabularies():
    assert identify("京津冀").kind == "cluster" and identify("京津冀").name == "京津冀城市群"
    assert identify("呼包鄂榆").kind == "cluster" and not identify("呼包鄂榆").ranked
    assert identify("深圳").kind == "city" and identify("深圳").name == "深圳市"
    # A city of the tables first; its province rows join the 行业 section.
    assert identify("北京").kind == "city"
    assert identify("广东省").kind == "province" and identify("广东省").name == "广东"
    assert identify("智慧金融").kind == "industry" and identify("智慧金融").name == "金融"
    assert identify("房地产").kind == "industry" and not identify("房地产").ranked
    assert identify("工业互联网").kind == "topic"
    assert [s.name for s in parse("成渝 vs 长江中游")] == ["成渝城市群", "长江中游城市群"]
    assert [s.name for s in parse("成都和武汉")] == ["成都市", "武汉市"]
    assert [s.name for s in parse("成渝", ["长江中游", "京津冀"])] == [
        "成渝城市群",
        "长江中游城市群",
        "京津冀城市群",
    ]
    assert [s.kind for s in parse("数字技术与中国式现代化")] == ["topic"]  # 与 splits only names
    assert len(ranked_clusters()) == 7
    with pytest.raises(InputError, match="同为城市群或同为城市"):
        parse("成都 vs 长江中游")
    with pytest.raises(InputError, match="只支持城市群或城市"):
        parse("金融", ["工业"])
    with pytest.raises(InputError, match="太短"):
        parse(" ")


def test_a_briefing_for_every_cluster(engine):
    for cluster in known_names()["cluster"].canonical:
        b = make_briefing(engine, cluster, use_llm=False)
        assert_well_formed(b)
        assert b.kind == "cluster" and b.names == [cluster]
        keys = [s.key for s in b.sections]
        assert "industries" in keys, cluster  # every cluster has top-3 industries
        if cluster not in ranked_clusters():
            assert "key_data" not in keys and "chart" not in keys, cluster  # never padded
            continue
        assert {"key_data", "chart", "growth", "compare", "notes"} <= set(keys), cluster
        n = len(cluster_cities(cluster).rows)
        table = b.section("key_data").table
        assert len(table.rows) == (n if n <= 16 else 15), cluster
        assert len(b.section("compare").table.rows) == 7
        assert [r.strong for r in b.section("compare").table.rows].count(True) == 1
        mean = aggregate_cities(cluster, stat="mean").rows[-1]["growth"]
        assert f"{fmt_number(mean, 1)}%" in b.section("overview").units[2].text


@pytest.mark.parametrize(
    ("kind", "subjects"),
    [("city", CITIES), ("province", PROVINCES), ("industry", INDUSTRIES), ("topic", TOPICS)],
)
def test_a_briefing_for_samples_of_each_kind(engine, kind, subjects):
    for subject in subjects:
        b = make_briefing(engine, subject, use_llm=False)
        assert_well_formed(b)
        assert b.kind == kind, subject
        keys = [s.key for s in b.sections]
        if kind == "city":
            row = city_profile(subject).rows[0]
            assert {"key_data", "chart", "growth", "compare"} <= set(keys)
            strong = [r for r in b.section("key_data").table.rows if r.strong]
            assert len(strong) == 1 and row["city"] in strong[0].cells
            assert strong[0].cells[-1] == num(row["growth"])
        if kind == "topic":
            assert set(keys) <= {"overview", "report", "related"}  # no tables for a topic, never padded
            assert any(k in keys for k in ("report", "related"))
        if subject in ("重庆", "北京"):
            assert b.section("industries").table is not None  # the city is a province-level region too


def test_comparisons_of_clusters_and_cities(engine):
    b = make_briefing(engine, "成渝 vs 长江中游", use_llm=False)
    assert_well_formed(b)
    assert b.kind == "compare" and b.subject == "成渝城市群、长江中游城市群对比"
    assert [r.cells[0] for r in b.section("key_data").table.rows] == ["成渝城市群", "长江中游城市群"]
    assert [r.strong for r in b.section("compare").table.rows].count(True) == 2
    bars = b.section("chart").chart.series[0].bars
    assert len(bars) == 7 and {x.label for x in bars if x.strong} == {"成渝城市群", "长江中游城市群"}

    b = make_briefing(engine, "成都", ["武汉"], use_llm=False)
    assert_well_formed(b)
    assert [r.cells[2] for r in b.section("key_data").table.rows] == ["成都市", "武汉市"]
    assert any("不宜直接比较" in u.text for u in b.section("compare").units)


def test_unknown_subject_is_refused_in_one_sentence(engine):
    with pytest.raises(InputError, match="语料中没有关于“火星殖民”的内容"):
        make_briefing(engine, "火星殖民")


# ---------------------------------------------------------------- the number check


def test_number_extraction_and_matching():
    assert [n.value for n in numbers("2020Q1-2022Q1，排名变化-1，+2，占比30.78%")] == [
        2020, 1, 2022, 1, -1, 2, 30.78,
    ]  # fmt: skip
    assert matches(Num(93.9, 1), Num(93.8843, EXACT)) and matches(Num(94, 0), Num(93.8843, EXACT))
    assert not matches(Num(93.8, 1), Num(93.8843, EXACT))
    assert not matches(Num(3, 0), Num(2.6, 1))  # a written 2.6 is not rounded to 3
    assert matches(Num(1, 0, signed=True), Num(1, 0)) and not matches(Num(-1, 0, signed=True), Num(1, 0))
    assert matches(Num(122.5, 1), Num(122.5, 1))


def _copy(b: Briefing) -> Briefing:
    return b.model_copy(deep=True)


def _raises(engine, b: Briefing, number: str, section: str) -> None:
    with pytest.raises(BriefingCheckError) as err:
        check(b, _chunk(engine))
    msg = str(err.value)
    assert f"“{number}”" in msg and f"“{section}”" in msg, msg


def test_the_check_catches_a_planted_wrong_number(engine, chengyu):
    check(_copy(chengyu), _chunk(engine))  # the briefing as built passes

    b = _copy(chengyu)  # a table cell: 重庆市's growth 122.5 -> 125.2
    row = next(r for r in b.section("key_data").table.rows if r.cells[1] == "重庆市")
    row.cells[-1] = "125.2"
    _raises(engine, b, "125.2", "关键数据")

    b = _copy(chengyu)  # a sentence: 16 cities -> 17
    u = b.section("overview").units[0]
    u.text = u.text.replace("16个", "17个")
    _raises(engine, b, "17", "概况")

    b = _copy(chengyu)  # a derived figure: the position among the seven clusters
    u = b.section("compare").units[0]
    u.text = u.text.replace("居第6", "居第2")
    _raises(engine, b, "2", "对比")

    b = _copy(chengyu)  # a sign: 南充市 fell one place (-1), written as a rise
    row = next(r for r in b.section("key_data").table.rows if r.cells[1] == "南充市")
    assert row.cells[3] == "-1"
    row.cells[3] = "+1"
    _raises(engine, b, "+1", "关键数据")

    b = _copy(chengyu)  # a chart bar
    b.section("chart").chart.series[0].bars[0].value = 132.5
    _raises(engine, b, "132.5", "图表")

    b = _copy(chengyu)  # a number in a heading
    b.section("notes").heading = "数据说明2"
    _raises(engine, b, "2", "数据说明2")


def test_the_check_catches_an_altered_quote(engine, chengyu):
    b = _copy(chengyu)
    quote = b.section("report").units[0]
    quote.text = quote.text.replace("成渝", "成都", 1)
    with pytest.raises(BriefingCheckError, match="引文"):
        check(b, _chunk(engine))


def test_the_check_reruns_the_tools_rather_than_trusting_stored_results(engine, chengyu):
    b = _copy(chengyu)
    call = next(c for c in b.tool_calls if c.name == "cluster_cities")
    call.result = call.result.model_copy(update={"text": call.result.text.replace("16", "17")})
    u = b.section("overview").units[0]
    u.text = u.text.replace("16个", "17个")
    _raises(engine, b, "17", "概况")


def test_export_refuses_an_unchecked_briefing(chengyu, tmp_path):
    b = _copy(chengyu)
    b.checked = False
    with pytest.raises(BriefingCheckError, match="尚未通过数字核对"):
        export(b, "md", tmp_path / "x.md", Settings().briefing)
    with pytest.raises(ExportError, match="不支持的简报格式"):
        export(chengyu, "txt", tmp_path / "x.txt", Settings().briefing)


# ---------------------------------------------------------------- chart


def test_chart_uses_a_cjk_font_and_never_tofu(chengyu, monkeypatch):
    s = Settings().briefing
    families = tuple(s.cjk_fonts)
    chart = chengyu.section("chart").chart
    if chart_mod.find_cjk_font(families) is None:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
    drawn = chart_mod.render(chart, families)
    assert drawn.font and "CJK" in drawn.font and not drawn.legend
    assert "重庆市" in drawn.shown and drawn.png.startswith(b"\x89PNG")

    # A label the font cannot draw: the whole chart switches to ASCII keys with a legend.
    odd = chart.model_copy(deep=True)
    odd.series[0].bars[0].label = "𪚥𪚥市"
    keyed = chart_mod.render(odd, families)
    assert keyed.font is None and all(t.isascii() for t in keyed.shown)
    assert ("1", "𪚥𪚥市") in keyed.legend

    # No CJK font at all: numbered bars, the legend printed in every format.
    monkeypatch.setattr(chart_mod, "find_cjk_font", lambda families: None)
    plain = chart_mod.render(chart, families)
    assert plain.font is None and all(t.isascii() for t in plain.shown)
    assert [name for _, name in plain.legend][:3] == ["重庆市", "乐山市", "内江市"]
    md = markdown(chengyu, plain, "inline")
    assert f"| {prompts.BRIEF_LEGEND_KEY} | {prompts.BRIEF_LEGEND_NAME} |" in md and "| 1 | 重庆市 |" in md
    assert "<td>1</td><td>重庆市</td>" in page_html(chengyu, plain)


# ---------------------------------------------------------------- files read back


@pytest.fixture(scope="module")
def files(chengyu, tmp_path_factory) -> Iterator[dict[str, Path]]:
    s = Settings().briefing
    out = tmp_path_factory.mktemp("brief")
    rendered = chart_for(chengyu, s)
    formats = ("md", "docx", "pdf") if HAS_PDF_TOOLS else ("md", "docx")
    yield {fmt: export(chengyu, fmt, out / f"成渝.{fmt}", s, rendered) for fmt in formats}


def test_markdown_file_with_chart_next_to_it(files, chengyu):
    text = files["md"].read_text(encoding="utf-8")
    assert text.startswith("# 简报：成渝城市群\n")
    for s in chengyu.sections:
        assert f"## {s.heading}" in text
    assert "![" in text and "](成渝.png)" in text and files["md"].with_suffix(".png").exists()
    assert "| 2 | 重庆市 | 2 | 0 | 1 | 122.5 |" in text
    assert f"{len(chengyu.sources)}. 《数字化转型指数报告 2022》" in text


def test_word_file_reads_back(files, chengyu):
    docx = pytest.importorskip("docx")
    doc = docx.Document(str(files["docx"]))
    paragraphs = [p.text for p in doc.paragraphs]
    assert paragraphs[0] == "简报：成渝城市群"
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings == [s.heading for s in chengyu.sections] + [prompts.BRIEF_SOURCES]
    table = doc.tables[0]
    assert len(table.rows) == 17  # header + 16 cities
    assert [c.text for c in table.rows[2].cells][:6] == ["2", "重庆市", "2", "0", "1", "122.5"]
    assert len(doc.inline_shapes) == 1  # the chart
    numbered = [p.text for p in doc.paragraphs if p.style.name == "List Number"]
    assert len(numbered) == len(chengyu.sources) and numbered[0].startswith("《数字化转型指数报告 2022》")
    assert any("[1]" in r.text and r.font.superscript for p in doc.paragraphs for r in p.runs)


@pytest.mark.skipif(not HAS_PDF_TOOLS, reason="needs Chromium and poppler-utils (make browser)")
def test_pdf_reads_back_with_headings_figures_and_embedded_fonts(files, chengyu):
    pdf = files["pdf"]
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    for s in chengyu.sections:
        assert s.heading in text
    for figure in ("简报：成渝城市群", "122.5", "101.2%", "重庆市", "惠州市（145.2%）", "第556–571行"):
        assert figure in text, figure
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts)  # every font embedded
    pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert "Pages:" in pages and int(pages.split("Pages:")[1].split()[0]) <= 3


def test_pdf_without_chromium_says_what_to_do(chengyu, tmp_path, monkeypatch):
    s = Settings().briefing.model_copy(update={"chromium_path": tmp_path / "no-chromium"})
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(ExportError, match="导出 PDF 需要 Chromium"):
        export(chengyu, "pdf", tmp_path / "x.pdf", s)


# ---------------------------------------------------------------- LLM overview (recorded, over HTTP)


def _llm_engine(settings, retriever, server: ReplayServer, retries: int = 0):
    from bot.answer.engine import Engine

    llm = {"base_url": server.url, "api_key": "test-key", "model": "replay-model", "max_retries": retries}
    s = Settings(paths=settings.paths.model_dump(), retrieval=settings.retrieval.model_dump(), llm=llm)
    engine = Engine(s, retriever=retriever)
    engine.llm.backoff_base_s = 0.01  # type: ignore[union-attr]
    return engine


def test_llm_overview_is_checked_like_the_rest(settings, retriever):
    with ReplayServer.from_recording("briefing_overview") as server:
        b = make_briefing(_llm_engine(settings, retriever, server), "成渝城市群")
        prompt = server.requests[0]["body"]["messages"][-1]["content"]
    assert b.mode == "llm" and b.checked
    overview = b.section("overview").units
    assert len(overview) == 1 and overview[0].text.startswith("成渝城市群排名表共列出16个城市，")
    assert "[1]" not in overview[0].text and overview[0].refs  # markers become references
    assert "122.5" in prompt and "成渝城市群" in prompt


def test_llm_overview_with_a_wrong_number_stops_the_briefing(settings, retriever):
    with ReplayServer.from_recording("briefing_overview_wrong_number") as server:
        engine = _llm_engine(settings, retriever, server)
        with pytest.raises(BriefingCheckError) as err:
            make_briefing(engine, "成渝城市群")
    msg = str(err.value)
    assert "“111.2”" in msg and "“概况”" in msg and prompts.BRIEF_CHECK_LLM_HINT in msg


def test_llm_down_keeps_the_template_overview_with_a_note(settings, retriever):
    with ReplayServer([{"status": 500}]) as server:
        b = make_briefing(_llm_engine(settings, retriever, server), "成渝城市群")
    assert b.mode == "offline" and "大模型未能撰写概况" in b.note
    assert b.section("overview").units[0].text.startswith("成渝城市群是报告给出城市排名的七大城市群之一")


# ---------------------------------------------------------------- CLI


@pytest.fixture
def session_env(settings, monkeypatch):
    from bot.core.settings import get_settings

    monkeypatch.setenv("BOT_PATHS__INDEX_DIR", str(settings.paths.index_dir))
    get_settings.cache_clear()


def test_cli_brief_markdown_to_screen_and_file(session_env, tmp_path, capsys):
    assert main(["brief", "金融", "--quiet"]) == 0
    assert capsys.readouterr().out.startswith("# 简报：金融\n")
    out = tmp_path / "brief.md"
    assert main(["brief", "成渝城市群", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert (
        out.read_text(encoding="utf-8").startswith("# 简报：成渝城市群") and out.with_suffix(".png").exists()
    )
    assert prompts.BRIEF_STEP_TABLES in captured.err and "%]" in captured.err  # progress on stderr
    assert f"简报已写入 {out}" in captured.out


def test_cli_brief_compare_to_word(session_env, tmp_path, capsys):
    docx = pytest.importorskip("docx")
    out = tmp_path / "对比.docx"
    assert (
        main(["brief", "成渝", "--compare", "长江中游", "--format", "docx", "--out", str(out), "--quiet"])
        == 0
    )
    doc = docx.Document(str(out))
    assert doc.paragraphs[0].text == "简报：成渝城市群、长江中游城市群对比"
    assert [c.text for c in doc.tables[0].rows[1].cells][:2] == ["成渝城市群", "16"]


@pytest.mark.skipif(not HAS_PDF_TOOLS, reason="needs Chromium and poppler-utils (make browser)")
def test_cli_brief_pdf(session_env, tmp_path, capsys):
    out = tmp_path / "深圳.pdf"
    assert main(["brief", "深圳", "--format", "pdf", "--out", str(out)]) == 0
    assert prompts.BRIEF_STEP_EXPORT.format(fmt="PDF") in capsys.readouterr().err
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    assert "简报：深圳市" in text and "61.9%" in text


def test_cli_brief_bad_input_is_one_sentence(session_env, tmp_path, capsys):
    assert main(["brief", "火星殖民", "--quiet"]) == 2
    assert "语料中没有关于“火星殖民”的内容" in capsys.readouterr().err
    assert main(["brief", "成渝", "--format", "docx"]) == 2
    assert "请用 --out 指定" in capsys.readouterr().err
    assert main(["brief", "成渝", "--out", str(tmp_path / "x.txt")]) == 2
    assert "--format md|docx|pdf" in capsys.readouterr().err
    assert main(["brief", "成渝", "--llm"]) == 2
    assert "OPENAI_BASE_URL" in capsys.readouterr().err


def test_make_briefing_reports_progress(engine):
    steps: list[tuple[float, str]] = []
    make_briefing(engine, "金融", use_llm=False, progress=lambda f, t: steps.append((f, t)))
    assert [t for _, t in steps][:2] == [prompts.BRIEF_STEP_SUBJECT, prompts.BRIEF_STEP_TABLES]
    assert [f for f, _ in steps] == sorted(f for f, _ in steps)


def test_sections_are_never_padded(engine):
    b = make_briefing(engine, "C2B", use_llm=False)
    assert all(isinstance(s, Section) and (s.units or s.table or s.chart) for s in b.sections)
    assert b.section("key_data") is None and b.section("chart") is None
