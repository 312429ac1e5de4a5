"""The 对话 tab: streamed answers, clickable citations with the passage in context, tool tables and charts,
example questions, clear, and 有帮助/没帮助 feedback."""

from __future__ import annotations

import queue
import re
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from bot.answer.engine import Engine
from bot.app.feedback import FeedbackStore
from bot.app.ui import history as convs
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
from bot.core.schema import Answer, Citation

EXAMPLES = [
    "成渝2022Q1排名第五的城市？",
    "关中平原增速前五的城市？",
    "关中平原增速前五的平均值？",
    "产业互联网的C2B是什么意思？",
    "数字化转型指数由哪几层构成？",
]
EMPTY_QUESTION = "问题为空：请在输入框里写下问题，例如“成渝2022Q1排名第五的城市？”。"
NO_ANSWER_YET = "还没有可以评价的回答：请先提问，再点“有帮助”或“没帮助”。"
STOPPED = "已停止：这个回答没有完成。可以点“重新生成”再问一次。"
ONLY_LAST_EDIT = "只能修改最后一个问题：要改前面的问题，请点“新对话”重新提问。"
NOTHING_TO_REGENERATE = "还没有可以重新生成的问题：请先提问。"
BRIEF_WORKING = "正在生成“{topic}”的简报：{step}"
BRIEF_FOOTER = "这份简报的数字已逐一核对。点下方“在简报页打开”可查看图表，并下载 Word / PDF。"
# "写一段关于成渝城市群的简报", "生成长三角的简报", "帮我做一份深圳简报": a request for a briefing.
_BRIEF_REQUEST = re.compile(
    r"^(?:请|麻烦)?\s*(?:帮我|给我|为我)?\s*(?:写|生成|做|出|整理|来)\s*(?:一[段份篇个]|个|份)?\s*"
    r"(?:关于|有关)?\s*(?P<topic>.+?)\s*(?:的)?\s*(?:对比)?\s*简报$"
)


def briefing_topic(question: str) -> str:
    """The subject of a briefing request typed in the chat ("" when the question is not one)."""
    m = _BRIEF_REQUEST.match((question or "").strip().rstrip("。.!！?？ "))
    return m.group("topic").strip(" ：:，,") if m else ""


