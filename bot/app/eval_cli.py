"""The `eval` subcommand: score a dataset, keep the run in the history, compare runs, gate against the
committed baselines, and update a baseline on purpose."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.app.eval_history import EvalHistory, code_version, format_history
from bot.core import prompts
from bot.core.settings import Settings, get_settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval",
        help="在评测集上给检索和回答打分；--history 列出历史运行，--compare 对比，--update-baseline 更新基线",
    )
    p.add_argument(
        "--dataset",
        default=None,
        help="评测集：dev、heldout、blind、blind2 至 blind6，或 .jsonl / .csv 文件路径（默认 dev；"
        "--gate 与 --update-baseline 默认 dev 和 blind）",
    )
    p.add_argument("--k", type=int, default=5, help="检索命中率统计的深度（默认 5）")
    p.add_argument("--json", metavar="OUT", help="同时把完整报告写成 JSON 文件 OUT")
    p.add_argument("--csv", metavar="OUT", help="同时把逐题结果写成 CSV 文件 OUT")
    p.add_argument("--html", metavar="OUT", help="同时把一页纸的 HTML 报告写到 OUT")
    p.add_argument("--retrieval-only", action="store_true", help="只评检索，不运行回答引擎")
    p.add_argument(
        "--baseline", metavar="REPORT", help="与一个报告 JSON 对比；主要指标下降超过一题时退出码为 3"
    )
    p.add_argument("--history", action="store_true", help="列出历史运行（data/evals.sqlite）后退出")
    p.add_argument("--limit", type=int, default=30, help="--history 列出的条数（默认 30）")
    p.add_argument(
        "--compare",
        nargs="+",
        metavar="RUN",
        help="与历史运行 RUN（编号或报告 JSON 路径）对比；给两个 RUN 时只对比这两次，不重新运行",
    )
    p.add_argument("--no-history", action="store_true", help="这次运行不记入历史")
    p.add_argument(
        "--gate",
        action="store_true",
        help="按提交的基线检查 dev 和 blind（make test 也会检查）；未通过时退出码为 3",
    )
    p.add_argument(
        "--update-baseline",
        action="store_true",
        help="重新运行并覆盖 evals/reports/<名称>-baseline.json（默认 dev 和 blind），改动后请随代码提交",
    )
    p.add_argument("--side-by-side", action="store_true", help="配置了大模型时，同一次运行也给离线引擎打分")
    p.add_argument("--judge", action="store_true", help="配置了大模型时，另请模型评审每个回答（仅供参考）")
    p.set_defaults(func=run)


def _settings() -> Settings:
    return get_settings()


def load_run(history: EvalHistory, ref: str) -> tuple[dict, str]:
    """A stored run by id, or a report JSON by path; (report, label)."""
    from evals.compare import read_report

    if ref.lstrip("#").isdigit():
        return history.get(ref), f"运行 #{ref.lstrip('#')}"
    return read_report(ref), ref


def run(args: argparse.Namespace) -> int:
    from evals.compare import GATED, compare, compare_reports, format_comparison
    from evals.dataset import dataset_name, load_dataset
    from evals.runner import evaluate, format_table

    settings = _settings()
    history = EvalHistory(settings.paths.data_dir)
    if args.history:
        print(format_history(history.runs(args.limit)))
        return 0
    if args.compare and len(args.compare) >= 2:
        new, new_label = load_run(history, args.compare[0])
        old, old_label = load_run(history, args.compare[1])
        print(f"{new_label}：")
        print(format_comparison(compare_reports(new, old), new, old, old_label))
        return 0
    if args.update_baseline or args.gate:
        return _gated(settings, history, [args.dataset] if args.dataset else list(GATED), args)

    dataset = args.dataset or "dev"
    items = load_dataset(dataset)
    earlier = [load_run(history, args.compare[0])] if args.compare else []
    base = [load_run(history, args.baseline)] if args.baseline else []
    report = evaluate(
        settings,
        items,
        k=args.k,
        answers=not args.retrieval_only,
        name=dataset_name(dataset),
        side_by_side=args.side_by_side,
        judge=args.judge,
    )
    report["code_version"] = code_version()
    print(format_table(report["aggregate"], report.get("side_by_side")))
    if not args.no_history:
        run_id = history.add(report, origin="cli")
        print(f"已记入评测历史：运行 #{run_id}（python -m bot eval --history 查看）")
    code = 0
    for other, label in base:
        text, regressed = compare(report, other, label)
        print(text)
        code = 3 if regressed else code
    for other, label in earlier:
        print(compare(report, other, label)[0])
    _write(report, args)
    return code


def _write(report: dict, args: argparse.Namespace) -> None:
    from evals.export import to_csv, to_html, to_json

    for path, render, enc in (
        (args.json, to_json, "utf-8"),
        (args.csv, to_csv, "utf-8-sig"),
        (args.html, to_html, "utf-8"),
    ):
        if path:
            out = Path(path)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(render(report), encoding=enc)
            print(f"报告已写入 {out}")


def _gated(settings: Settings, history: EvalHistory, names: list[str], args: argparse.Namespace) -> int:
    """--gate: check each set against its baseline. --update-baseline: run, show the change, overwrite."""
    from bot.answer.engine import Engine
    from evals.compare import baseline_path, compare, read_report
    from evals.dataset import dataset_name, load_dataset
    from evals.gate import check, write_baseline
    from evals.runner import evaluate, format_table

    engine = Engine(settings)
    code = 0
    for dataset in names:
        name = dataset_name(dataset)
        if args.gate:
            result = check(settings, name, engine=engine, items=load_dataset(dataset))
            print(result.message)
            code = code or (0 if result.passed else 3)
            continue
        report = evaluate(settings, load_dataset(dataset), engine=engine, name=name)
        report["code_version"] = code_version()
        print(f"== {name}")
        print(format_table(report["aggregate"]))
        path = baseline_path(name)
        if path.exists():
            print(compare(report, read_report(path), "旧基线")[0])
        if not args.no_history:
            history.add(report, origin="baseline")
        write_baseline(report, name, path)
        acc = report["aggregate"]["answer_accuracy"]
        print(
            prompts.BASELINE_WRITTEN.format(
                path=path, name=name, accuracy="-" if acc is None else f"{acc:.3f}", n=len(report["items"])
            )
        )
    return code
