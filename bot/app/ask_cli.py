"""`ask` (one question, or an interactive session with history) and `brief` subcommands."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.core.schema import Answer
from tools.errors import ToolError


def format_answer(ans: Answer) -> str:
    """Plain-text rendering: answer, numbered citations, tool calls, note."""
    lines = [ans.answer]
    if ans.note:
        lines.insert(0, f"（{ans.note}）")
    for caveat in ans.caveats:
        lines.append(f"注意：{caveat}")
    if ans.citations:
        lines.append("\n来源：")
        for i, c in enumerate(ans.citations, 1):
            where = f"第{c.line}行" if c.line else ""
            lines.append(f"  [{i}] 《{c.title}》 {c.section} {where}\n      “{c.quote[:100]}”")
    if ans.related:
        lines.append("\n相关段落：")
        for i, c in enumerate(ans.related, 1):
            lines.append(f"  [{i}] 《{c.title}》 {c.section}：{c.quote[:80]}")
    if ans.tool_calls:
        lines.append("\n工具调用：")
        for t in ans.tool_calls:
            lines.append(f"  {t.name}({json.dumps(t.arguments, ensure_ascii=False)})")
    lines.append(f"\n[{'LLM' if ans.mode == 'llm' else '离线'} · {ans.latency_ms:.0f} ms]")
    return "\n".join(lines)


def _engine():  # type: ignore[no-untyped-def]
    from bot.answer.engine import Engine
    from bot.core.settings import get_settings

    return Engine(get_settings())


def _cmd_ask(args: argparse.Namespace) -> int:
    from bot.core.errors import BotError

    engine = _engine()
    use_llm = True if args.llm else (False if args.offline else None)
    if args.question is not None:  # `ask ""` is an empty question, not the interactive mode
        ans = engine.ask(args.question, use_llm=use_llm)
        print(ans.model_dump_json(indent=2) if args.json else format_answer(ans))
        return 0
    print(f"数字化转型知识助手（{engine.mode_label()}）。输入问题，空行或 Ctrl-D 退出。")
    history: list[dict] = []
    while True:
        try:
            q = input("问> ").strip()
        except EOFError:
            break
        if not q:
            break
        try:
            ans = engine.ask(q, history=history, use_llm=use_llm)
        except (BotError, ToolError) as exc:
            print(f"错误：{exc}")
            continue
        print(ans.model_dump_json(indent=2) if args.json else format_answer(ans))
        history += [{"role": "user", "content": q}, {"role": "assistant", "content": ans.answer}]
    return 0


def _progress(fraction: float, text: str) -> None:
    print(f"[{fraction * 100:3.0f}%] {text}", file=sys.stderr, flush=True)


def _cmd_brief(args: argparse.Namespace) -> int:
    from bot.briefing.build import make_briefing
    from bot.briefing.export import export
    from bot.briefing.render import markdown
    from bot.core import prompts
    from bot.core.errors import InputError

    fmt = args.format or (Path(args.out).suffix.lstrip(".").lower() if args.out else "md")
    if fmt not in ("md", "docx", "pdf"):
        raise InputError(prompts.BRIEF_FORMAT_UNKNOWN.format(out=args.out))
    if fmt != "md" and not args.out:
        raise InputError(prompts.BRIEF_NEEDS_OUT.format(fmt=fmt.upper(), ext=fmt))
    engine = _engine()
    use_llm = True if args.llm else (False if args.offline else None)
    if use_llm and not engine.settings.llm.configured:
        raise InputError(prompts.LLM_NEEDS_KEYS)
    progress = None if args.quiet else _progress
    brief = make_briefing(engine, args.subject, args.compare or [], use_llm=use_llm, progress=progress)
    if not args.out:
        print(markdown(brief))
        return 0
    path = export(brief, fmt, args.out, engine.settings.briefing, progress=progress)
    if progress:
        progress(1.0, prompts.BRIEF_STEP_FINISHED)
    png = fmt == "md" and brief.section("chart") is not None
    print(prompts.BRIEF_WRITTEN.format(path=path) + (prompts.BRIEF_WRITTEN_PNG if png else ""))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ask", help="回答一个问题（不给问题则进入带上下文的交互模式）")
    p.add_argument("question", nargs="?", help="例如 \"成渝2022Q1排名第五的城市？\"；省略则进入交互模式")
    p.add_argument("--json", action="store_true", help="以 JSON 输出回答对象")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--llm", action="store_true", help="必须使用已配置的大模型（OPENAI_BASE_URL 等）")
    g.add_argument("--offline", action="store_true", help="不使用大模型，只用离线引擎")
    p.set_defaults(func=_cmd_ask)

    p = sub.add_parser(
        "brief",
        help="生成城市群、城市、省份、行业或主题的简报（Markdown / Word / PDF），文中数字均已核对",
        description="生成可转发的简报：概况、关键数据、图表、增长、行业、报告观点、相关案例与政策、对比、"
        "数据说明与来源。每个数字都由程序与所引用的表格行或段落核对，核对不通过就不输出。",
    )
    p.add_argument("subject", help="例如 成渝城市群、深圳、广东、金融、工业互联网；也可写“成渝 vs 长江中游”")
    p.add_argument(
        "--compare",
        action="append",
        metavar="OTHER",
        help="对比对象（城市群或城市），可重复，例如 --compare 长江中游",
    )
    p.add_argument(
        "--format", choices=["md", "docx", "pdf"], help="输出格式（默认按 --out 的扩展名，否则 md）"
    )
    p.add_argument("--out", help="写入此文件（docx、pdf 必填；md 省略时打印到屏幕）")
    p.add_argument("--quiet", action="store_true", help="不显示进度")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--llm", action="store_true", help="必须由已配置的大模型撰写概况（数字同样核对）")
    g.add_argument("--offline", action="store_true", help="不使用大模型，概况用离线模板")
    p.set_defaults(func=_cmd_brief)
