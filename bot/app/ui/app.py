"""Assembles the page (tabs, the /ask API for staff scripts, the queue) and launches it."""

from __future__ import annotations

import errno
import html
import socket
import tempfile
from pathlib import Path
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from bot.answer.engine import Engine
from bot.app.feedback import FeedbackStore
from bot.app.ui import notify
from bot.app.ui.briefing_tab import BriefingTab
from bot.app.ui.calc_tab import CalcTab
from bot.app.ui.chat_tab import ChatTab
from bot.app.ui.corpus_tab import CorpusTab
from bot.app.ui.eval_capture import EvalCapture
from bot.app.ui.eval_tab import EvalTab
from bot.app.ui.guard import RequestGuard
from bot.app.ui.history import browser_secret
from bot.app.ui.render import PassageFinder, answer_dict
from bot.app.ui.style import CSS, LABELS_JS, theme
from bot.app.ui.tables_tab import TablesTab
from bot.core import prompts
from bot.core.errors import BotError
from bot.core.settings import Settings

TITLE = "数字化转型知识助手"

# Gradio's own strings that its bundled Chinese lacks (screen-reader labels, the status toast); given for
# every locale so that an English browser sees a Chinese page too.
UI_STRINGS = {
    "common.complete": "完成",
    "common.clear": "清空",
    "common.download": "下载",
    "common.edit": "编辑",
    "common.loading": "加载中",
    "common.error": "错误",
    "common.empty": "空",
    "common.remove": "移除",
    "common.share": "分享",
    "chatbot.copy_message": "复制这条消息",
    "chatbot.copied_message": "已复制",
    "chatbot.clear": "清空对话",
    "chatbot.retry": "重新生成",
    "chatbot.undo": "撤销",
    "chatbot.edit": "编辑",
    "chatbot.submit": "提交",
    "chatbot.cancel": "取消",
    "chatbot.like": "有帮助",
    "chatbot.dislike": "没帮助",
    "chatbot.complete": "完成",
    "chatbot.chatbot": "对话",
    "chatbot.conversation": "对话记录",
    "chatbot.new_chat": "新对话",
}


def ui_i18n() -> gr.I18n:
    return gr.I18n(**{loc: dict(UI_STRINGS) for loc in ("en", "zh-CN", "zh")})


def make_ask(engine: Engine):
    """The /ask endpoint: one question (and optional history) in, the answer object as a dict out."""

    def ask(question: str, history: list[dict] | None = None) -> dict:
        """Answer a question from the corpus; returns the answer object (question, answer, answerable,
        citations, tool_calls, mode, latency_ms, note, related). An unusable question raises an error
        whose message says what to change."""
        try:
            return answer_dict(engine.ask(question, history if history not in (None, [], {}) else None))
        except Exception as exc:  # noqa: BLE001 - API boundary: one sentence; unexpected ones are logged
            raise gr.Error(notify.message_for(exc), title="无法回答", print_exception=False) from exc

    return ask


