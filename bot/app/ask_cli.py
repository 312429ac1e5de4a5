"""`ask` (one question, or an interactive session with history) and `brief` subcommands."""

from __future__ import annotations

import argparse
import json

from bot.core.schema import Answer
from tools.errors import ToolError


def format_answer(ans: Answer) -> str:
    """Plain-text rendering: answer, numbered citations, tool calls, note."""
    lines = [ans.answer]
    if ans.note:
        lines.insert(0, f"（{ans.note}）")
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
    if args.question:
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


def _cmd_brief(args: argparse.Namespace) -> int:
    from bot.briefing.build import make_briefing

    brief = make_briefing(_engine(), args.topic, use_llm=True if args.llm else None)
    text = brief.markdown()
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text)
        print(f"简报已写入 {args.out}")
    else:
        print(text)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ask", help="回答一个问题（不给问题则进入带上下文的交互模式）")
    p.add_argument("question", nargs="?", help="例如 \"成渝2022Q1排名第五的城市？\"；省略则进入交互模式")
    p.add_argument("--json", action="store_true", help="以 JSON 输出回答对象")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--llm", action="store_true", help="必须使用已配置的大模型（OPENAI_BASE_URL 等）")
    g.add_argument("--offline", action="store_true", help="不使用大模型，只用离线引擎")
    p.set_defaults(func=_cmd_ask)

    p = sub.add_parser("brief", help="生成某个地区、行业或主题的简报（Markdown）")
    p.add_argument("topic", help="例如 成渝城市群、金融、产业互联网")
    p.add_argument("--out", help="写入此文件而不是打印")
    p.add_argument("--llm", action="store_true", help="由已配置的大模型撰写摘要")
    p.set_defaults(func=_cmd_brief)
