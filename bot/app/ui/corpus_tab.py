"""The 语料 tab: the documents of the manifest, their sections (from the index's chunks), and corpus
search with the query highlighted, a per-document filter, and each hit openable in its context."""

from __future__ import annotations

import html
import re
from collections import Counter
from typing import Any

import gradio as gr
import pandas as pd

from bot.answer.engine import Engine
from bot.app.ui import notify
from bot.app.ui.render import PassageFinder, overlap_len
from bot.app.ui.style import CONTEXT_JS, HITS_JS
from bot.core.schema import Chunk, Citation, Hit
from bot.core.settings import Settings
from bot.index.corpus import load_manifest
from bot.index.retrieve import spread_over_documents

KINDS = {"article": "文章", "report": "报告", "book": "书籍", "document": "文档"}
ALL_DOCS = "（全部文档）"
SNIPPET_CHARS = 180
EMPTY_QUERY = "请输入要搜索的关键词。"
POOL = 80  # matches a search ranks before spreading them over the documents or filtering one
_VARIABLE = re.compile(r"^[A-Za-z_\\{}()^0-9αβγδ]{1,12}\s*[:：]\s")  # "k : 样本城市总数" (a formula's legend)
_NUMBERING = re.compile(r"^\d+(\.\d+)*\s+")
_SENTENCE_END = "。！？!?\n"


def _short(title: str, n: int = 14) -> str:
    return title if len(title) <= n else title[:n] + "…"


def readable_section(section: str) -> str:
    """A section path for people: without a formula legend line taken for a heading, without chapter
    numbers, and joined with › ("指数构成及计算方法 › 赋权")."""
    parts = [p.strip() for p in (section or "").split(" > ") if p.strip()]
    parts = [_NUMBERING.sub("", p) for p in parts if not _VARIABLE.match(p)]
    return " › ".join(parts) or "（无标题）"


def query_terms(query: str) -> list[str]:
    """Words of the query to highlight: each space-separated part, and its words of two or more
    characters (jieba's search segmentation), longest first."""
    import jieba

    terms: set[str] = set()
    for part in re.split(r"[\s,，、；;。？?！!]+", query or ""):
        if len(part) >= 2:
            terms.add(part)
            terms.update(w for w in jieba.cut_for_search(part) if len(w.strip()) >= 2)
    return sorted(terms, key=len, reverse=True)


def highlight(text: str, terms: list[str]) -> str:
    """HTML-escaped text with every occurrence of the terms in <mark>."""
    if not terms:
        return html.escape(text)
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.I)
    out, pos = [], 0
    for m in pattern.finditer(text):
        out.append(html.escape(text[pos : m.start()]))
        out.append(f"<mark>{html.escape(m.group(0))}</mark>")
        pos = m.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


