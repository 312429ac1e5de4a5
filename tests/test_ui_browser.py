"""The chat page end to end in headless Debian Chromium (Playwright): real engine over the real index,
app started in this process on a free port. Screenshots go to test-artifacts/; the README's pictures
(docs/screenshot*.png: 1400×900, 390×844, dark) are written when missing or with UPDATE_SCREENSHOT=1."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.app.feedback import FeedbackStore
from bot.app.ui import free_port, serve_background
from bot.core import prompts
from bot.core.settings import REPO_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = REPO_ROOT / "test-artifacts"
DOCS = REPO_ROOT / "docs"
SAMPLES = REPO_ROOT / "tools" / "samples"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Chromium not installed at /usr/bin/chromium "
        "(apt-get install chromium; `make browser` does it)",
    ),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (python) not installed")
expect = sync_api.expect


def _with_data(settings, data_dir, **update):
    return settings.model_copy(
        update={"paths": settings.paths.model_copy(update={"data_dir": data_dir}), **update}
    )


@pytest.fixture(scope="module")
def served(settings, engine, tmp_path_factory) -> Iterator[tuple[str, object]]:
    s = _with_data(settings, tmp_path_factory.mktemp("ui-data"))
    app, url = serve_background(engine, s)
    yield url, s
    app.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def _open(browser, url: str):
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector("#question textarea")
    return ctx, page


@pytest.fixture
def page(browser, served):
    ctx, page = _open(browser, served[0])
    yield page
    ctx.close()


def ask(page, question: str, submit: str = "enter") -> str:
    """Type a question, send it, wait for the finished answer (its footer), return the last bot row's text."""
    footers = page.locator("#chatbot sub", has_text="ms")
    before = footers.count()
    page.fill("#question textarea", question)
    if submit == "enter":
        page.press("#question textarea", "Enter")
    else:
        page.click("#send")
    expect(footers).to_have_count(before + 1, timeout=30_000)  # the machine is shared: allow slow runs
    return page.locator("#chatbot .bot-row").last.inner_text()


def shot(page, name: str, full_page: bool = True) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def test_page_is_chinese_with_tabs_and_mode(page):
    for tab in ("对话", "数据表", "指数计算", "语料"):
        expect(page.get_by_role("tab", name=tab)).to_be_visible()
    # The badge says what an offline answer is (quotes from the sources), not just "离线".
    expect(page.locator("#bot-mode-label")).to_have_text(prompts.MODE_BADGE.format(mode=prompts.MODE_OFFLINE))
    expect(page.get_by_text("示例问题（点击填入）")).to_be_visible()
    assert page.title() == "数字化转型知识助手"


def test_ranking_question_shows_answer_citation_and_chart(page):
    page.get_by_text("关中平原增速前五的城市？", exact=True).click()  # an example question fills the box
    expect(page.locator("#question textarea")).to_have_value("关中平原增速前五的城市？")
    text = ask(page, page.locator("#question textarea").input_value(), submit="button")
    for city in ("运城市", "咸阳市", "宝鸡市", "天水市", "西安市"):
        assert city in text
    # The tool call is shown collapsed, with its rows in the table next to the chart.
    expect(page.locator("#chatbot").get_by_text("工具调用：top_cities")).to_be_visible()
    expect(page.locator("#sources .bot-src").first).to_contain_text("数字化转型指数报告 2022")
    expect(page.locator("#chart .vega-embed svg, #chart .vega-embed canvas").first).to_be_visible()
    expect(page.locator("#chart-table")).to_contain_text("运城市")
    # A cited table row carries its column headers.
    expect(page.locator("#sources .bot-src .bot-quote").first).to_contain_text(
        "增速排名：1；关中平原城市群：运城市"
    )
    # How the figures must be read: caveats under the answer, readable (not shrunk below 13 px).
    caveat = page.locator("#chatbot .bot-caveat").first
    expect(caveat).to_contain_text("两个同比增速的均值")
    assert float(caveat.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 13
    # A numbered marker in the answer opens the cited table row in its context.
    y_before = page.evaluate("window.scrollY")
    page.locator("#chatbot a[href*='#ref-c-']").first.click()
    expect(page.locator("#context mark")).to_contain_text("运城市")
    expect(page.locator("#context mark")).to_be_in_viewport()  # the panel scrolled itself to the row ...
    assert page.evaluate("window.scrollY") == y_before  # ... and the page did not move
    expect(page.locator("#sources .bot-selected")).to_have_count(1)
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "chat_ranking")


def test_prose_question_citation_opens_passage_with_highlight(page):
    text = ask(page, "产业互联网的C2B是什么意思？")
    assert "Consumer to Business" in text
    assert prompts.MODE_OFFLINE in text  # the footer says what an offline answer is
    # Each numbered marker shows its source and quote when the pointer rests on it.
    tip = (
        page.locator("#chatbot .bot-row")
        .last.locator("a[href*='#ref-c-']:visible")
        .first.get_attribute("title")
    )
    assert tip and tip.startswith("《产业互联网") and "C2B" in tip
    cards = page.locator("#sources .bot-src")
    expect(cards.first).to_contain_text("产业互联网")
    quote = cards.first.locator(".bot-quote").inner_text().rstrip("…")
    cards.first.locator(".bot-open").click()
    mark = page.locator("#context mark")
    expect(mark).to_be_visible()
    assert quote[:20] in mark.inner_text()
    # The passage is shown in its context: text around the quote, and the neighbouring chunk.
    main = page.locator("#context .bot-ctx-main").inner_text()
    assert len(main) > len(mark.inner_text())
    expect(page.locator("#context .bot-ctx-side").first).to_be_visible()
    assert page.locator("#chart").is_hidden()  # no chart for a prose answer
    shot(page, "chat_prose_context")


