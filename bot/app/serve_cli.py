"""The `serve` subcommand: open the engine once over the existing index and launch the chat page."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `serve` to the main parser."""
    p = subparsers.add_parser(
        "serve",
        help="启动对话网页（Gradio）与 /ask 接口",
        description="启动网页：对话、数据表、指数计算、语料、简报五个标签页；"
        "同时提供 /ask 接口（gradio_client）。"
        "默认只绑定本机 127.0.0.1:7860；设置 BOT_SERVER__USERNAME 与 BOT_SERVER__PASSWORD 可启用登录。",
        epilog="示例: python -m bot serve --port 7861\n"
        "接口: from gradio_client import Client; Client(\"http://127.0.0.1:7860/\").predict("
        "\"成渝2022Q1排名第五的城市？\", api_name=\"/ask\")",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--host", help="绑定地址（默认 settings.server.host，即 127.0.0.1）")
    p.add_argument("--port", type=int, help="端口（默认 settings.server.port，即 7860）")
    p.set_defaults(func=_cmd_serve)


def _cmd_serve(args: argparse.Namespace) -> int:
    from bot.answer.engine import Engine
    from bot.app.ui import build_app, launch_app
    from bot.core.settings import get_settings
    from bot.index.retrieve import Retriever

    settings = get_settings()
    update = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    if update:
        settings = settings.model_copy(update={"server": settings.server.model_copy(update=update)})
    # Open the existing index; never embed the corpus at start-up (`python -m bot index` builds it).
    retriever = Retriever.open(settings, build_if_missing=False)
    engine = Engine(settings, retriever=retriever)
    app = build_app(engine, settings)
    print(
        f"数字化转型知识助手：http://{settings.server.host}:{settings.server.port}/ "
        f"（模式：{engine.mode_label()}，"
        "按 Ctrl+C 停止）",
        flush=True,
    )
    launch_app(app, settings, quiet=True)
    return 0
