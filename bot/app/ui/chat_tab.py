"""The 对话 tab: streamed answers, clickable citations with the passage in context, tool tables and charts,
example questions, clear, and 有帮助/没帮助 feedback."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import gradio as gr

from bot.answer.engine import Engine
from bot.app.feedback import FeedbackStore
from bot.app.ui import notify
from bot.app.ui.render import (
    EMPTY_CONTEXT,
    EMPTY_SOURCES,
    LATEX_DELIMITERS,
    PassageFinder,
    answer_dict,
    answer_messages,
    chart_frame,
    first_rows_frame,
    md_escape,
    parse_ref,
    pick_citation,
    sources_html,
    y_range,
)
from bot.app.ui.style import CONTEXT_JS, SOURCES_JS
from bot.core.errors import BotError
from bot.core.schema import Answer

EXAMPLES = [
    "成渝2022Q1排名第五的城市？",
    "关中平原增速前五的城市？",
    "关中平原增速前五的平均值？",
    "产业互联网的C2B是什么意思？",
    "数字化转型指数由哪几层构成？",
]
EMPTY_QUESTION = "问题为空：请在输入框里写下问题，例如“成渝2022Q1排名第五的城市？”。"
NO_ANSWER_YET = "还没有可以评价的回答：请先提问，再点“有帮助”或“没帮助”。"
HISTORY_TURNS = 6  # previous turns passed to the engine (for follow-up questions)
STREAM_INTERVAL_S = 0.05  # shortest time between two redraws of a streaming answer


def engine_history(answers: list[dict]) -> list[dict]:
    """The last turns as the engine's history: [{"role": "user"|"assistant", "content": str}, ...]."""
    out: list[dict] = []
    for a in answers[-HISTORY_TURNS:]:
        out.append({"role": "user", "content": a.get("question", "")})
        out.append({"role": "assistant", "content": a.get("answer", "")})
    return out


class StreamedText:
    """An answer arriving in pieces, escaped for Markdown once per piece (not the whole text again on every
    piece). A run of ASCII letters, digits and punctuation at the end is held back until it is complete, so
    a URL split across pieces is escaped like a whole one."""

    def __init__(self) -> None:
        self.escaped: list[str] = []
        self.pending = ""

    def add(self, piece: str) -> None:
        text = self.pending + piece
        cut = len(text)
        while cut > 0 and "!" <= text[cut - 1] <= "~":
            cut -= 1
        if cut:
            self.escaped.append(md_escape(text[:cut]))
        self.pending = text[cut:]

    def markdown(self) -> str:
        if len(self.escaped) > 1:
            self.escaped = ["".join(self.escaped)]
        return "".join(self.escaped) + md_escape(self.pending)