def build_app(engine: Engine, settings: Settings, store: FeedbackStore | None = None) -> gr.Blocks:
    """The whole page over an opened engine; call `launch_app` (or `.launch`) on the result."""
    store = store or FeedbackStore(settings.paths.data_dir)
    downloads = Path(tempfile.mkdtemp(prefix="shuzihua-ui-"))
    finder = PassageFinder(engine.retriever.chunks)
    tables = TablesTab(settings, downloads)
    evals = EvalTab(engine, settings, downloads)
    with gr.Blocks(title=TITLE, analytics_enabled=False) as app:
        with gr.Row(elem_id="bot-header", equal_height=True):
            gr.Markdown(
                f"# {TITLE}\n基于《数字化转型指数报告 2022》等语料的问答、排名查询与指数计算；"
                "每个回答都给出出处。",
                elem_id="bot-title",
            )
            gr.HTML(
                f'<span class="bot-badge" id="bot-mode-label">'
                f"{html.escape(prompts.MODE_BADGE.format(mode=engine.mode_label()))}</span>",
                elem_id="bot-mode",
                js_on_load=None,
            )
        with gr.Tabs(elem_id="bot-tabs") as tabs:
            with gr.Tab("对话", id="chat", elem_id="tab-chat"):
                chat = ChatTab(
                    engine,
                    store,
                    finder,
                    downloads,
                    browser_secret(settings.paths.data_dir),
                    capture=EvalCapture(settings.paths.data_dir),
                )
                chat.build()
            with gr.Tab("数据表", id="tables", elem_id="tab-tables"):
                tables.build()
            with gr.Tab("指数计算", id="calc", elem_id="tab-calc"):
                CalcTab(downloads).build()
            with gr.Tab("语料", id="corpus", elem_id="tab-corpus"):
                CorpusTab(engine, settings, finder).build()
            with gr.Tab("简报", id="briefing", elem_id="tab-briefing"):
                briefing = BriefingTab(engine, finder, downloads)
                briefing.build()
            with gr.Tab("评测", id="evals", elem_id="tab-evals") as eval_tab:
                evals.build()
        evals.attach(eval_tab)
        tables.attach_load(app)
        chat.attach_load(app)
        # A briefing written in the chat opens in the 简报 tab (with its chart and Word / PDF downloads).
        chat.open_brief.click(
            lambda topic: (gr.Tabs(selected="briefing"), topic, ""),
            [chat.brief_topic],
            [tabs, *briefing.inputs],
            api_visibility="private",
            queue=False,
        ).then(briefing.make, briefing.inputs, briefing.outputs, api_visibility="private")
        # Scripts' /ask answers in one HTTP request, beside the queue the page's streaming chat uses: no
        # event stream to set up per call (the offline engine answers a table question in a few ms).
        gr.api(make_ask(engine), api_name="ask", queue=False)
    # Queue positions go to waiting users at a fixed interval, not to every waiting user each time a job
    # starts (that is queue length × jobs messages under load).
    app.queue(
        default_concurrency_limit=settings.server.queue_concurrency(),
        status_update_rate=settings.server.queue_status_interval_s,
    )
    app.downloads = downloads  # type: ignore[attr-defined]
    return app


def launch_app(
    app: gr.Blocks, settings: Settings, *, prevent_thread_lock: bool = False, quiet: bool = False
) -> tuple[Any, str, str]:
    """Serve on settings.server.host/port, with a login when user name and password are both set.

    Only the app's own files are served: no allowed_paths (downloads are written to the system temp
    folder, which Gradio copies into its cache).
    """
    server = settings.server
    auth = (server.username, server.password) if server.username and server.password else None
    if bool(server.username) != bool(server.password):
        raise BotError("登录需要同时设置用户名和密码（BOT_SERVER__USERNAME 与 BOT_SERVER__PASSWORD）。")
    try:
        return app.launch(
            server_name=server.host,
            server_port=server.port,
            auth=auth,
            auth_message="请登录数字化转型知识助手",
            prevent_thread_lock=prevent_thread_lock,
            show_error=False,
            quiet=quiet,
            ssr_mode=False,
            footer_links=["api"],
            theme=theme(),
            css=CSS,
            max_file_size="20mb",
            app_kwargs={"middleware": [Middleware(RequestGuard, server=server)]},
            i18n=ui_i18n(),
            js=LABELS_JS,
            inbrowser=False,
            share=False,
        )
    except OSError as exc:
        if exc.errno in (errno.EADDRINUSE, None) or "port" in str(exc).lower():
            raise BotError(
                f"无法在 {server.host}:{server.port} 启动页面（端口可能已被占用）："
                "请用 --port 换一个端口，或先关闭占用该端口的程序。"
            ) from exc
        raise


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS says is free right now (for tests and benchmarks)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def serve_background(
    engine: Engine, settings: Settings, port: int | None = None, store: FeedbackStore | None = None
) -> tuple[gr.Blocks, str]:
    """Build and launch the page in this process without blocking (port None = a free one); returns
    (app, url). Call `app.close()` to stop it."""
    if port is None:
        port = free_port(settings.server.host)
    settings = settings.model_copy(update={"server": settings.server.model_copy(update={"port": port})})
    app = build_app(engine, settings, store)
    _, url, _ = launch_app(app, settings, prevent_thread_lock=True, quiet=True)
    return app, url
