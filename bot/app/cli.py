"""Command line: one entry point with noun subcommands (index, search, ask, eval, bench, serve, tables, calc,
tool)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from bot.core.errors import BotError
from tools.errors import ToolError

Handler = Callable[[argparse.Namespace], int]


def _settings():
    from bot.core.settings import get_settings
    from tools.tables import use_corpus

    settings = get_settings()
    use_corpus(settings.paths.corpus_dir)
    return settings


def _cmd_index(args: argparse.Namespace) -> int:
    from bot.index.store import build_index

    report = build_index(_settings(), rebuild=args.rebuild, progress=not args.quiet)
    print(report.summary())
    return 0 if report.ok else 1


def _cmd_search(args: argparse.Namespace) -> int:
    from bot.index.retrieve import Retriever

    retriever = Retriever.open(_settings())
    hits = retriever.search(args.query, k=args.k, mode=args.mode)
    if args.json:
        print(
            json.dumps(
                [{"rank": h.rank, "score": h.score, **h.chunk.model_dump()} for h in hits],
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    if not hits:
        print("没有找到相关段落。")
    for h in hits:
        c = h.chunk
        snippet = c.text.replace("\n", " ")[:120]
        print(f"[{h.rank}] {h.score:.4f}  《{c.title}》 {c.section}  (第{c.start_line}行)\n    {snippet}")
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from bot.app.bench import run_bench, run_bench_briefing

    if args.briefing_only:
        return run_bench_briefing(_settings(), json_out=args.json)
    return run_bench(_settings(), dataset=args.dataset, cold=not args.skip_cold, json_out=args.json)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="数字化转型知识助手 — 基于语料的问答、排名查询、指数计算与评测。",
        epilog="示例: python -m bot ask \"成渝2022Q1排名第五的城市？\"   |   python -m bot serve",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("index", help="从 corpus/ 建立或更新检索索引（Chroma 向量 + BM25）")
    p.add_argument("--rebuild", action="store_true", help="从头重建（仍使用嵌入缓存）")
    p.add_argument("--quiet", action="store_true", help="不显示进度条")
    p.set_defaults(func=_cmd_index)

    p = sub.add_parser("search", help="检索与问题最相关的段落")
    p.add_argument("query", help="问题或关键词，例如 \"基础设施指数增速\"")
    p.add_argument("-k", type=int, default=5, help="返回段落数（默认 5）")
    p.add_argument(
        "--mode",
        choices=["hybrid", "bm25", "dense"],
        default="hybrid",
        help="检索方式：hybrid 混合（默认）、bm25 关键词、dense 向量",
    )
    p.add_argument("--json", action="store_true", help="输出 JSON 而不是文本")
    p.set_defaults(func=_cmd_search)

    p = sub.add_parser("bench", help="打印建索引时间、延迟、内存与各检索方式的对比")
    p.add_argument("--dataset", default="evals/datasets/dev.jsonl", help="用来计时的问题集")
    p.add_argument("--skip-cold", action="store_true", help="跳过冷启动建索引（否则在临时目录里从头建一次）")
    p.add_argument("--json", metavar="OUT", help="同时把数据写成 JSON 文件 OUT")
    p.add_argument(
        "--briefing-only", action="store_true", help="只测简报：各类简报的构建时间与三种格式的导出时间"
    )
    p.set_defaults(func=_cmd_bench)

    for module in _plugin_modules():
        module.register(sub)
    _localise(parser)
    return parser


class _ChineseHelp(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):  # type: ignore[no-untyped-def]
        super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)


class _ChineseParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"参数有误：{message}。用 {self.prog} --help 查看用法。\n")


def _localise(parser: argparse.ArgumentParser) -> None:
    """argparse's own words in Chinese: usage prefix, group titles, -h, and argument errors (argparse offers
    no public hook for these, hence the private attributes)."""
    parser.__class__ = _ChineseParser
    parser.formatter_class = _ChineseHelp
    parser._positionals.title = "参数"
    parser._optionals.title = "选项"
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            action.help = "显示本帮助并退出"
        elif isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _localise(child)


def _plugin_modules() -> list:
    """Subcommands that live next to the code they drive (tool layer, engine, UI)."""
    from bot.app import ask_cli, eval_cli, serve_cli, tools_cli

    return [eval_cli, tools_cli, ask_cli, serve_cli]


def _safe_streams() -> None:
    """Text that cannot be encoded (lone surrogates from invalid UTF-8 arguments) is printed escaped
    instead of raising UnicodeEncodeError halfway through a message."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # a closed or unusual stream: leave it
                pass


def main(argv: Sequence[str] | None = None) -> int:
    _safe_streams()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        _settings()  # loads the settings once and points the tool layer at their corpus
        return int(args.func(args) or 0)
    except (BotError, ToolError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        return 0
    except Exception as exc:  # the last line of defence: one sentence, no traceback
        if _debug():
            raise
        print(
            f"内部错误：{type(exc).__name__}: {exc}。请把这条信息和所用命令告诉维护者"
            "（设置 BOT_DEBUG=true 可看到完整的错误堆栈）。",
            file=sys.stderr,
        )
        return 1


def _debug() -> bool:
    try:
        return _settings().debug
    except Exception:  # noqa: BLE001 - settings that cannot even load: stay quiet
        return False


if __name__ == "__main__":
    raise SystemExit(main())
