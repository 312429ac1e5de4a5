"""The 简报 tab: a checked briefing on a cluster, city, province, industry or topic (or a comparison), with
progress while it builds, its chart, each source openable in context, and Markdown / Word / PDF downloads."""

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
from bot.core import prompts
from bot.core.schema import Citation

EXAMPLES = [
    ["成渝城市群", ""],
    ["成渝", "长江中游"],
    ["深圳", ""],
    ["广东", ""],
    ["金融", ""],
    ["工业互联网", ""],
]
_CHART_MARK = "@@chart@@"
_LABELS = {"md": "下载 Markdown", "docx": "下载 Word", "pdf": "下载 PDF"}


def _buttons(paths: dict[str, str] | None = None) -> list[Any]:
    paths = paths or {}
    return [gr.DownloadButton(_LABELS[f], value=paths.get(f), interactive=f in paths) for f in _LABELS]


class BriefingTab:
    """Calls bot.briefing (make_briefing, export) with the chat's engine: no second pipeline."""

    def __init__(self, engine: Engine, finder: PassageFinder, downloads: Path):
        self.engine = engine
        self.finder = finder
        self.downloads = downloads

    def build(self) -> None:
        cites = gr.State([])
        gr.Markdown(
            "输入一个城市群、城市、省份、行业或主题，生成可转发的简报：概况、关键数据表与图表、增长、行业、"
            "报告观点、相关案例与政策、七大城市群对比和数据说明。文中每个数字都由程序与所引用的表格行或段落"
            "核对，核对不通过就不出简报。填写“对比对象”（或在主题中写“成渝 vs 长江中游”）可生成对比简报。"
        )
        with gr.Row(equal_height=True):
            topic = gr.Textbox(
                label="主题",
                placeholder="例如：成渝城市群、深圳、广东、金融、工业互联网",
                elem_id="brief-topic",
                scale=4,
            )
            compare = gr.Textbox(
                label="对比对象（可选）", placeholder="例如：长江中游", elem_id="brief-compare", scale=3
            )
            go = gr.Button("生成简报", variant="primary", elem_id="brief-go", scale=1)
        gr.Examples(EXAMPLES, inputs=[topic, compare], label="示例")
        msg = gr.Markdown(elem_id="brief-msg")
        with gr.Row():
            md, docx, pdf = (
                gr.DownloadButton(label, value=None, interactive=False, elem_id=f"brief-dl-{fmt}", size="sm")
                for fmt, label in _LABELS.items()
            )
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                body = gr.Markdown(elem_id="brief-body")
                chart = gr.Image(
                    label="图表",
                    elem_id="brief-chart",
                    type="filepath",
                    visible=False,
                    interactive=False,
                    height=460,
                )
                rest = gr.Markdown(elem_id="brief-rest")
            with gr.Column(scale=2):
                pick = gr.Dropdown([], label="查看来源原文", elem_id="brief-source")
                context = gr.HTML(
                    EMPTY_CONTEXT, elem_id="brief-context", max_height=480, js_on_load=CONTEXT_JS
                )
        # Kept for the chat's "在简报页打开" button, which fills the topic and builds the same briefing here.
        self.inputs = [topic, compare]
        self.outputs = [msg, body, chart, rest, md, docx, pdf, pick, cites, context]
        for trigger in (topic.submit, compare.submit, go.click):
            trigger(self.make, self.inputs, self.outputs, api_visibility="private")
        pick.change(
            self.open_source, [pick, cites], [context], api_visibility="private", concurrency_limit=None
        )

    def make(self, topic: str, compare: str, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:
        from bot.briefing.build import make_briefing
        from bot.briefing.export import FORMATS, chart_for, export
        from bot.briefing.render import markdown

        def say(fraction: float, text: str) -> None:
            progress(fraction, desc=text)

        settings = self.engine.settings.briefing
        try:
            brief = make_briefing(
                self.engine, topic or "", [compare] if compare and compare.strip() else [], progress=say
            )
            rendered = chart_for(brief, settings)
            folder = Path(tempfile.mkdtemp(dir=self.downloads))
            stem = f"简报_{brief.subject[:40]}".replace("/", "_")
            paths = {
                fmt: str(
                    export(brief, fmt, folder / f"{stem}.{fmt}", settings, rendered, say, inline_image=True)
                )
                for fmt in FORMATS
            }
        except Exception as exc:  # noqa: BLE001 - page boundary: shown as a sentence, never a traceback
            return (
                notify.inline(notify.warn(exc)),
                "",
                gr.Image(value=None, visible=False),
                "",
                *_buttons(),
                gr.Dropdown(choices=[], value=None),
                [],
                EMPTY_CONTEXT,
            )
        text = markdown(brief, rendered, _CHART_MARK if rendered else "none")
        top, _, bottom = text.partition(f"]({_CHART_MARK})")
        if rendered is not None:
            top = top.rpartition("![")[0]
            png = folder / f"{stem}.png"
            png.write_bytes(rendered.png)
        choices = [(f"[{i}] 《{c.title}》{c.section[:30]}", i) for i, c in enumerate(brief.sources, 1)]
        sections = "、".join(s.heading for s in brief.sections)
        done = prompts.BRIEF_UI_DONE.format(
            subject=html.escape(brief.subject), sections=sections, n=len(brief.sources)
        )
        return (
            done + (f"（{brief.note}）" if brief.note else ""),
            top,
            gr.Image(value=str(png), visible=True)
            if rendered is not None
            else gr.Image(value=None, visible=False),
            bottom.lstrip("\n") if rendered is not None else "",
            *_buttons(paths),
            gr.Dropdown(choices=choices, value=None),
            [Citation.model_validate(c.model_dump()).model_dump() for c in brief.sources],
            EMPTY_CONTEXT,
        )

    def open_source(self, index: int | None, cites: list[dict]) -> str:
        if not index or not 1 <= int(index) <= len(cites):
            return EMPTY_CONTEXT
        try:
            return self.finder.context_html(Citation.model_validate(cites[int(index) - 1]))
        except Exception as exc:  # noqa: BLE001 - page boundary: shown as a sentence, never a traceback
            return f'<div class="bot-note">{html.escape(notify.message_for(exc))}</div>'
