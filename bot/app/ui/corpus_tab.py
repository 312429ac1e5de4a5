"""The 语料 tab: the documents of the manifest, their sections (from the index's chunks), and corpus
search."""

from __future__ import annotations

import html
from typing import Any

import gradio as gr
import pandas as pd

from bot.answer.engine import Engine
from bot.app.ui import notify
from bot.app.ui.render import overlap_len
from bot.core.schema import Chunk
from bot.core.settings import Settings
from bot.index.corpus import load_manifest

KINDS = {"article": "文章", "report": "报告", "book": "书籍", "document": "文档"}


class CorpusTab:
    """Browse documents and sections; search with the engine's retriever (no second retrieval code)."""

    def __init__(self, engine: Engine, settings: Settings):
        self.retriever = engine.retriever
        self.corpus_dir = settings.paths.corpus_dir

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

    def sections(self, doc_id: str) -> list[str]:
        seen: dict[str, None] = {}
        for c in self._chunks(doc_id):
            seen.setdefault(c.section or "（无标题）", None)
        return list(seen)

    def section_html(self, doc_id: str, section: str | None) -> str:
        if not doc_id or not section:
            return '<div class="bot-empty">选择文档和章节，查看该章节的全文。</div>'
        chunks = [c for c in self._chunks(doc_id) if (c.section or "（无标题）") == section]
        if not chunks:
            return '<div class="bot-empty">这个章节没有段落。</div>'
        text = chunks[0].text
        for c in chunks[1:]:
            text += "\n" + c.text[overlap_len(text, c.text) :]
        head = html.escape(section.replace(" > ", " › "))
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
                k = gr.Slider(1, 20, value=8, step=1, label="结果数", elem_id="corpus-k")
                hits = gr.HTML(
                    '<div class="bot-empty">输入关键词后搜索，显示标题、章节与摘录。</div>',
                    elem_id="corpus-hits",
                    js_on_load=None,
                )
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
        for trigger in (query.submit, go.click):
            trigger(self.search, [query, k], [hits], api_visibility="private")

    # ------------------------------------------------------------------ callbacks
    def pick_doc(self, doc_id: str) -> tuple[Any, str]:
        secs = self.sections(doc_id) if doc_id else []
        first = secs[0] if secs else None
        return gr.Dropdown(choices=secs, value=first), self.section_html(doc_id, first)

    def search(self, query: str, k: float) -> str:
        if not (query or "").strip():
            return f'<div class="bot-note">{html.escape(notify.warn("请输入要搜索的关键词。"))}</div>'
        try:
            found = self.retriever.search(query, k=int(k))
        except Exception as exc:  # noqa: BLE001 - page boundary: shown as a sentence, never a traceback
            return f'<div class="bot-note">{html.escape(notify.warn(exc))}</div>'
        if not found:
            return '<div class="bot-empty">没有找到相关段落。</div>'
        items = []
        for h in found:
            c = h.chunk
            snippet = " ".join(c.text.split())[:180]
            section = html.escape(c.section.replace(" > ", " › "))
            items.append(
                f'<div class="bot-hit"><div class="bot-src-title"><span class="bot-num">{h.rank}.</span> '
                f'《{html.escape(c.title)}》</div><div class="bot-src-sec">{section} · 第 {c.start_line} 行'
                f' · 得分 {h.score:.4f}</div><div>{html.escape(snippet)}…</div></div>'
            )
        return f'<div class="bot-hits">{"".join(items)}</div>'