def snippet(text: str, terms: list[str], width: int = SNIPPET_CHARS) -> str:
    """About `width` characters of the passage around the first query word (the start when none)."""
    flat = " ".join(text.split())
    hits = [i for t in terms if (i := flat.lower().find(t.lower())) >= 0]
    start = max(0, min(hits) - width // 3) if hits else 0
    piece = flat[start : start + width]
    return ("…" if start else "") + piece + ("…" if start + width < len(flat) else "")


def hit_sentence(text: str, terms: list[str]) -> str:
    """The sentence of the passage holding the first query word (what 查看原文 highlights)."""
    hits = [i for t in terms if (i := text.lower().find(t.lower())) >= 0]
    if not hits:
        return ""
    i = min(hits)
    start = max((text.rfind(ch, 0, i) for ch in _SENTENCE_END), default=-1) + 1
    ends = [j for ch in _SENTENCE_END if (j := text.find(ch, i)) >= 0]
    end = min(ends) + 1 if ends else len(text)
    return text[start:end].strip()


class CorpusTab:
    """Browse documents and sections; search with the engine's retriever (no second retrieval code)."""

    def __init__(self, engine: Engine, settings: Settings, finder: PassageFinder | None = None):
        self.retriever = engine.retriever
        self.corpus_dir = settings.paths.corpus_dir
        self.finder = finder or PassageFinder(engine.retriever.chunks)

    # ------------------------------------------------------------------ data
    def _chunks(self, doc_id: str) -> list[Chunk]:
        return [c for c in self.retriever.chunks if c.doc_id == doc_id]

    def documents(self) -> pd.DataFrame:
        docs = load_manifest(self.corpus_dir)
        rows = []
        for d in docs:
            chunks = self._chunks(d.id)
            rows.append(
                {
                    "标题": d.title,
                    "类型": KINDS.get(d.kind, d.kind),
                    "日期": d.date,
                    "来源": d.publisher or d.source,
                    "文件": d.file,
                    "章节数": len({c.section for c in chunks}),
                    "段落数": len(chunks),
                }
            )
        return pd.DataFrame(rows)

    def sections(self, doc_id: str) -> list[tuple[str, str]]:
        """(readable label, section path) in document order."""
        seen: dict[str, None] = {}
        for c in self._chunks(doc_id):
            seen.setdefault(c.section or "（无标题）", None)
        return [(readable_section(s), s) for s in seen]

    def section_html(self, doc_id: str, section: str | None) -> str:
        if not doc_id or not section:
            return '<div class="bot-empty">选择文档和章节，查看该章节的全文。</div>'
        chunks = [c for c in self._chunks(doc_id) if (c.section or "（无标题）") == section]
        if not chunks:
            return '<div class="bot-empty">这个章节没有段落。</div>'
        text = chunks[0].text
        for c in chunks[1:]:
            text += "\n" + c.text[overlap_len(text, c.text) :]
        head = html.escape(readable_section(section))
        return (
            f'<div class="bot-context"><div class="bot-ctx-head">{head}'
            f'<span class="bot-src-sec"> · 第 {chunks[0].start_line} 行起 · {len(chunks)} 段</span></div>'
            f'<div class="bot-section-text">{html.escape(text)}</div></div>'
        )

    # ------------------------------------------------------------------ layout
    def build(self) -> None:
        try:
            docs = load_manifest(self.corpus_dir)
            table = self.documents()
        except Exception as exc:  # noqa: BLE001 - page boundary: shown as a sentence, never a traceback
            gr.Markdown(notify.inline(notify.message_for(exc)))
            return
        gr.Markdown(f"语料共 {len(docs)} 篇文档、{len(self.retriever.chunks)} 个段落。")
        gr.Dataframe(table, label="文档", elem_id="corpus-docs", interactive=False, wrap=True)
        with gr.Row(equal_height=False):
            with gr.Column(scale=1):
                gr.Markdown("#### 浏览章节")
                choices = [(d.title, d.id) for d in docs]
                doc = gr.Dropdown(choices, value=None, label="文档", elem_id="corpus-doc")
                section = gr.Dropdown([], value=None, label="章节", elem_id="corpus-section-pick")
                section_view = gr.HTML(self.section_html("", None), elem_id="corpus-section", js_on_load=None)
            with gr.Column(scale=1):
                gr.Markdown("#### 搜索语料")
                with gr.Row(equal_height=True):
                    query = gr.Textbox(
                        label="搜索语料",
                        placeholder="关键词或问题，例如：工业互联网 平台",
                        show_label=False,
                        elem_id="corpus-query",
                        scale=4,
                        container=False,
                    )
                    go = gr.Button("搜索", elem_id="corpus-go", scale=1, min_width=80)
                with gr.Row(equal_height=True):
                    only = gr.Dropdown(
                        self.filter_choices(),
                        value="",
                        label="只搜索",
                        elem_id="corpus-filter",
                        scale=3,
                    )
                    k = gr.Slider(1, 20, value=8, step=1, label="结果数", elem_id="corpus-k", scale=2)
                hits = gr.HTML(
                    '<div class="bot-empty">输入关键词后搜索，显示标题、章节与摘录（关键词高亮）；'
                    "点“查看原文”在上下文中阅读。</div>",
                    elem_id="corpus-hits",
                    js_on_load=HITS_JS,
                )
                found = gr.State([])
                hit_context = gr.HTML("", elem_id="corpus-context", max_height=420, js_on_load=CONTEXT_JS)
        doc.change(
            self.pick_doc, [doc], [section, section_view], api_visibility="private", concurrency_limit=None
        )
        section.change(
            self.section_html,
            [doc, section],
            [section_view],
            api_visibility="private",
            concurrency_limit=None,
        )
        for trigger in (query.submit, go.click, only.input):
            trigger(
                self.search_page, [query, k, only], [hits, found, hit_context, only], api_visibility="private"
            )
        hits.click(
            self.open_hit,
            [found],
            [hit_context],
            api_visibility="private",
            concurrency_limit=None,
            show_progress="hidden",
        )

    # ------------------------------------------------------------------ callbacks
    def pick_doc(self, doc_id: str) -> tuple[Any, str]:
        secs = self.sections(doc_id) if doc_id else []
        first = secs[0][1] if secs else None
        return gr.Dropdown(choices=secs, value=first), self.section_html(doc_id, first)

    def filter_choices(self, counts: dict[str, int] | None = None) -> list[tuple[str, str]]:
        """The 只搜索 options; after a search each names how many of the best matches its document holds."""
        counts = counts or {}
        docs = load_manifest(self.corpus_dir)
        if not counts:
            return [(ALL_DOCS, "")] + [(d.title, d.id) for d in docs]
        return [(ALL_DOCS, "")] + [(f"{d.title}（{counts.get(d.id, 0)}）", d.id) for d in docs]

    def search_page(self, query: str, k: float, doc_id: str | None = "") -> tuple[str, list[dict], str, Any]:
        """`search` for the page: also relabels the 只搜索 options with the documents' counts."""
        shown, cites, context, counts = self.search(query, k, doc_id)
        return shown, cites, context, gr.Dropdown(choices=self.filter_choices(counts), value=doc_id or "")

    def search(
        self, query: str, k: float, doc_id: str | None = ""
    ) -> tuple[str, list[dict], str, dict[str, int]]:
        """Hits with the query's words highlighted, plus what 查看原文 needs for each (its citation, the
        sentence holding the query) and, per document, how many of the best matches it holds.

        Without a filter the hits are spread over the documents (a long book would otherwise fill the list);
        a filter keeps one document's hits in rank order."""
        if not (query or "").strip():
            return f'<div class="bot-note">{html.escape(notify.warn(EMPTY_QUERY))}</div>', [], "", {}
        want = int(k)
        try:
            # Look deeper than the list shown: the spread and the filter pick from these.
            pool: list[Hit] = self.retriever.search(query, k=max(POOL, want * 10))
        except Exception as exc:  # noqa: BLE001 - page boundary: shown as a sentence, never a traceback
            return f'<div class="bot-note">{html.escape(notify.warn(exc))}</div>', [], "", {}
        counts = dict(Counter(h.chunk.doc_id for h in pool))
        if doc_id:
            found = [h for h in pool if h.chunk.doc_id == doc_id][:want]
        else:
            found = spread_over_documents(pool, want)
        if not found:
            return '<div class="bot-empty">没有找到相关段落。</div>', [], "", counts
        terms = query_terms(query)
        items, cites = [], []
        for n, h in enumerate(found, 1):
            c = h.chunk
            cites.append(
                Citation(
                    doc_id=c.doc_id,
                    title=c.title,
                    section=c.section,
                    chunk_id=c.chunk_id,
                    quote=hit_sentence(c.text, terms),
                ).model_dump()
            )
            items.append(
                f'<div class="bot-hit"><div class="bot-src-title"><span class="bot-num">{n}.</span> '
                f'《{html.escape(c.title)}》</div><div class="bot-src-sec">'
                f"{html.escape(readable_section(c.section))} · 第 {c.start_line} 行</div>"
                f"<div>{highlight(snippet(c.text, terms), terms)}</div>"
                f'<button class="bot-open" data-hit="{n - 1}">查看原文</button></div>'
            )
        shown = f'<div class="bot-hits">{self._spread_note(pool, counts)}{"".join(items)}</div>'
        return shown, cites, "", counts

    def _spread_note(self, pool: list[Hit], counts: dict[str, int]) -> str:
        """Where the best matches come from, per document (most first), as a hint for the filter."""
        titles = {h.chunk.doc_id: h.chunk.title for h in pool}
        parts = " · ".join(
            f"《{html.escape(_short(titles[d]))}》{n}" for d, n in sorted(counts.items(), key=lambda x: -x[1])
        )
        return (
            f'<div class="bot-src-sec" id="corpus-spread">最相关的 {len(pool)} 个段落来自：{parts}'
            "（在“只搜索”中选一篇，看它的全部结果）</div>"
        )

    def open_hit(self, found: list[dict], evt: gr.EventData) -> str:
        """查看原文 on a hit: its passage in context, the sentence with the query highlighted."""
        raw = getattr(evt, "_data", {}).get("hit", "") if evt is not None else ""
        try:
            cite = Citation.model_validate(found[int(raw)])
            return self.finder.context_html(cite)
        except (ValueError, IndexError, TypeError):
            return gr.skip()
        except Exception as exc:  # noqa: BLE001 - page boundary: shown as a sentence, never a traceback
            return f'<div class="bot-note">{html.escape(notify.message_for(exc))}</div>'