def test_unanswerable_question_lists_related_passages(page):
    text = ask(page, "火星上有多少人口？")
    assert prompts.NOT_IN_CORPUS in text
    assert "相关段落" in text
    expect(page.locator("#sources .bot-src-head")).to_contain_text("相关段落")
    page.locator("#sources .bot-open").first.click()
    expect(page.locator("#context .bot-ctx-main")).to_be_visible()


def test_feedback_with_comment_is_stored_in_sqlite(page, served):
    _, settings = served
    store = FeedbackStore(settings.paths.data_dir)
    before = store.count()
    page.click("#fb-up")  # nothing to rate yet
    expect(page.locator("#fb-status")).to_contain_text("还没有可以评价的回答")
    ask(page, "C2B在工具层面指什么？")
    page.fill("#fb-comment textarea", "引文准确，很有用")
    page.click("#fb-up")
    expect(page.locator("#fb-status")).to_contain_text("已记录")
    expect(page.locator("#fb-comment textarea")).to_have_value("")
    page.click("#fb-down")
    expect(page.locator("#fb-status")).to_contain_text("没帮助")
    rows = FeedbackStore(settings.paths.data_dir).all()[before:]
    assert [(r.rating, r.comment) for r in rows] == [(1, "引文准确，很有用"), (-1, "")]
    assert rows[0].question.startswith("C2B在工具层面")
    assert "工具层面" in rows[0].answer["answer"] and rows[0].answer["citations"]
    shot(page, "chat_feedback")


def test_empty_question_and_clear(page):
    page.click("#send")
    expect(page.locator("#chat-status")).to_contain_text("问题为空")
    ask(page, "C2B在工具层面指什么？")
    page.click("#clear")
    expect(page.locator("#chatbot .bot-row")).to_have_count(0)
    expect(page.locator("#sources")).to_contain_text("提问后")
    assert "Traceback" not in page.content()


@pytest.mark.parametrize("control", ["button", "trash"])
def test_clear_resets_everything_then_follow_up_has_no_old_context(page, control):
    first = ask(page, "成渝2022Q1排名第五的城市？")
    assert "南充市" in first
    follow = ask(page, "第六名呢？")  # with the context, a follow-up is about 成渝
    assert "德阳市" in follow
    if control == "button":
        page.click("#clear")
    else:  # the chatbot's own trash icon does the same full reset
        page.locator(
            "#chatbot button[aria-label='清空对话'], #chatbot button[title='清空对话']"
        ).first.click()
    expect(page.locator("#chatbot .bot-row")).to_have_count(0)
    expect(page.locator("#sources")).to_contain_text("提问后")
    expect(page.locator("#chart-table")).to_be_hidden()
    after = ask(page, "第六名呢？")
    assert "德阳市" not in after and "成渝" not in after


def test_calculator_bad_csv_message_then_samples(page, served, tmp_path):
    page.get_by_role("tab", name="指数计算").click()
    bad = tmp_path / "指标_分号.csv"
    bad.write_text("城市;云计算;人工智能\n甲;1;2\n", encoding="utf-8")
    page.set_input_files("#calc-indicators input[type=file]", str(bad))
    page.set_input_files("#calc-weights input[type=file]", str(SAMPLES / "expert_scores.csv"))
    expect(page.locator("#calc-weights")).to_contain_text("expert_scores")
    page.click("#calc-run")
    expect(page.locator("#calc-msg")).to_contain_text("不是逗号分隔的 CSV")
    shot(page, "calc_bad_csv")

    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("城市,云计算\n甲,1\n".encode("gbk"))
    page.locator("#calc-indicators button.icon-button").first.click()  # the file's clear button
    page.set_input_files("#calc-indicators input[type=file]", str(gbk))
    expect(page.locator("#calc-indicators")).to_contain_text("gbk")
    page.click("#calc-run")
    expect(page.locator("#calc-msg")).to_contain_text("不是 UTF-8 编码")
    assert "Traceback" not in page.content()

    page.click("#calc-sample")
    expect(page.locator("#calc-layers")).to_contain_text("layers")
    page.click("#calc-run")
    expect(page.locator("#calc-msg")).to_contain_text("已计算 6 个城市")
    expect(page.locator("#calc-result")).to_contain_text("示例城市甲")
    expect(page.locator("#calc-chart .vega-embed").first).to_be_visible()
    href = page.locator("#calc-csv a[download]").first.get_attribute("href")
    csv = httpx.get(href, timeout=10)
    assert csv.status_code == 200 and "综合指数" in csv.content.decode("utf-8-sig")
    shot(page, "calc_samples")