class ChatTab:
    """Builds the chat tab inside the current Blocks and owns its callbacks."""

    def __init__(self, engine: Engine, store: FeedbackStore, finder: PassageFinder, capture: Any = None):
        self.engine = engine
        self.store = store
        self.finder = finder
        self.capture = capture  # optional block under the feedback row (加入评测集): build(answers)

    # ------------------------------------------------------------------ layout
    def build(self) -> None:
        answers = gr.State([])
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=480):
                chatbot = gr.Chatbot(
                    label="对话",
                    show_label=False,
                    elem_id="chatbot",
                    height=560,
                    buttons=["copy"],
                    feedback_options=None,
                    latex_delimiters=LATEX_DELIMITERS,
                    placeholder="向助手提问：报告中的排名与指数、产业互联网、数字化转型……\n回答只依据语料，并给出出处。",
                )
                with gr.Row(equal_height=True, elem_id="chat-input"):
                    question = gr.Textbox(
                        label="问题",
                        placeholder="输入问题，按回车发送",
                        show_label=False,
                        elem_id="question",
                        scale=8,
                        lines=1,
                        max_lines=4,
                        container=False,
                    )
                    send = gr.Button("发送", variant="primary", elem_id="send", scale=1, min_width=80)
                    clear = gr.Button("新对话", elem_id="clear", scale=1, min_width=100)
                status = gr.Markdown(elem_id="chat-status")
                gr.Examples(
                    examples=[[q] for q in EXAMPLES],
                    inputs=[question],
                    label="示例问题（点击填入）",
                    examples_per_page=len(EXAMPLES),
                )
                with gr.Group(), gr.Row(equal_height=True):
                    comment = gr.Textbox(
                        label="对回答的意见",
                        placeholder="可选：对最新回答的意见（例如哪里不对）",
                        show_label=False,
                        elem_id="fb-comment",
                        scale=6,
                        container=False,
                    )
                    up = gr.Button("有帮助", elem_id="fb-up", scale=1, min_width=100)
                    down = gr.Button("没帮助", elem_id="fb-down", scale=1, min_width=100)
                fb_status = gr.Markdown(elem_id="fb-status")
                if self.capture is not None:
                    self.capture.build(answers)
            with gr.Column(scale=2, min_width=320):
                gr.Markdown("#### 来源")
                sources = gr.HTML(
                    EMPTY_SOURCES, elem_id="sources", js_on_load=SOURCES_JS, max_height=330, autoscroll=False
                )
                gr.Markdown("#### 原文")
                context = gr.HTML(EMPTY_CONTEXT, elem_id="context", max_height=360, js_on_load=CONTEXT_JS)
                chart = gr.BarPlot(None, x="名称", y="数值", label="图表", elem_id="chart", visible=False)
                table = gr.Dataframe(
                    None,
                    label="工具结果",
                    elem_id="chart-table",
                    visible=False,
                    interactive=False,
                    wrap=True,
                    max_height=260,
                )

        outputs = [chatbot, answers, question, status, sources, context, chart, table]
        for trigger in (question.submit, send.click):
            trigger(
                self.respond,
                [question, chatbot, answers],
                outputs,
                api_visibility="private",
                show_progress="minimal",
            )
        # One reset for both controls (the button and the chatbot's own trash icon): messages, sources,
        # passage, chart, tool table and the hidden history the engine sees for follow-ups.
        for reset in (clear.click, chatbot.clear):
            reset(self.clear, None, [*outputs, fb_status], api_visibility="private", concurrency_limit=None)
        sources.click(
            self.open_ref,
            [answers],
            [sources, context],
            api_visibility="private",
            concurrency_limit=None,
            show_progress="hidden",
        )
        up.click(
            self.feedback_up,
            [comment, answers],
            [fb_status, comment],
            api_visibility="private",
            concurrency_limit=None,
        )
        down.click(
            self.feedback_down,
            [comment, answers],
            [fb_status, comment],
            api_visibility="private",
            concurrency_limit=None,
        )

    # ------------------------------------------------------------------ callbacks
    def respond(self, question: str, messages: list[dict], answers: list[dict]) -> Iterator[tuple[Any, ...]]:
        """Stream one answer into the chat, then show its sources, tool table and chart."""
        skip = gr.skip()
        q = (question or "").strip()
        if not q:
            msg = notify.warn(EMPTY_QUESTION)
            yield skip, skip, skip, notify.inline(msg), skip, skip, skip, skip
            return
        messages = [
            *(messages or []),
            {"role": "user", "content": md_escape(q)},
            {"role": "assistant", "content": "正在检索……"},
        ]
        yield messages, skip, "", "", skip, skip, skip, skip
        shown = StreamedText()
        final: Answer | None = None
        last = 0.0
        try:
            for piece in self.engine.stream(q, engine_history(answers or [])):
                if isinstance(piece, Answer):
                    final = piece
                elif piece:
                    shown.add(piece)
                    now = time.monotonic()
                    if now - last >= STREAM_INTERVAL_S:  # a redraw per interval, not per token
                        last = now
                        messages[-1] = {"role": "assistant", "content": shown.markdown()}
                        yield messages, skip, skip, skip, skip, skip, skip, skip
            if final is None:
                raise BotError("引擎没有给出回答，请重试。")
        except Exception as exc:  # noqa: BLE001 - page boundary: shown as a sentence, never a traceback
            msg = notify.warn(exc)
            messages[-1] = {"role": "assistant", "content": notify.inline(msg)}
            yield messages, skip, skip, notify.inline(msg), skip, skip, skip, skip
            return
        final = self.finder.complete_formulas(final)
        shown = self.finder.label_rows(final)  # table rows with their column headers
        record = answer_dict(final)
        for cite, label in zip(record["citations"], shown.citations, strict=True):
            if label.quote != cite["quote"]:
                cite["row"] = label.quote
        answers = [*(answers or []), record]
        turn = len(answers) - 1
        messages = [*messages[:-1], *answer_messages(shown, turn, self.engine.mode_label())]
        yield (messages, answers, skip, "", sources_html(answers), EMPTY_CONTEXT, *self._chart_updates(final))

    @staticmethod
    def _chart_updates(answer: Answer) -> tuple[Any, Any]:
        chart = chart_frame(answer)
        rows = first_rows_frame(answer)
        table = (
            gr.Dataframe(value=rows, visible=True)
            if rows is not None
            else gr.Dataframe(value=None, visible=False)
        )
        if chart is None:
            return gr.BarPlot(value=None, visible=False), table
        frame, x_title, y_title = chart
        return (
            gr.BarPlot(
                value=frame,
                x="名称",
                y="数值",
                x_title=x_title,
                y_title=y_title,
                sort=list(frame["名称"]),
                y_lim=y_range(frame["数值"]),
                visible=True,
            ),
            table,
        )

    def clear(self) -> tuple[Any, ...]:
        return (
            [],
            [],
            "",
            "",
            EMPTY_SOURCES,
            EMPTY_CONTEXT,
            gr.BarPlot(value=None, visible=False),
            gr.Dataframe(value=None, visible=False),
            "",
        )

    def open_ref(self, answers: list[dict], evt: gr.EventData) -> tuple[str, str]:
        """A citation was clicked (source card or [n] marker): show the passage in its context."""
        ref = str(getattr(evt, "_data", {}).get("ref", "") if evt is not None else "")
        parsed = parse_ref(ref)
        if not parsed or not answers:
            return gr.skip(), gr.skip()
        cite = pick_citation(answers, ref)
        try:
            ctx = self.finder.context_html(cite)
        except Exception as exc:  # noqa: BLE001 - page boundary: shown as a sentence, never a traceback
            ctx = f'<div class="bot-note">{notify.message_for(exc)}</div>'
        return sources_html(answers, parsed[1], selected=ref), ctx

    def feedback(self, rating: int, comment: str, answers: list[dict]) -> tuple[str, Any]:
        if not answers:
            return notify.inline(notify.warn(NO_ANSWER_YET)), gr.skip()
        last = answers[-1]
        try:
            self.store.add(last.get("question", ""), last, rating, comment)
        except Exception as exc:  # noqa: BLE001 - page boundary: shown as a sentence, never a traceback
            return notify.inline(notify.warn(exc)), gr.skip()
        mark = "“有帮助”" if rating > 0 else "“没帮助”"
        extra = "（含意见）" if (comment or "").strip() else ""
        return f"已记录对第 {len(answers)} 个回答的反馈 {mark}{extra}，谢谢！", ""

    def feedback_up(self, comment: str, answers: list[dict]) -> tuple[str, Any]:
        return self.feedback(1, comment, answers)

    def feedback_down(self, comment: str, answers: list[dict]) -> tuple[str, Any]:
        return self.feedback(-1, comment, answers)
