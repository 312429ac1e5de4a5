"""The 简报 tab: a cited briefing on a region, industry or theme,
each source openable in its context, downloadable as Markdown."""

from __future__ import annotations

import html
import tempfile
from pathlib import Path
from typing import Any

import gradio as gr

from bot.answer.engine import Engine
from bot.app.ui import notify
from bot.app.ui.render import EMPTY_CONTEXT, PassageFinder
from bot.app.ui.style import CONTEXT_JS
from bot.core.schema import Citation

EXAMPLE_TOPICS = ["成渝城市群", "关中平原城市群", "产业互联网", "东莞", "C2B"]


class BriefingTab:
    """Calls bot.briefing.make_briefing with the chat's engine (no second pipeline)."""

    def __init__(self, engine: Engine, finder: PassageFinder, downloads: Path):
        self.engine = engine
        self.finder = finder
        self.downloads = downloads

    def build(self) -> None:
        cites = gr.State([])
        gr.Markdown(
            "输入一个城市群、城市、省份、行业或主题，生成带出处的简报：报告表格中的关键数据（精确值）"
            "加上语料原文要点。"
        )
        with gr.Row(equal_height=True):
            topic = gr.Textbox(
                label="主题", placeholder="例如：成渝城市群、产业互联网", elem_id="brief-topic", scale=4
            )
            points = gr.Slider(3, 10, value=5, step=1, label="要点条数", elem_id="brief-points", scale=2)
            go = gr.Button("生成简报", variant="primary", elem_id="brief-go", scale=1)
        gr.Examples([[t] for t in EXAMPLE_TOPICS], inputs=[topic], label="示例主题")
        msg = gr.Markdown(elem_id="brief-msg")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                body = gr.Markdown(elem_id="brief-body")
                download = gr.File(label="下载简报（Markdown）", elem_id="brief-md", interactive=False)
            with gr.Column(scale=2):
                pick = gr.Dropdown([], label="查看来源原文", elem_id="brief-source")
                context = gr.HTML(
                    EMPTY_CONTEXT, elem_id="brief-context", max_height=480, js_on_load=CONTEXT_JS
                )
        for trigger in (topic.submit, go.click):
            trigger(
                self.make,
                [topic, points],
                [msg, body, download, pick, cites, context],
                api_visibility="private",
            )
        pick.change(
            self.open_source, [pick, cites], [context], api_visibility="private", concurrency_limit=None
        )

    def make(self, topic: str, points: float) -> tuple[Any, ...]:
        from bot.briefing.build import make_briefing

        try:
            brief = make_briefing(self.engine, topic or "", points=int(points))
            text = brief.markdown()
        except Exception as exc:  # noqa: BLE001 - page boundary: shown as a sentence, never a traceback
            return (
                notify.inline(notify.warn(exc)),
                "",
                None,
                gr.Dropdown(choices=[], value=None),
                [],
                EMPTY_CONTEXT,
            )
        folder = Path(tempfile.mkdtemp(dir=self.downloads))
        path = folder / f"简报_{brief.topic[:30]}.md"
        path.write_text(text, encoding="utf-8")
        choices = [(f"[{i}] 《{c.title}》{c.section[:30]}", i) for i, c in enumerate(brief.citations, 1)]
        found = f"{len(brief.facts)} 条数据、{len(brief.points)} 条要点、{len(brief.citations)} 个来源"
        return (
            f"已生成“{html.escape(brief.topic)}”的简报（{brief.kind}）：{found}。",
            text,
            str(path),
            gr.Dropdown(choices=choices, value=None),
            [c.model_dump() for c in brief.citations],
            EMPTY_CONTEXT,
        )

    def open_source(self, index: int | None, cites: list[dict]) -> str:
        if not index or not 1 <= int(index) <= len(cites):
            return EMPTY_CONTEXT
        try:
            return self.finder.context_html(Citation.model_validate(cites[int(index) - 1]))
        except Exception as exc:  # noqa: BLE001 - page boundary: shown as a sentence, never a traceback
            return f'<div class="bot-note">{html.escape(notify.message_for(exc))}</div>'