def _demote(markdown: str) -> str:
    """Headings two levels smaller, to sit inside a chat bubble."""
    return re.sub(r"^(#{1,4}) ", lambda m: "#" * min(6, len(m.group(1)) + 3) + " ", markdown, flags=re.M)


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

    def __init__(
        self,
        engine: Engine,
        store: FeedbackStore,
        finder: PassageFinder,
        downloads: Path | None = None,
        secret: str | None = None,
        capture: Any = None,
    ):
        self.engine = engine
        self.store = store
        self.finder = finder
        self.downloads = downloads or Path(tempfile.mkdtemp(prefix="shuzihua-chat-"))
        self.secret = secret
        self.capture = capture  # optional block under the feedback row (加入评测集): build(answers)

    # ------------------------------------------------------------------ layout
    def build(self) -> None:
        answers = gr.State([])
        conv_id = gr.State("")
        self.brief_topic = gr.State("")
        # Past conversations, kept in this browser (encrypted in localStorage) across reloads.
        saved = gr.BrowserState([], storage_key=convs.STORAGE_KEY, secret=self.secret)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=480):
                with gr.Row(equal_height=True, elem_id="chat-tools"):
                    pick = gr.Dropdown(
                        choices=[],
                        value=None,
                        label="历史对话（保存在本浏览器）",
                        elem_id="history-pick",
                        scale=4,
                        interactive=True,
                    )
                    export = gr.DownloadButton(
                        "导出 Markdown",
                        value=None,
                        interactive=False,
                        elem_id="export",
                        scale=1,
                        min_width=120,
                    )
                chatbot = gr.Chatbot(
                    label="对话",
                    show_label=False,
                    elem_id="chatbot",
                    height=560,
                    buttons=["copy"],
                    feedback_options=None,
                    latex_delimiters=LATEX_DELIMITERS,
                    editable="user",
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
                    stop = gr.Button("停止", variant="stop", elem_id="stop", scale=1, min_width=70)
                    regen = gr.Button("重新生成", elem_id="regen", scale=1, min_width=100)
                    clear = gr.Button("新对话", elem_id="clear", scale=1, min_width=100)
                status = gr.Markdown(elem_id="chat-status")
                self.open_brief = gr.Button(
                    "在“简报”页打开（图表与 Word / PDF 下载）", visible=False, elem_id="open-brief", size="sm"
                )
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

        def then_save(ev: Any) -> None:
            ev.then(
                self.brief_link,
                [answers],
                [self.open_brief, self.brief_topic],
                api_visibility="private",
                show_progress="hidden",
            )
            ev.then(
                self.save,
                [chatbot, answers, saved, conv_id],
                [saved, conv_id, pick, export],
                api_visibility="private",
                show_progress="hidden",
            )

        running: list[Any] = []
        for trigger in (question.submit, send.click):
            ev = trigger(
                self.respond,
                [question, chatbot, answers],
                outputs,
                api_visibility="private",
                show_progress="minimal",
            )
            then_save(ev)
            running.append(ev)
        for again in (regen.click, chatbot.retry):  # the button and the chatbot's own retry icon
            ev = again(
                self.regenerate,
                [chatbot, answers],
                outputs,
                api_visibility="private",
                show_progress="minimal",
            )
            then_save(ev)
            running.append(ev)
        # Editing the last question (the pencil on the user's message) asks the edited question instead.
        ev = chatbot.edit(
            self.edit_question, [chatbot, answers], outputs, api_visibility="private", show_progress="minimal"
        )
        then_save(ev)
        running.append(ev)
        stop.click(
            self.stop,
            [chatbot],
            [chatbot, status],
            cancels=running,
            api_visibility="private",
            concurrency_limit=None,
        )
        # One reset for both controls (the button and the chatbot's own trash icon): messages, sources,
        # passage, chart, tool table and the hidden history the engine sees for follow-ups. Saved
        # conversations stay in the list.
        for reset in (clear.click, chatbot.clear):
            reset(
                self.clear,
                None,
                [*outputs, fb_status, conv_id, pick, export, self.open_brief],
                api_visibility="private",
                concurrency_limit=None,
            )
        restored = [chatbot, answers, conv_id, pick, export, sources, context, chart, table]
        pick.input(self.open_saved, [pick, saved], restored, api_visibility="private", concurrency_limit=None)
        self._initial = ([saved], restored)
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
        topic = briefing_topic(q)
        if topic:
            yield from self.respond_briefing(q, topic, messages, answers)
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
        display = self.finder.label_rows(final)  # table rows with their column headers
        record = answer_dict(final)
        for cite, label in zip(record["citations"], display.citations, strict=True):
            if label.quote != cite["quote"]:
                cite["row"] = label.quote
        answers = [*(answers or []), record]
        turn = len(answers) - 1
        messages = [*messages[:-1], *answer_messages(display, turn, self.engine.mode_label())]
        yield (messages, answers, skip, "", sources_html(answers), EMPTY_CONTEXT, *self._chart_updates(final))

    def respond_briefing(
        self, q: str, topic: str, messages: list[dict], answers: list[dict]
    ) -> Iterator[tuple[Any, ...]]:
        """A briefing request: build it with the 简报 tab's builder (progress shown in the chat), show it
        with its sources, and offer to open it in the 简报 tab."""
        from bot.briefing.build import make_briefing
        from bot.briefing.render import markdown

        skip = gr.skip()
        start = time.perf_counter()
        messages = [
            *(messages or []),
            {"role": "user", "content": md_escape(q)},
            {"role": "assistant", "content": BRIEF_WORKING.format(topic=topic, step="开始……")},
        ]
        yield messages, skip, "", "", skip, skip, skip, skip
        steps: queue.Queue[str | None] = queue.Queue()
        box: dict[str, Any] = {}

        def work() -> None:
            try:
                box["brief"] = make_briefing(self.engine, topic, progress=lambda _f, text: steps.put(text))
            except Exception as exc:  # noqa: BLE001 - shown below as a sentence
                box["error"] = exc
            finally:
                steps.put(None)

        threading.Thread(target=work, name="chat-briefing", daemon=True).start()
        while (step := steps.get()) is not None:
            messages[-1] = {"role": "assistant", "content": BRIEF_WORKING.format(topic=topic, step=step)}
            yield messages, skip, skip, skip, skip, skip, skip, skip
        if "error" in box or "brief" not in box:
            msg = notify.warn(box.get("error") or BotError("简报没有生成，请重试。"))
            messages[-1] = {"role": "assistant", "content": notify.inline(msg)}
            yield messages, skip, skip, notify.inline(msg), skip, skip, skip, skip
            return
        brief = box["brief"]
        text = markdown(brief)
        ms = (time.perf_counter() - start) * 1000
        record = {
            "question": q,
            "answer": text,
            "answerable": True,
            "citations": [
                Citation.model_validate(s.model_dump()).model_dump(mode="json") for s in brief.sources
            ],
            "related": [],
            "caveats": [],
            "note": brief.note,
            "mode": brief.mode,
            "briefing": brief.subject,
        }
        for cite in record["citations"]:
            if label := self.finder.row_label(Citation.model_validate(cite)):
                cite["row"] = label
        answers = [*(answers or []), record]
        body = f"{_demote(text)}\n\n{BRIEF_FOOTER}\n\n<sub>简报 · {ms:.0f} ms</sub>"
        messages[-1] = {"role": "assistant", "content": body}
        yield (
            messages,
            answers,
            skip,
            "",
            sources_html(answers),
            EMPTY_CONTEXT,
            gr.BarPlot(value=None, visible=False),
            gr.Dataframe(value=None, visible=False),
        )

    @staticmethod
    def brief_link(answers: list[dict]) -> tuple[Any, str]:
        """Offer "open in the 简报 tab" under a briefing written in the chat."""
        subject = str((answers or [{}])[-1].get("briefing") or "") if answers else ""
        return gr.Button(visible=bool(subject)), subject

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
            "",
            gr.Dropdown(value=None),
            gr.DownloadButton(value=None, interactive=False),
            gr.Button(visible=False),
        )

    # ------------------------------------------------------------------ stop, regenerate, history
    @staticmethod
    def stop(messages: list[dict]) -> tuple[Any, str]:
        """The running answer was cancelled: say so where it was being written."""
        messages = list(messages or [])
        if messages and messages[-1].get("role") == "assistant":
            if "ms</sub>" not in convs.message_text(messages[-1].get("content")):
                messages[-1] = {"role": "assistant", "content": STOPPED}
        return messages, STOPPED

    def regenerate(self, messages: list[dict], answers: list[dict]) -> Iterator[tuple[Any, ...]]:
        """Ask the last question again (its old answer, or the stopped attempt, is replaced)."""
        messages = list(messages or [])
        answers = list(answers or [])
        users = [i for i, m in enumerate(messages) if m.get("role") == "user"]
        if not users:
            skip = gr.skip()
            yield skip, skip, skip, notify.inline(notify.warn(NOTHING_TO_REGENERATE)), skip, skip, skip, skip
            return
        last = users[-1]
        question = convs.md_unescape(convs.message_text(messages[last].get("content")))
        if len(users) == len(answers):  # the last turn was answered: drop that answer too
            question = str(answers[-1].get("question") or question)
            answers = answers[:-1]
        yield from self.respond(question, messages[:last], answers)

    def edit_question(
        self, messages: list[dict], answers: list[dict], evt: gr.EditData
    ) -> Iterator[tuple[Any, ...]]:
        """The user edited one of their messages: the last question is asked again as edited; an earlier
        one cannot be changed (its answers were built on it)."""
        messages = list(messages or [])
        users = [i for i, m in enumerate(messages) if m.get("role") == "user"]
        index = evt.index if isinstance(evt.index, int) else evt.index[0]
        skip = gr.skip()
        if not users or index != users[-1]:
            if 0 <= index < len(messages):  # put the question back as it was asked
                messages[index] = {"role": "user", "content": convs.message_text(evt.previous_value)}
            msg = notify.inline(notify.warn(ONLY_LAST_EDIT))
            yield messages, skip, skip, msg, skip, skip, skip, skip
            return
        question = convs.md_unescape(convs.message_text(evt.value))
        if len(users) == len(answers or []):
            answers = list(answers)[:-1]
        yield from self.respond(question, messages[:index], list(answers or []))

    def save(
        self, messages: list[dict], answers: list[dict], saved: list[dict], conv_id: str
    ) -> tuple[Any, ...]:
        """Keep the conversation in this browser and refresh the picker and the export file."""
        if not answers:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        saved, conv_id = convs.upsert(saved, conv_id, messages, answers)
        path = convs.export_file(answers, self.downloads, conv_id)
        return (
            saved,
            conv_id,
            gr.Dropdown(choices=convs.choices(saved), value=conv_id),
            gr.DownloadButton(value=path, interactive=path is not None),
        )

    def open_saved(self, conv: str | None, saved: list[dict]) -> tuple[Any, ...]:
        """Show a saved conversation (messages, sources) and continue it."""
        entry = convs.find(saved, conv or "")
        if entry is None:
            return (gr.skip(),) * 9
        answers = list(entry.get("answers") or [])
        path = convs.export_file(answers, self.downloads, entry["id"])
        return (
            list(entry.get("messages") or []),
            answers,
            entry["id"],
            gr.Dropdown(choices=convs.choices(saved), value=entry["id"]),
            gr.DownloadButton(value=path, interactive=path is not None),
            sources_html(answers) if answers else EMPTY_SOURCES,
            EMPTY_CONTEXT,
            gr.BarPlot(value=None, visible=False),
            gr.Dataframe(value=None, visible=False),
        )

    def initial(self, saved: list[dict]) -> tuple[Any, ...]:
        """On page load: list the saved conversations and reopen the latest one."""
        if not saved:
            return (gr.skip(),) * 9
        return self.open_saved(str(saved[0].get("id", "")), saved)

    def attach_load(self, app: gr.Blocks) -> None:
        inputs, outputs = self._initial
        app.load(self.initial, inputs, outputs, api_visibility="private", concurrency_limit=None)

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
