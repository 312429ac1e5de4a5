"""Rendering helpers of the page, without a browser: formulas kept for KaTeX / MathML."""

from __future__ import annotations

from bot.app.ui.render import PassageFinder, _clip, formula_after, html_math, md_escape_math
from bot.core.schema import Answer, Chunk, Citation

TEXT = "最终指标j的权重由以下公式决定：\n\n$$\\alpha_j = \\sum_{i=1}^n \\alpha_{ij}$$\n\ni : 第*i*位专家"


def test_formula_after_an_announcing_quote_only():
    assert (
        formula_after(TEXT, "最终指标j的权重由以下公式决定：") == "$$\\alpha_j = \\sum_{i=1}^n \\alpha_{ij}$$"
    )
    assert formula_after(TEXT, "最终指标j的权重") == ""  # no colon: nothing announced
    assert formula_after("别的段落：\n没有公式", "别的段落：") == ""


def test_markdown_escapes_prose_but_keeps_formulas_raw():
    md = md_escape_math("a_b：$$\\alpha_{ij}$$ *x*")
    assert "a\\_b" in md and "\\*x\\*" in md
    assert "\n$$\\alpha_{ij}$$\n" in md
    assert "<math" in html_math("x < y $$\\alpha_j$$") and "x &lt; y" in html_math("x < y $$a$$")
    assert _clip("长" * 200 + "：$$a_j$$", 10).endswith("… $$a_j$$")


def test_complete_formulas_extends_quote_and_offline_text():
    chunk = Chunk(chunk_id="d:1", doc_id="d", title="报告", section="赋权", text=TEXT, start=0, end=len(TEXT))
    quote = "最终指标j的权重由以下公式决定："
    ans = Answer(
        question="q",
        answer=f"根据《报告》：“{quote}”",
        citations=[Citation(doc_id="d", title="报告", quote=quote, chunk_id="d:1")],
    )
    out = PassageFinder([chunk]).complete_formulas(ans)
    assert out.citations[0].quote.endswith("\\alpha_{ij}$$")
    assert out.answer.endswith("”\n$$\\alpha_j = \\sum_{i=1}^n \\alpha_{ij}$$\n")
    assert "<mark>" in PassageFinder([chunk]).context_html(out.citations[0])


def test_table_row_citation_carries_its_column_headers():
    text = "排名表如下\n\n2022Q1排名\t长三角城市群\t排名变化\n1\t上海市\t0\n2\t杭州市\t0\n"
    chunk = Chunk(chunk_id="d:1", doc_id="d", title="报告", text=text, start=0, end=len(text), is_table=True)
    finder = PassageFinder([chunk])
    cite = Citation(doc_id="d", title="报告", quote="2\t杭州市\t0", line=5)
    assert finder.row_label(cite) == "2022Q1排名：2；长三角城市群：杭州市；排名变化：0"
    assert finder.row_label(Citation(doc_id="d", title="报告", quote="排名表如下")) == ""
    ans = Answer(question="q", answer="a", citations=[cite])
    assert finder.label_rows(ans).citations[0].quote.startswith("2022Q1排名：2")
    assert ans.citations[0].quote == "2\t杭州市\t0"  # the original is untouched (the panel finds it)


def test_corpus_tab_helpers_and_table_view():
    import pandas as pd

    from bot.app.ui.corpus_tab import highlight, hit_sentence, query_terms, readable_section
    from bot.app.ui.tables_tab import display_frame

    assert (
        readable_section("1 指数的背景 > 指数构成及计算方法 > k : 样本城市总数")
        == "指数的背景 › 指数构成及计算方法"
    )
    terms = query_terms("工业互联网 平台")
    assert terms[0] == "工业互联网" and "平台" in terms
    assert highlight("工业互联网<平台>", terms) == "<mark>工业互联网</mark>&lt;<mark>平台</mark>&gt;"
    assert hit_sentence("前文。这里讲工业互联网。后文", terms) == "这里讲工业互联网。"
    frame = pd.DataFrame(columns=["城市", "同比增速(%)", "同比增速", "原表标签", "来源表", "文件", "行号"])
    assert list(display_frame(frame).columns) == ["城市", "同比增速(%)", "行号", "文件", "来源表", "原表标签"]


def test_row_header_is_the_nearest_one_when_tables_touch():
    text = (
        "2022Q1排名\t关中平原城市群\t排名变化\n10\t商洛市\t0\n11\t铜川市\t0\n"
        "增速排名\t关中平原城市群\t同比增速\n1\t运城市\t132.6%\n"
    )
    chunk = Chunk(chunk_id="d:1", doc_id="d", title="报告", text=text, start=0, end=len(text), is_table=True)
    cite = Citation(doc_id="d", title="报告", quote="1\t运城市\t132.6%", chunk_id="d:1")
    assert PassageFinder([chunk]).row_label(cite) == "增速排名：1；关中平原城市群：运城市；同比增速：132.6%"


def test_corpus_search_spreads_hits_over_documents_and_counts_them(engine, settings):
    from bot.app.ui.corpus_tab import CorpusTab

    tab = CorpusTab(engine, settings)
    shown, cites, _, counts = tab.search("工业互联网", 8, "")
    docs = [c["doc_id"] for c in cites]
    # The long book no longer fills the list: the report's own case study is there without a filter.
    assert len(cites) == 8 and {"industrial-internet-book", "tencent-dti-2022"} <= set(docs)
    assert sum(counts.values()) == 80 and counts["industrial-internet-book"] > counts["tencent-dti-2022"] > 0
    assert 'id="corpus-spread"' in shown  # where the best matches come from, per document
    assert f"《数字化转型指数报告 2022》{counts['tencent-dti-2022']}" in shown
    labels = dict((v, label) for label, v in tab.filter_choices(counts))
    assert labels["tencent-dti-2022"] == f"数字化转型指数报告 2022（{counts['tencent-dti-2022']}）"
    # The filter keeps one document's hits, as many as its count allows.
    _, only, _, deeper = tab.search("工业互联网", 20, "tencent-dti-2022")
    assert {c["doc_id"] for c in only} == {"tencent-dti-2022"}
    assert len(only) == min(20, deeper["tencent-dti-2022"])