def test_tables_growth_has_one_growth_column(page):
    page.get_by_role("tab", name="数据表").click()
    page.locator("#table-pick input").click()
    page.get_by_role("option", name=re.compile("增速")).first.click()
    expect(page.locator("#table-view")).to_contain_text("同比增速(%)")
    names = [h.strip() for h in page.locator("#table-view thead th").all_inner_texts() if h.strip()]
    assert sum(1 for n in names if n.startswith("同比增速")) == 1, names


def test_tables_filter_sort_and_download(page):
    page.get_by_role("tab", name="数据表").click()
    expect(page.locator("#table-info")).to_contain_text("显示 134 / 134 行")
    page.fill("#table-filter textarea, #table-filter input", "成渝")
    page.press("#table-filter textarea, #table-filter input", "Enter")
    expect(page.locator("#table-info")).to_contain_text("显示 16 / 134 行")
    expect(page.locator("#table-view")).to_contain_text("成都市")
    expect(page.locator("#table-view")).to_contain_text("行号")
    headers = page.locator("#table-view thead th").all_inner_texts()
    names = [h.strip() for h in headers if h.strip()]
    assert names.index("行号") < names.index("文件")  # line numbers before the provenance columns
    page.locator("#table-order").get_by_text("降序").click()
    page.locator("#table-sort input").click()
    page.get_by_role("option", name="排名", exact=True).click()
    first_row = page.locator("#table-view tbody tr").first
    expect(first_row).to_contain_text("16")
    href = page.locator("#table-csv a[download]").first.get_attribute("href")
    body = httpx.get(href, timeout=10).content.decode("utf-8-sig")
    lines = body.strip().splitlines()
    assert len(lines) == 17 and "行号" in lines[0] and all("成渝" in ln for ln in lines[1:])
    shot(page, "tables")


def test_corpus_browse_and_search(page):
    page.get_by_role("tab", name="语料").click()
    expect(page.locator("#corpus-docs")).to_contain_text("产业互联网（序言与专家文集）")
    page.locator("#corpus-doc input").click()
    page.get_by_role("option", name="数字化转型指数报告 2022").click()
    expect(page.locator("#corpus-section .bot-section-text")).to_be_visible()
    expect(page.locator("#corpus-section-pick input")).not_to_have_value(re.compile(r" : |^\d+ "))
    page.fill("#corpus-query textarea, #corpus-query input", "C2B 产业互联网")
    page.click("#corpus-go")
    first = page.locator("#corpus-hits .bot-hit").first
    expect(first).to_contain_text("产业互联网")
    expect(first.locator("mark").first).to_have_text(
        re.compile("C2B|产业互联网|产业|互联网")
    )  # query words marked
    assert "得分" not in page.locator("#corpus-hits").inner_text()  # no raw retrieval scores
    first.locator(".bot-open").click()  # 查看原文: the hit in its context
    expect(page.locator("#corpus-context mark")).to_be_visible()
    expect(page.locator("#corpus-context .bot-ctx-main")).to_contain_text("C2B")
    # Without a filter the long book does not fill the list: the report's own passages are there too,
    # and a line says where the best matches come from.
    page.fill("#corpus-query textarea, #corpus-query input", "工业互联网")
    page.click("#corpus-go")
    expect(page.locator("#corpus-spread")).to_contain_text("《数字化转型指数报告 2022》")
    titles = page.locator("#corpus-hits .bot-hit .bot-src-title")
    expect(titles.filter(has_text="数字化转型指数报告 2022").first).to_be_visible()
    expect(titles.filter(has_text="产业互联网").first).to_be_visible()
    # Only one document (its option names how many of the best matches it holds): every hit is the report's.
    page.locator("#corpus-filter input").click()
    page.get_by_role("option", name=re.compile(r"^数字化转型指数报告 2022（\d+）$")).click()
    expect(page.locator("#corpus-spread")).to_be_visible()
    expect(titles.first).to_contain_text("数字化转型指数报告 2022")
    assert all("数字化转型指数报告 2022" in t for t in titles.all_inner_texts())
    expect(page.locator("#corpus-hits mark").first).to_have_text(re.compile("工业|互联网"))
    shot(page, "corpus")


def test_llm_failure_falls_back_with_a_visible_note(browser, settings, retriever, tmp_path):
    """An LLM endpoint that refuses connections: the page still answers (offline) and says so."""
    from bot.answer.engine import Engine

    dead = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    llm = settings.llm.model_copy(
        update={"base_url": dead, "model": "dead-model", "api_key": "x", "max_retries": 0, "timeout_s": 3}
    )
    s = _with_data(settings, tmp_path, llm=llm)
    app, url = serve_background(Engine(s, retriever=retriever), s)
    ctx, page = _open(browser, url)
    try:
        expect(page.locator("#bot-mode-label")).to_contain_text("dead-model")
        text = ask(page, "产业互联网的C2B是什么意思？")
        assert prompts.LLM_FALLBACK_NOTE in text
        assert "Consumer to Business" in text
        shot(page, "chat_llm_fallback")
    finally:
        ctx.close()
        app.close()


