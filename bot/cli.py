"""Command line: one entry point with noun subcommands (index, search, ask, eval, bench, serve, tables, calc, tool)."""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from .errors import BotError

Handler = Callable[[argparse.Namespace], int]


def _settings():
    from .settings import get_settings

    return get_settings()


def _cmd_index(args: argparse.Namespace) -> int:
    from .index import build_index

    report = build_index(_settings(), rebuild=args.rebuild, progress=not args.quiet)
    print(report.summary())
    return 0 if report.ok else 1


def _cmd_search(args: argparse.Namespace) -> int:
    from .retrieve import Retriever

    retriever = Retriever.open(_settings())
    hits = retriever.search(args.query, k=args.k, mode=args.mode)
    if args.json:
        print(json.dumps([{"rank": h.rank, "score": h.score, **h.chunk.model_dump()} for h in hits],
                         ensure_ascii=False, indent=2))
        return 0
    if not hits:
        print("没有找到相关段落。")
    for h in hits:
        c = h.chunk
        snippet = c.text.replace("\n", " ")[:120]
        print(f"[{h.rank}] {h.score:.4f}  《{c.title}》 {c.section}  (第{c.start_line}行)\n    {snippet}")
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from evals.runner import run_eval

    return run_eval(_settings(), dataset=args.dataset, k=args.k, json_out=args.json, answers=not args.retrieval_only,
                    baseline=args.baseline)


def _cmd_bench(args: argparse.Namespace) -> int:
    from .bench import run_bench

    return run_bench(_settings(), dataset=args.dataset, cold=not args.skip_cold, json_out=args.json)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="数字化转型知识助手 — 基于语料的问答、排名查询、指数计算与评测。",
        epilog="示例: python -m bot ask \"成渝2022Q1排名第五的城市？\"   |   python -m bot serve",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("index", help="build or update the search index (Chroma + BM25) from corpus/")
    p.add_argument("--rebuild", action="store_true", help="rebuild from scratch (embedding cache still used)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_index)

    p = sub.add_parser("search", help="show the top passages for a query")
    p.add_argument("query", help="the question or keywords, e.g. \"基础设施指数增速\"")
    p.add_argument("-k", type=int, default=5, help="number of passages (default 5)")
    p.add_argument("--mode", choices=["hybrid", "bm25", "dense"], default="hybrid", help="retriever (default hybrid)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=_cmd_search)

    p = sub.add_parser("eval", help="score retrieval and answers on an eval dataset (JSONL)")
    p.add_argument("--dataset", default="evals/datasets/dev.jsonl", help="dataset path (default dev set)")
    p.add_argument("--k", type=int, default=5, help="retrieval depth scored (default 5)")
    p.add_argument("--json", metavar="OUT", help="also write the full report as JSON to OUT")
    p.add_argument("--retrieval-only", action="store_true", help="skip the answer engine")
    p.add_argument("--baseline", metavar="REPORT",
                   help="compare with an earlier --json report; exit code 3 if a headline metric got worse")
    p.set_defaults(func=_cmd_eval)

    p = sub.add_parser("bench", help="print build time, latency, memory and retriever comparison")
    p.add_argument("--dataset", default="evals/datasets/dev.jsonl", help="questions to time")
    p.add_argument("--skip-cold", action="store_true", help="skip the cold build (uses a temp folder otherwise)")
    p.add_argument("--json", metavar="OUT", help="also write the figures as JSON to OUT")
    p.set_defaults(func=_cmd_bench)

    for module in _plugin_modules():
        module.register(sub)
    return parser


def _plugin_modules() -> list:
    """Subcommands that live next to the code they drive (tool layer, engine, UI)."""
    import importlib

    mods = []
    for name in ("tools.cli", "bot.ask_cli", "bot.serve_cli"):
        try:
            mods.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return mods


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except BotError as exc:
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
        print(f"内部错误：{type(exc).__name__}: {exc}。请把这条信息和所用命令告诉维护者"
              "（设置 BOT_DEBUG=true 可看到完整的错误堆栈）。", file=sys.stderr)
        return 1


def _debug() -> bool:
    try:
        return _settings().debug
    except Exception:  # noqa: BLE001 - settings that cannot even load: stay quiet
        return False


if __name__ == "__main__":
    raise SystemExit(main())
