"""CLI subcommands of the tool layer: `tables` (browse/export), `calc` (index method on CSV files), `tool`
(run one)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from bot.core.errors import InputError
from tools.userdata import SAMPLES

_CALC_EPILOG = f"""文件格式（UTF-8 编码、逗号分隔、第一行为表头；示例见 {SAMPLES}）：
  指标数据  --indicators   城市,指标1,指标2,...      每个城市一行，原始值 ≥ 0
  基期数据  --base         同上（基期，如 2020Q1）     各列合计即“基期全国加总”；不给则用指标数据本身
  专家评分  --scores       专家,指标1,指标2,...      每位专家一行，1–5 分
  权重表    --weights      指标,权重                  两列
  层级对照  --layers       指标,层级                  层级如 基础设施 / 平台 / 应用
  层级权重  --layer-weights 层级,权重  或  --layer-scores 专家,基础设施,平台,应用
  时期数据  --file(growth) 地区,2020Q1,2021Q1,...     每列一个季度
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `tables`, `calc` and `tool` subcommands to the main parser."""
    p = subparsers.add_parser(
        "tables",
        help="列出从报告正文解析出的排名表，可导出为 CSV",
        description="列出从报告正文解析出的排名表（表名、行数、来源行号），可导出为 CSV。",
    )
    p.add_argument(
        "--export", metavar="DIR", help="把每张表写成 DIR/<表名>.csv（带 BOM 的 UTF-8，Excel 可直接打开）"
    )
    p.add_argument("--json", action="store_true", help="以 JSON 输出表目录")
    p.set_defaults(func=_cmd_tables)

    p = subparsers.add_parser(
        "calc",
        help="用报告的指数方法计算自己的 CSV 数据（权重、指数、增速、占比）",
        description="按报告的指数方法计算：专家评分赋权、基期标准化、分层指数与综合指数、增速、行业占比。",
        epilog=_CALC_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    calc = p.add_subparsers(dest="calc_command", metavar="CALC")
    p.set_defaults(func=lambda args, parser=p: _help(parser))

    c = calc.add_parser(
        "weights",
        help="由专家评分 CSV 计算指标权重",
        description="专家评分赋权：α_j = Σ_i α_ij / Σ_i Σ_j α_ij（各指标得分之和 ÷ 全部得分之和）。",
        epilog=f"示例: python -m bot calc weights --scores {SAMPLES / 'expert_scores.csv'}",
    )
    c.add_argument("--scores", required=True, metavar="FILE", help="CSV：专家,指标1,指标2,...（1–5 分）")
    c.add_argument("--json", action="store_true", help="输出 JSON")
    c.set_defaults(func=_cmd_weights)

    c = calc.add_parser(
        "index",
        help="由指标数据与权重（或专家评分）计算各城市的分层指数与综合指数",
        description="标准化（t_cj = x_cj / 基期全国合计 × 100），"
        "按层（基础设施、平台、应用）加权平均，再加权得到综合指数。",
        epilog=_CALC_EPILOG + f"\n示例: python -m bot calc index --indicators {SAMPLES / 'indicators.csv'} "
        f"--scores {SAMPLES / 'expert_scores.csv'} --layers {SAMPLES / 'layers.csv'}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    c.add_argument("--indicators", required=True, metavar="FILE", help="CSV：城市,指标1,指标2,...（原始值）")
    g = c.add_mutually_exclusive_group(required=True)
    g.add_argument("--weights", metavar="FILE", help="CSV：指标,权重")
    g.add_argument("--scores", metavar="FILE", help="CSV：专家,指标1,...（1–5 分），由它推出权重")
    c.add_argument("--layers", metavar="FILE", help="CSV：指标,层级（默认只有一层“综合”）")
    lg = c.add_mutually_exclusive_group()
    lg.add_argument("--layer-weights", metavar="FILE", help="CSV：层级,权重（默认等权）")
    lg.add_argument("--layer-scores", metavar="FILE", help="CSV：专家,层级1,层级2,...（1–5 分）")
    c.add_argument("--base", metavar="FILE", help="基期指标 CSV，各列合计即基期全国加总")
    c.add_argument("--json", action="store_true", help="输出 JSON")
    c.set_defaults(func=_cmd_index)

    c = calc.add_parser(
        "growth",
        help="同比、环比与两年同比增速均值（季度 CSV 或直接给数字）",
        description="增速：同比（与上年同季度比）、环比（与上季度比）、两年同比增速均值。"
        "给 --file，或给 --current 与 --previous "
        "（再加 --earlier 时计算两年同比增速均值：earlier→previous→current）。",
        epilog=f"示例: python -m bot calc growth --file {SAMPLES / 'quarterly_index.csv'}\n"
        "      python -m bot calc growth --previous 100 --current 130\n"
        "      python -m bot calc growth --earlier 100 --previous 150 --current 180",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    c.add_argument("--file", metavar="FILE", help="CSV：地区,2020Q1,2020Q2,...（每列一个季度）")
    c.add_argument("--current", type=float, help="本期值")
    c.add_argument("--previous", type=float, help="对比值（上年同季度，或上一季度）")
    c.add_argument("--earlier", type=float, help="两年前的值：给出则计算两年同比增速均值")
    c.add_argument(
        "--kind",
        choices=["yoy", "qoq"],
        default="yoy",
        help="--current/--previous 的含义：yoy 同比（默认）或 qoq 环比",
    )
    c.add_argument("--json", action="store_true", help="输出 JSON")
    c.set_defaults(func=_cmd_growth)

    c = calc.add_parser(
        "share",
        help="某行业占某地区指数的比例",
        description="行业占比 = 某行业在某地区的指数 ÷ 该地区整体指数 × 100%。",
        epilog="示例: python -m bot calc share --industry 12 --total 80",
    )
    c.add_argument("--industry", type=float, required=True, help="该行业在该地区的指数")
    c.add_argument("--total", type=float, required=True, help="该地区的整体指数")
    c.add_argument("--json", action="store_true", help="输出 JSON")
    c.set_defaults(func=_cmd_share)

    p = subparsers.add_parser(
        "tool",
        help="以 JSON 参数运行一个已注册的工具（排名查询或计算）",
        description="运行一个已注册的工具（排名查询或计算），参数为 JSON。用 --list 查看全部工具及其参数。",
        epilog="示例: python -m bot tool city_rank --args '{\"city\": \"东莞\", \"measure\": \"2022Q1\"}'\n"
        "      python -m bot tool top_cities "
        "--args '{\"cluster\": \"关中平原\", \"measure\": \"growth\", \"k\": 5}'",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("name", nargs="?", help="工具名（见 --list）")
    p.add_argument("--args", default="{}", metavar="JSON", help="JSON 对象形式的参数（默认 {}）")
    p.add_argument("--list", action="store_true", help="列出全部工具及其参数")
    p.add_argument("--json", action="store_true", help="以 JSON 输出完整结果")
    p.set_defaults(func=_cmd_tool)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 0


def _print_frame(frame: pd.DataFrame, index: bool = False) -> None:
    with pd.option_context(
        "display.unicode.east_asian_width",
        True,
        "display.max_rows",
        500,
        "display.max_columns",
        50,
        "display.width",
        200,
    ):
        print(frame.to_string(index=index))


def _dump(obj: Any) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2, default=_jsonable))


def _jsonable(x: Any) -> Any:
    if hasattr(x, "item"):
        return x.item()
    return str(x)


def _cmd_tables(args: argparse.Namespace) -> int:
    from tools.export import write_csv
    from tools.tables import COLUMN_LABELS, load_tables, table_catalog

    catalog = table_catalog()
    if args.export:
        out = Path(args.export)
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"无法创建导出目录 {out}（{exc.strerror}），请换一个目录。") from exc
        for name, df in load_tables().items():
            write_csv(df.rename(columns=COLUMN_LABELS), out / f"{name}.csv")
    if args.json:
        _dump(catalog)
    else:
        frame = pd.DataFrame(catalog)
        frame["source_lines"] = frame["first_line"].astype(str) + "-" + frame["last_line"].astype(str)
        _print_frame(
            frame[["name", "rows", "source_lines", "title"]].rename(
                columns={"name": "表名", "rows": "行数", "source_lines": "来源行", "title": "说明"}
            )
        )
        print(f"来源文件：{catalog[0]['file']}")
    if args.export:
        print(f"已导出 {len(catalog)} 张表到 {Path(args.export)}", file=sys.stderr)
    return 0


def _cmd_weights(args: argparse.Namespace) -> int:
    from tools.calc import weights_from_scores_file

    weights = weights_from_scores_file(args.scores)
    if args.json:
        _dump({"weights": {k: float(v) for k, v in weights.items()}})
        return 0
    frame = pd.DataFrame(
        {"指标": weights.index, "权重": weights.values.round(4), "权重(%)": (weights.values * 100).round(2)}
    )
    _print_frame(frame)
    print("权重 = 该指标各专家评分之和 ÷ 全部评分之和（合计为 1）")
    return 0


def _cmd_index(args: argparse.Namespace) -> int:
    from tools.calc import index_from_files

    result = index_from_files(
        args.indicators,
        weights=args.weights,
        scores=args.scores,
        layers=args.layers,
        layer_weights=args.layer_weights,
        layer_scores=args.layer_scores,
        base=args.base,
    )
    table = result.table()
    if args.json:
        _dump(
            {
                "weights": result.weights.to_dict(),
                "layer_weights": result.layer_weights.to_dict(),
                "rows": table.reset_index().to_dict(orient="records"),
            }
        )
        return 0
    _print_frame(table.round(2), index=True)
    lw = "、".join(f"{k} {v:.4f}" for k, v in result.layer_weights.items())
    print(
        f"层级权重：{lw}。标准化值 = 原始值 ÷ 基期全国合计 × 100"
        + ("（基期取 --base 文件各列合计）" if args.base else "（基期取本文件各列合计）")
    )
    return 0


def _cmd_growth(args: argparse.Namespace) -> int:
    from tools.calc import calc_growth, calc_two_year_growth, growth_from_file

    if args.file:
        if any(v is not None for v in (args.current, args.previous, args.earlier)):
            raise InputError("--file 与 --current/--previous/--earlier 不能同时使用。")
        table = growth_from_file(args.file)
        if args.json:
            _dump(table.to_dict(orient="records"))
            return 0
        shown = table.rename(
            columns={
                "name": "地区",
                "period": "时期",
                "value": "数值",
                "yoy": "同比(%)",
                "qoq": "环比(%)",
                "two_year_mean": "两年同比增速均值(%)",
            }
        )
        _print_frame(shown.round(2))
        return 0
    if args.current is None or args.previous is None:
        raise InputError("请给出 --file，或同时给出 --current 与 --previous（可再加 --earlier）。")
    if args.earlier is not None:
        result = calc_two_year_growth(args.earlier, args.previous, args.current)
    else:
        result = calc_growth(args.current, args.previous, args.kind)
    _dump(result.model_dump()) if args.json else print(result.text)
    return 0


def _cmd_share(args: argparse.Namespace) -> int:
    from tools.calc import calc_industry_share

    result = calc_industry_share(args.industry, args.total)
    _dump(result.model_dump()) if args.json else print(result.text)
    return 0


def _cmd_tool(args: argparse.Namespace) -> int:
    from tools.registry import all_tools, call_tool

    if args.list or not args.name:
        if args.json:
            _dump(
                [
                    {"name": s.name, "description": s.description, "parameters": s.parameters}
                    for s in all_tools()
                ]
            )
            return 0
        for spec in all_tools():
            props = spec.parameters["properties"]
            required = set(spec.parameters["required"])
            params = ", ".join(f"{k}{'' if k in required else '?'}" for k in props)
            print(f"{spec.name}({params})\n    {spec.description}")
        if not args.list:
            print("\n用法: python -m bot tool NAME --args '{...}'", file=sys.stderr)
        return 0
    result = call_tool(args.name, args.args)
    if args.json:
        _dump(result.model_dump())
        return 0
    print(result.text)
    if result.rows:
        _print_frame(result.to_frame())
    if result.provenance:
        lines = "、".join(str(p["line"]) for p in result.provenance[:12])
        more = " 等" if len(result.provenance) > 12 else ""
        print(f"来源：{result.provenance[0]['file']} 第 {lines}{more} 行")
    return 0