class LeakServer:
    """A local HTTP server standing in for an attacker's: it records every request it gets."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        hits: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.end_headers()

            do_POST = do_GET

            def log_message(self, *args) -> None:
                pass

        self.hits = hits
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def leak():
    server = LeakServer()
    yield server
    server.stop()


def test_llm_answer_with_exfiltration_payloads_fetches_nothing(browser, settings, retriever, tmp_path, leak):
    """A model answer carrying a Markdown image, an <img> tag, links and a reference image, all pointing at a
    live local port: the page shows the answer, and the browser never requests that port."""
    from bot.answer.engine import Engine
    from tests.llm_server import ReplayServer
    from tests.test_llm import exfiltration_responses

    replay = ReplayServer(exfiltration_responses(leak.url)).start()
    llm = settings.llm.model_copy(
        update={
            "base_url": replay.url,
            "model": "replay-model",
            "api_key": "x",
            "max_retries": 0,
            "timeout_s": 10,
        }
    )
    s = _with_data(settings, tmp_path, llm=llm)
    app, url = serve_background(Engine(s, retriever=retriever), s)
    ctx, page = _open(browser, url)
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    try:
        text = ask(page, "数字化转型指数的指标体系包括哪些层面？")
        assert "加权平均" in text and "进度图" in text and "查看详情" in text
        # The user's own message is shown literally too.
        ask(page, f"![q]({leak.url}/typed.png) <img src={leak.url}/typed2.png> 产业互联网是什么？")
        page.wait_for_timeout(1500)  # time for any image or script the page would load
        chat = page.locator("#chatbot")
        assert chat.locator("img[src*='127.0.0.1']").count() == 0
        assert chat.locator(f"a[href^='{leak.url}']").count() == 0
        shot(page, "chat_llm_exfiltration")
    finally:
        ctx.close()
        app.close()
        replay.stop()
    assert leak.hits == [], leak.hits
    assert not [u for u in requested if u.startswith(leak.url)], requested


def test_briefing_tab_shows_progress_and_downloads_all_three_formats(page, tmp_path):
    page.get_by_role("tab", name="简报").click()
    page.fill("#brief-topic textarea, #brief-topic input", "成渝城市群")
    page.click("#brief-go")
    # Progress while it builds: the current step and how far it is.
    expect(
        page.locator(".progress-level-inner", has_text=re.compile(r"……\s*-\s*\d+(\.\d+)?%")).first
    ).to_be_visible()
    expect(page.locator("#brief-msg")).to_contain_text("已生成“成渝城市群”的简报", timeout=90_000)
    expect(page.locator("#brief-body")).to_contain_text("简报：成渝城市群")
    expect(page.locator("#brief-body")).to_contain_text("重庆市")
    expect(page.locator("#brief-chart img")).to_be_visible()
    expect(page.locator("#brief-rest")).to_contain_text("数据说明")
    files = {}
    for fmt in ("md", "docx", "pdf"):
        button = page.locator(f"#brief-dl-{fmt}")
        expect(button).to_be_enabled()
        with page.expect_download() as info:
            button.click()
        files[fmt] = tmp_path / info.value.suggested_filename
        info.value.save_as(files[fmt])
    md = files["md"].read_text(encoding="utf-8")
    assert files["md"].name == "简报_成渝城市群.md" and md.startswith("# 简报：成渝城市群")
    assert "data:image/png;base64," in md  # one file to forward: the chart travels inside it
    docx = pytest.importorskip("docx")
    doc = docx.Document(str(files["docx"]))
    assert doc.paragraphs[0].text == "简报：成渝城市群" and len(doc.inline_shapes) == 1
    assert files["pdf"].read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(files["pdf"]), "-"], capture_output=True, text=True).stdout
        assert "关键数据" in text and "122.5" in text
    page.locator("#brief-source input").click()
    page.get_by_role("option", name=re.compile(r"^\[1\]")).click()
    expect(page.locator("#brief-context mark")).to_contain_text("成都市")
    shot(page, "briefing")


# ---------------------------------------------------------------- 评测 tab

EVAL_SCREENSHOT = REPO_ROOT / "docs" / "eval-tab.png"
FIGURES = (
    "answer_accuracy",
    "retrieval_hit@1",
    "retrieval_hit@3",
    "retrieval_hit@5",
    "mrr",
    "false_refusal_rate",
)


def _small_set(path: Path) -> Path:
    """Two items of each type from the dev set (a real set, so the figures are not trivial)."""
    import json

    rows = [
        json.loads(line) for line in (REPO_ROOT / "evals/datasets/dev.jsonl").read_text("utf-8").splitlines()
    ]
    pick = [
        r
        for t in ("ranking", "calc", "fact", "multi", "unanswerable")
        for r in [x for x in rows if x["type"] == t][:2]
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in pick) + "\n", encoding="utf-8")
    return path


def _figure(page, key: str) -> str:
    return page.locator(f'#eval-figures [data-metric="{key}"] b').inner_text().strip()


def test_eval_tab_figures_equal_the_cli_and_compare_with_its_run(page, served, tmp_path, monkeypatch, capsys):
    import json

    from bot.app.cli import main
    from bot.core.settings import get_settings

    url, s = served
    small = _small_set(tmp_path / "小题集.jsonl")
    # The CLI on the same index and data folder: its run lands in the history the tab lists.
    monkeypatch.setenv("BOT_PATHS__INDEX_DIR", str(s.paths.index_dir))
    monkeypatch.setenv("BOT_PATHS__DATA_DIR", str(s.paths.data_dir))
    get_settings.cache_clear()
    out = tmp_path / "cli.json"
    assert main(["eval", "--dataset", str(small), "--json", str(out)]) == 0
    cli_run = re.search(r"运行 #(\d+)", capsys.readouterr().out).group(1)
    cli = json.loads(out.read_text(encoding="utf-8"))["aggregate"]

    page.get_by_role("tab", name="评测").click()
    page.set_input_files("#eval-upload input[type=file]", str(small))
    expect(page.locator("#eval-msg")).to_contain_text("10 道题，格式正确")
    page.click("#eval-run")
    expect(page.locator("#eval-msg")).to_contain_text("完成：10 题", timeout=120_000)
    expect(page.locator("#eval-progress-text")).to_contain_text("10 / 10 题")
    for key in FIGURES:
        assert _figure(page, key) == f"{cli[key]:.3f}", key
    for t, v in cli["by_type"].items():
        expect(page.locator("#eval-types .virtual-row", has_text=t)).to_contain_text(
            f"{v['answer_accuracy']:.3f}"
        )
    rows = page.locator("#eval-items .virtual-row")  # this Gradio renders table rows as divs
    expect(rows).to_have_count(10)
    page.locator("#eval-failures input").check()
    expect(rows).to_have_count(10 - round(cli["answer_accuracy"] * 10))
    page.locator("#eval-failures input").uncheck()
    expect(rows).to_have_count(10)

    # Downloads: the JSON holds the same figures, the HTML is one page, the CSV one row per item.
    href = page.locator("#eval-json a[download]").first.get_attribute("href")
    got = httpx.get(href, timeout=10).json()["aggregate"]
    assert all(got[k] == cli[k] for k in FIGURES)
    html = httpx.get(page.locator("#eval-html a[download]").first.get_attribute("href"), timeout=10).text
    assert html.startswith("<!DOCTYPE html>") and "逐题" in html
    body = httpx.get(page.locator("#eval-csv a[download]").first.get_attribute("href"), timeout=10)
    assert len(list(csv.reader(io.StringIO(body.content.decode("utf-8-sig"))))) == 11

    # Compare with the CLI's run of the same set: no metric changed, no item flipped.
    page.locator("#eval-past input").click()
    page.get_by_role("option", name=re.compile(rf"^#{cli_run} ")).click()
    page.click("#eval-compare")
    table = page.locator("#eval-compare-metrics")
    expect(table).to_be_visible()
    expect(table.locator('tr[data-metric="answer_accuracy"]')).to_contain_text("+0.000")
    expect(page.locator("#eval-compare-out")).to_contain_text("没有题目翻转")
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "eval_tab")
    if not EVAL_SCREENSHOT.exists() or os.environ.get("UPDATE_SCREENSHOT") == "1":
        page.screenshot(path=str(EVAL_SCREENSHOT), full_page=True)


def test_eval_tab_malformed_upload_lists_line_numbered_errors(page, tmp_path):
    page.get_by_role("tab", name="评测").click()
    bad = tmp_path / "坏题集.jsonl"
    bad.write_text(
        '{"id": "a", "question": "问题一", "type": "fact", "accept": ["甲"]}\n'
        "{broken\n"
        '{"id": "b", "question": "问题三", "type": "ranked", "accept": ["乙"]}\n'
        '{"id": "a", "question": "", "type": "fact", "accept": []}\n',
        encoding="utf-8",
    )
    page.set_input_files("#eval-upload input[type=file]", str(bad))
    msg = page.locator("#eval-msg")
    expect(msg).to_contain_text("评测集 坏题集.jsonl 有 5 处问题")
    for line in (
        "第 2 行：不是合法的 JSON",
        "第 3 行：字段 type：“ranked”无效",
        "第 4 行：字段 id：“a”与第 1 行重复",
    ):
        expect(msg).to_contain_text(line)
    expect(msg).to_contain_text("第 4 行：字段 question：应为非空文本")
    expect(msg).to_contain_text("第 4 行：字段 accept：可回答的题目至少要有一个可接受答案")
    page.click("#eval-run")  # running it anyway gives the same errors, not a traceback
    expect(msg).to_contain_text("第 2 行")
    expect(page.locator("#eval-figures .bot-fig")).to_have_count(0)
    shot(page, "eval_bad_upload")

    page.locator("#eval-upload button.icon-button").first.click()  # the file's clear button
    bad_csv = tmp_path / "坏题集.csv"
    bad_csv.write_text("id,question,type,accept\nc1,问题,calc,\nc2,问题二,fact,甲,多余\n", encoding="utf-8")
    page.set_input_files("#eval-upload input[type=file]", str(bad_csv))
    expect(msg).to_contain_text("第 2 行：字段 accept")
    expect(msg).to_contain_text("第 3 行：有 5 列，比表头多")
    assert "Traceback" not in page.content()


def test_eval_run_can_be_stopped(page):
    page.get_by_role("tab", name="评测").click()
    page.click("#eval-run")  # dev, 160 items
    expect(page.locator("#eval-progress-text")).to_have_text(re.compile(r"^[1-9]\d* / 160 题"))
    page.click("#eval-stop")
    expect(page.locator("#eval-msg")).to_contain_text("已停止", timeout=60_000)
    done = int(re.search(r"完成 (\d+) / 160", page.locator("#eval-msg").inner_text()).group(1))
    assert done < 160
    expect(page.locator('#eval-figures [data-metric="answer_accuracy"] small')).to_contain_text(
        f"/ {done} 题"
    )


def test_question_from_the_chat_joins_a_local_set_and_runs(page, served):
    import json

    _, s = served
    ask(page, "成渝2022Q1排名第五的城市？")
    page.locator("#evalcap").get_by_text("加入评测集").first.click()
    page.click("#evalcap-add")  # no expected answer yet
    expect(page.locator("#evalcap-status")).to_contain_text("请写下期望答案")
    page.fill("#evalcap-expected textarea, #evalcap-expected input", "南充")
    page.locator("#evalcap-type input").click()
    page.get_by_role("option", name="排名").click()
    page.fill("#evalcap-set input", "浏览器题集")
    page.click("#evalcap-add")
    status = page.locator("#evalcap-status")
    expect(status).to_contain_text("加入评测集 浏览器题集（编号 浏览器题集-001）")
    expect(status).to_contain_text("已把“成渝2022Q1排名第五的城市")
    saved = (s.paths.data_dir / "datasets" / "浏览器题集.jsonl").read_text(encoding="utf-8").splitlines()
    item = json.loads(saved[-1])
    assert item["type"] == "ranking" and item["accept"] == ["南充"] and item["question"].startswith("成渝")

    page.get_by_role("tab", name="评测").click()
    page.locator("#eval-dataset input").click()
    page.get_by_role("option", name="浏览器题集（我的题集）").click()
    page.click("#eval-run")
    expect(page.locator("#eval-msg")).to_contain_text("完成", timeout=60_000)
    assert _figure(page, "answer_accuracy") == "1.000"


def test_formula_renders_as_katex_and_follows_its_announcing_quote(page):
    text = ask(page, "指标权重是怎么确定的？")
    assert "由以下公式决定" in text
    bot = page.locator("#chatbot .bot-row").last
    expect(bot.locator(".katex").first).to_be_visible()  # drawn by KaTeX, not escaped text
    assert "$$" not in bot.inner_text() and "\\alpha" not in bot.inner_text()
    # The source card and the passage panel draw the same formula (MathML), highlighted with its sentence.
    card = page.locator("#sources .bot-src", has_text="由以下公式决定").first
    expect(card.locator("math")).to_have_count(1)
    card.locator(".bot-open").click()
    expect(page.locator("#context mark math")).to_have_count(1)
    assert "$$" not in page.locator("#context").inner_text()
    shot(page, "chat_formula")


# WCAG 2.x contrast of an element's text against the first opaque background behind it.
CONTRAST_JS = """
(el) => {
  const rgb = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = (c) => { const f = (v) => { v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  let bg = null;
  for (let e = el; e; e = e.parentElement) {
    const c = rgb(getComputedStyle(e).backgroundColor);
    if (c && c.a > 0.5) { bg = c; break; }
  }
  bg = bg || {r: 255, g: 255, b: 255};
  const fg = rgb(getComputedStyle(el).color);
  if (!fg) return -1;
  const [l1, l2] = [lum(fg), lum(bg)].sort((a, b) => b - a);
  return (l1 + 0.05) / (l2 + 0.05);
}
"""


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_source_cards_and_highlights_meet_wcag_aa(browser, served, scheme):
    ctx = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN", color_scheme=scheme)
    page = ctx.new_page()
    try:
        page.goto(served[0], wait_until="domcontentloaded")
        page.wait_for_selector("#question textarea")
        assert page.evaluate("document.body.classList.contains('dark')") == (scheme == "dark")
        ask(page, "产业互联网的C2B是什么意思？")
        page.locator("#sources .bot-src").first.click()
        expect(page.locator("#context mark")).to_be_visible()
        selectors = [
            "#sources .bot-src-head",
            "#sources .bot-src-title",
            "#sources .bot-num",
            "#sources .bot-src-sec",
            "#sources .bot-quote",
            "#sources .bot-open",
            "#context .bot-ctx-head",
            "#context .bot-ctx-side",
            "#context .bot-ctx-main",
            "#context mark",
            "#bot-mode-label",
        ]
        ratios = {sel: page.locator(sel).first.evaluate(CONTRAST_JS) for sel in selectors}
        low = {sel: round(r, 2) for sel, r in ratios.items() if r < 4.5}
        assert not low, f"contrast below WCAG AA 4.5:1 in {scheme} mode: {low}"
        shot(page, f"chat_{scheme}")
    finally:
        ctx.close()


def test_phone_input_on_first_screen_sources_folded_and_passage_sheet(browser, served):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
    page = ctx.new_page()
    try:
        page.goto(served[0], wait_until="domcontentloaded")
        box_input = page.locator("#question textarea")
        expect(box_input).to_be_visible()
        box = box_input.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 844, box  # on the first screen, no scrolling
        assert page.evaluate("window.scrollY") == 0
        shot(page, "phone_first_screen", full_page=False)
        ask(page, "产业互联网的C2B是什么意思？")
        fold = page.locator("#chatbot .bot-row").last.locator("details.bot-fold")
        expect(fold).to_be_visible()
        fold.locator("summary").click()
        link = fold.locator("a[href*='#ref-c-']").first
        expect(link).to_be_visible()
        link.scroll_into_view_if_needed()  # a click scrolls to its target first: not the page's jump
        y_before = page.evaluate("window.scrollY")
        link.click()
        mark = page.locator("#context mark")
        expect(mark).to_be_in_viewport()  # the passage opens over the bottom of the screen ...
        assert page.evaluate("window.scrollY") == y_before  # ... and the page itself did not jump
        shot(page, "phone_passage", full_page=False)
        page.locator("#context .bot-close").click()
        expect(mark).not_to_be_in_viewport()
    finally:
        ctx.close()


ENGLISH_JS = """() => {
  const out = [];
  for (const e of document.querySelectorAll('[aria-label],[title],[placeholder],[alt]')) {
    for (const a of ['aria-label', 'title', 'placeholder', 'alt']) {
      const v = e.getAttribute(a);
      if (v && /[A-Za-z]{4,}/.test(v) && !/[\\u4e00-\\u9fff]/.test(v)) out.push(a + '=' + v);
    }
  }
  const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (w.nextNode()) {
    const t = w.currentNode.textContent.trim(), p = w.currentNode.parentElement;
    if (t && /[A-Za-z]{4,}/.test(t) && !/[\\u4e00-\\u9fff]/.test(t) && p.offsetParent !== null &&
        !p.closest('script,style,.katex,math,footer,svg')) out.push('text=' + t.slice(0, 60));
  }
  return out;
}"""
EMOJI = re.compile("[\U0001f000-\U0001ffff\u2600-\u27bf\u2b00-\u2bff\u23e9-\u23ff]")


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_no_english_labels_and_no_emoji_glyphs(browser, served, locale):
    ctx = browser.new_context(viewport={"width": 1400, "height": 900}, locale=locale)
    page = ctx.new_page()
    try:
        page.goto(served[0], wait_until="domcontentloaded")
        page.wait_for_selector("#question textarea")
        ask(page, "关中平原增速前五的城市？")
        page.locator("#chatbot .bot-row").last.hover()
        english = page.evaluate(ENGLISH_JS)
        # Tool names (top_cities) and report terms (Consumer to Business) are content, not page chrome.
        english = [x for x in english if "top_cities" not in x and "C2B" not in x]
        assert not english, english
        assert not EMOJI.search(page.locator("body").inner_text())
        expect(page.get_by_role("textbox", name="问题", exact=True)).to_be_visible()  # its accessible name
    finally:
        ctx.close()


def test_stop_then_regenerate(page):
    footers = page.locator("#chatbot sub", has_text="ms")
    # A briefing takes a few seconds: long enough to be stopped half-way.
    page.fill("#question textarea", "写一段关于长江中游城市群的简报")
    page.press("#question textarea", "Enter")
    expect(page.locator("#chatbot .bot-row").last).to_contain_text("正在生成")
    page.click("#stop")
    last = page.locator("#chatbot .bot-row").last
    expect(last).to_contain_text("已停止")
    expect(page.locator("#chat-status")).to_contain_text("已停止")
    page.wait_for_timeout(500)
    assert footers.count() == 0  # the stopped answer never finished
    page.click("#regen")  # asks the stopped question again
    expect(footers).to_have_count(1, timeout=90_000)
    expect(page.locator("#chatbot .bot-row").last).to_contain_text("简报：长江中游")
    expect(page.locator("#chatbot .user-row")).to_have_count(1)
    page.click("#clear")
    expect(page.locator("#chatbot .bot-row")).to_have_count(0)
    ask(page, "产业互联网的C2B是什么意思？")
    page.click("#regen")  # a finished answer is replaced, not appended
    page.wait_for_timeout(1500)  # a cached answer comes back at once
    expect(page.locator("#chatbot .bot-row").last).to_contain_text("Consumer to Business")
    expect(page.locator("#chatbot .user-row")).to_have_count(1)
    expect(footers).to_have_count(1)


def test_history_survives_reload_and_exports_markdown(page, tmp_path):
    ask(page, "成渝2022Q1排名第五的城市？")
    ask(page, "第六名呢？")
    expect(page.locator("#history-pick input")).to_have_value(re.compile("2 问"))  # saved in this browser
    page.reload(wait_until="domcontentloaded")
    page.wait_for_selector("#question textarea")
    chat = page.locator("#chatbot")
    expect(chat).to_contain_text("德阳市")  # the latest conversation is back after a reload ...
    expect(page.locator("#sources .bot-src").first).to_be_visible()
    follow = ask(page, "第七名呢？")  # ... and its follow-ups still have the context
    assert "成渝" in follow
    page.click("#clear")
    expect(page.locator("#chatbot .bot-row")).to_have_count(0)
    ask(page, "产业互联网的C2B是什么意思？")
    page.locator("#history-pick input").click()
    options = page.get_by_role("option")
    expect(options).to_have_count(2)  # two conversations, newest first
    page.get_by_role("option", name=re.compile("^成渝2022Q1")).click()
    expect(chat).to_contain_text("德阳市")
    expect(chat).not_to_contain_text("Consumer to Business")
    with page.expect_download() as info:
        page.click("#export")
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    md = path.read_text(encoding="utf-8")
    assert md.startswith("# 对话记录：成渝2022Q1排名第五的城市") and path.suffix == ".md"
    assert md.count("## 问题") == 3 and "德阳市" in md and "来源：" in md
    shot(page, "chat_history")


def test_briefing_from_the_chat_opens_in_the_briefing_tab(page):
    footers = page.locator("#chatbot sub", has_text="ms")
    page.fill("#question textarea", "写一段关于成渝城市群的简报")
    page.press("#question textarea", "Enter")
    expect(page.locator("#chatbot .bot-row").last).to_contain_text("正在生成“成渝城市群”的简报")  # progress
    expect(footers).to_have_count(1, timeout=90_000)
    bot = page.locator("#chatbot .bot-row").last
    expect(bot).to_contain_text("简报：成渝城市群")
    expect(bot).to_contain_text("重庆市")
    assert prompts.NOT_IN_CORPUS not in bot.inner_text()  # not refused as "not in the corpus"
    expect(page.locator("#sources .bot-src").first).to_be_visible()
    shot(page, "chat_briefing")
    page.click("#open-brief")
    expect(page.get_by_role("tab", name="简报")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#brief-topic textarea, #brief-topic input")).to_have_value("成渝城市群")
    expect(page.locator("#brief-body")).to_contain_text("简报：成渝城市群", timeout=90_000)
    expect(page.locator("#brief-dl-docx")).to_be_enabled()


@pytest.mark.parametrize(
    ("name", "viewport", "scheme", "question"),
    [
        ("screenshot.png", {"width": 1400, "height": 900}, "light", "关中平原增速前五的城市？"),
        ("screenshot_phone.png", {"width": 390, "height": 844}, "light", "产业互联网的C2B是什么意思？"),
        ("screenshot_dark.png", {"width": 1400, "height": 900}, "dark", "指标权重是怎么确定的？"),
    ],
)
def test_readme_screenshots(browser, served, name, viewport, scheme, question):
    """The README's pictures: desktop, phone and dark mode, each after a question with a citation open."""
    path = DOCS / name
    if path.exists() and os.environ.get("UPDATE_SCREENSHOT") != "1":
        pytest.skip(f"{name} exists (UPDATE_SCREENSHOT=1 refreshes it)")
    ctx = browser.new_context(viewport=viewport, locale="zh-CN", color_scheme=scheme)
    page = ctx.new_page()
    try:
        page.goto(served[0], wait_until="domcontentloaded")
        page.wait_for_selector("#question textarea")
        ask(page, question)
        if viewport["width"] < 640:  # phone: open the folded sources, then a passage
            fold = page.locator("#chatbot .bot-row").last.locator("details.bot-fold")
            fold.locator("summary").click()
            fold.locator("a[href*='#ref-c-']").first.click()
        else:
            page.locator("#chatbot .bot-row").last.locator("a[href*='#ref-c-']:visible").last.click()
        expect(page.locator("#context mark")).to_be_visible()
        page.evaluate("window.scrollTo(0, 0)")
        DOCS.mkdir(exist_ok=True)
        page.screenshot(path=str(path))
    finally:
        ctx.close()


def test_edit_last_question_asks_it_again(page):
    ask(page, "成渝2022Q1排名第五的城市？")
    ask(page, "第六名呢？")
    users = page.locator("#chatbot .user-row")
    # An earlier question cannot be edited (later answers were built on it).
    page.locator("#chatbot button[aria-label='编辑']").first.click()
    page.locator("#chatbot textarea").first.fill("长三角2022Q1排名第一的城市？")
    page.locator("#chatbot button[aria-label='提交']").first.click()
    expect(page.locator("#chat-status")).to_contain_text("只能修改最后一个问题")
    expect(users.first).to_contain_text("成渝2022Q1排名第五")  # shown as it was asked
    # The last one can: its answer is replaced by the answer to the edited question.
    page.locator("#chatbot button[aria-label='编辑']").last.click()
    page.locator("#chatbot textarea").first.fill("第七名呢？")
    page.locator("#chatbot button[aria-label='提交']").first.click()
    expect(page.locator("#chatbot .bot-row").last).to_contain_text("排名第7")
    expect(users).to_have_count(2)
    expect(page.locator("#chatbot")).not_to_contain_text("德阳市")
    expect(page.locator("#sources .bot-src-head")).to_contain_text("第 2 个问题")
