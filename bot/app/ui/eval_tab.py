"""The 评测 tab: choose a question set (dev, blind, heldout, one's own, or an upload), run it with progress
and a stop button, read the figures and the items (filterable to the failures), compare with any earlier
run, and download the report as JSON, CSV and HTML."""

from __future__ import annotations

import html
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from bot.answer.engine import Engine
from bot.app.eval_history import EvalHistory, code_version
from bot.app.ui import notify
from bot.app.ui.files import upload_path
from bot.core import prompts
from bot.core.errors import InputError
from bot.core.settings import Settings
from evals.dataset import BUILTIN, DatasetError, load_dataset, local_datasets, local_dir, parse_dataset
from evals.export import run_meta

UPLOAD = "upload"
LOCAL = "local:"
BUILTIN_LABELS = {
    "dev": "dev（开发集）",
    "blind": "blind（盲测集）",
    "heldout": "heldout（留出集）",
    "blind2": "blind2（第二盲测集）",
    "blind3": "blind3（第三盲测集）",
    "blind4": "blind4（第四盲测集）",
    "blind5": "blind5（第五盲测集）",
    "blind6": "blind6（第六盲测集）",
}
POLL_S = 0.25
NO_UPLOAD = "请先上传一个 .jsonl 或 .csv 评测集文件（格式见上方“题集格式与判分规则”）。"
NO_REPORT = "还没有评测结果：请先运行一次评测，或在“历史运行”里打开一次。"
NO_RUN_CHOSEN = "请在“历史运行”里选一次运行。"
STOP_IDLE = "当前没有正在运行的评测。"

HELP = """**题集格式**：每行一道题的 JSONL（UTF-8），或第一行为表头的 CSV。

| 字段 | 必填 | 说明 |
|---|---|---|
| `id` | 是 | 题目编号，在题集中唯一，例如 `my-001` |
| `question` | 是 | 问题原文 |
| `type` | 是 | `ranking` 排名 / `calc` 计算 / `fact` 事实 / `multi` 多事实 / `unanswerable` 语料中没有答案 |
| `answer` | 否 | 参考答案（给人看；写了就必须包含某个可接受答案） |
| `accept` | 可回答的题必填 | 可接受答案：回答里出现其中任何一个就算对 |
| `evidence` | 否 | 语料中的原句，用来评检索（不写则不计入检索指标） |
| `source` | 否 | 出处文件名，仅供参考 |

JSONL 示例（一行）：
`{"id": "my-001", "question": "成渝2022Q1排名第五的城市？", "type": "ranking", "accept": ["南充"]}`

CSV 里 `accept` 一格写多个备选时用 `|` 分隔，一个备选里必须同时出现的几个词用 `&` 连接
（如 `成都&重庆|成渝`）；`evidence` 多句用 `|` 分隔。也可以在 `accept` 里直接写 JSON 数组。

**判分**（确定性的，同一回答永远同分）：忽略全角半角和空白后，回答中出现任一可接受答案即为正确；
`unanswerable` 题拒答才算对；可回答的题被拒答算错（计入误拒率）。检索 hit@k：证据原句出现在前 k 个检索段落里
（可跨相邻两段）。配置了大模型时，可另请模型评审，结果只作参考，列在确定性得分旁边。"""


def _f(v: Any) -> str:
    return "–" if v is None else f"{v:.3f}"


def progress_html(done: int, total: int, elapsed: float, note: str = "") -> str:
    pct = 100 * done / total if total else 0
    return (
        f'<div class="bot-progress"><div class="bot-bar"><div style="width:{pct:.1f}%"></div></div>'
        f'<span id="eval-progress-text">{done} / {total} 题 · 已用 {elapsed:.1f} 秒{note}</span></div>'
    )


def figures_html(report: dict) -> str:
    """The headline figures, each in an element carrying `data-metric` (the browser test reads them)."""
    agg = report["aggregate"]
    cards = [
        (
            "answer_accuracy",
            "答案准确率",
            _f(agg.get("answer_accuracy")),
            f"{agg.get('correct', 0)} / {agg['n']} 题",
        ),
        ("retrieval_hit@1", "检索 hit@1", _f(agg.get("retrieval_hit@1")), f"{agg['n_retrieval']} 题有证据"),
        ("retrieval_hit@3", "检索 hit@3", _f(agg.get("retrieval_hit@3")), ""),
        ("retrieval_hit@5", "检索 hit@5", _f(agg.get("retrieval_hit@5")), ""),
        ("mrr", "MRR", _f(agg.get("mrr")), ""),
        (
            "false_refusal_rate",
            "误拒率",
            _f(agg.get("false_refusal_rate")),
            f"{agg.get('false_refusals', 0)} / {agg.get('n_answerable', 0)} 道可答题被拒答",
        ),
        ("latency_p50", "延迟 p50", f"{agg['latency_ms']['p50']:.0f} ms", ""),
        ("latency_p95", "延迟 p95", f"{agg['latency_ms']['p95']:.0f} ms", ""),
    ]
    if agg.get("llm_judge"):
        j = agg["llm_judge"]
        cards.append(
            ("llm_judge", "大模型评审（参考）", _f(j["accuracy"]), f"与判分一致 {_f(j['agreement'])}")
        )
    for mode, other in (report.get("side_by_side") or {}).items():
        cards.append(
            (
                f"{mode}_accuracy",
                "离线引擎准确率（并排）",
                _f(other.get("answer_accuracy")),
                f"误拒率 {_f(other.get('false_refusal_rate'))}",
            )
        )
    body = "".join(
        f'<div class="bot-fig" data-metric="{key}"><span>{label}</span><b>{value}</b>'
        f"<small>{html.escape(sub)}</small></div>"
        for key, label, value, sub in cards
    )
    meta = run_meta(report)
    return f'<div class="bot-figures">{body}</div><div class="bot-fig-meta">{meta}</div>'


def types_frame(report: dict) -> pd.DataFrame:
    rows = [
        {
            "类型": t,
            "题数": s["n"],
            "答案准确率": _f(s.get("answer_accuracy")),
            "检索 hit@1": _f(s.get("retrieval_hit@1")),
            "检索 hit@5": _f(s.get("retrieval_hit@5")),
        }
        for t, s in report["aggregate"].get("by_type", {}).items()
    ]
    return pd.DataFrame(rows, columns=["类型", "题数", "答案准确率", "检索 hit@1", "检索 hit@5"])


def items_frame(report: dict, failures_only: bool = False) -> pd.DataFrame:
    from evals.export import answer_text, citations_text

    rows = []
    judged = any("judge" in r for r in report["items"])
    paired = any("offline" in r for r in report["items"])
    for r in report["items"]:
        if failures_only and r.get("correct") is not False:
            continue
        row = {
            "编号": r["id"],
            "类型": r["type"],
            "问题": r["question"],
            "期望答案": r.get("expected", ""),
            "回答": answer_text(r),
            "正确": "✓" if r.get("correct") else "✗",
            "检索名次": "" if r.get("retrieval_rank") is None else str(r["retrieval_rank"]),
            "出处": citations_text(r),
        }
        if judged:
            verdict = (r.get("judge") or {}).get("correct")
            row["大模型评审"] = "–" if verdict is None else ("✓" if verdict else "✗")
        if paired:
            row["离线引擎"] = "✓" if (r.get("offline") or {}).get("correct") else "✗"
        rows.append(row)
    columns = ["编号", "类型", "问题", "期望答案", "回答", "正确", "检索名次", "出处"]
    columns += ["大模型评审"] if judged else []
    columns += ["离线引擎"] if paired else []
    return pd.DataFrame(rows, columns=columns)


def comparison_html(report: dict, old: dict, old_label: str) -> str:
    from evals.compare import compare_reports

    c = compare_reports(report, old)
    esc = html.escape
    head = f"<tr><th>指标</th><th>{esc(old_label)}</th><th>本次</th><th>变化</th></tr>"
    rows = []
    for m in c.metrics:
        lat = m["name"].startswith("latency_")
        fmt = (lambda v: f"{v:.1f}") if lat else _f
        sign = "+" if m["delta"] >= 0 else ""
        flag = ' <span class="bot-worse">变差超过一题</span>' if m["worse"] else ""
        rows.append(
            f'<tr data-metric="{m["name"]}"{" class=bot-worse-row" if m["worse"] else ""}>'
            f"<td>{esc(m['label'])}</td>"
            f"<td>{fmt(m['old'])}</td><td>{fmt(m['new'])}</td><td>{sign}{fmt(m['delta'])}{flag}</td></tr>"
        )
    for t in c.by_type:
        sign = "+" if t["delta"] >= 0 else ""
        rows.append(
            f"<tr><td>答案准确率 · {esc(t['type'])}</td><td>{_f(t['old'])}</td><td>{_f(t['new'])}</td>"
            f"<td>{sign}{t['delta']:.3f}</td></tr>"
        )
    note = ""
    if c.dataset_changed:
        note = f'<p class="bot-note">两次运行的评测集内容不同，逐题对比只含两边都有的 {c.common} 题。</p>'
    before = {r["id"]: r for r in old.get("items", [])}
    flips = []
    for mark, rows_ in (("✓ → ✗", c.lost), ("✗ → ✓", c.gained)):
        for r in rows_:
            from evals.export import answer_text

            flips.append(
                f'<tr class="bot-flip"><td>{esc(r["id"])}</td><td>{mark}</td><td>{esc(r["question"])}</td>'
                f"<td>{esc(str(r.get('expected', '')))}</td><td>{esc(answer_text(before[r['id']]))}</td>"
                f"<td>{esc(answer_text(r))}</td></tr>"
            )
    flip_table = (
        "<table class='bot-table'><tr><th>编号</th><th>翻转</th><th>问题</th><th>期望答案</th>"
        "<th>之前的回答</th>"
        f"<th>本次回答</th></tr>{''.join(flips)}</table>"
        if flips
        else "<p>没有题目翻转。</p>"
    )
    summary = (
        f"<p>新答错 <b>{len(c.lost)}</b> 题，新答对 <b>{len(c.gained)}</b> 题；检索 hit@5 新落空 "
        f"{len(c.missed)} 题，新命中 {len(c.found)} 题。</p>"
    )
    return (
        f"{note}<table class='bot-table' id='eval-compare-metrics'>{head}{''.join(rows)}</table>"
        f"{summary}{flip_table}"
    )


class EvalTab:
    """Builds the 评测 tab and owns its callbacks; one run at a time per browser session can be stopped."""

    def __init__(self, engine: Engine, settings: Settings, downloads: Path):
        self.engine = engine
        self.settings = engine.settings  # what the engine runs with (recorded in each report)
        self.data_dir = settings.paths.data_dir  # where the page keeps history and local sets
        self.history = EvalHistory(self.data_dir)
        self.downloads = downloads
        self._stops: dict[str, threading.Event] = {}

    # ------------------------------------------------------------------ layout
    def choices(self) -> list[tuple[str, str]]:
        out = [(BUILTIN_LABELS[n], n) for n in BUILTIN]
        out += [(f"{n}（我的题集）", LOCAL + n) for n in local_datasets(self.data_dir)]
        return [*out, ("上传的文件", UPLOAD)]

    def run_choices(self, exclude: int | None = None) -> list[tuple[str, str]]:
        return [(r.label(), str(r.id)) for r in self.history.runs() if r.id != exclude]

    def build(self) -> None:
        report = gr.State(None)
        with gr.Accordion("题集格式与判分规则", open=False):
            gr.Markdown(HELP)
        with gr.Row(equal_height=True):
            choice = gr.Dropdown(
                self.choices(), value="dev", label="评测集", elem_id="eval-dataset", scale=2, interactive=True
            )
            upload = gr.File(
                label="上传评测集（.jsonl / .csv）",
                file_types=[".jsonl", ".csv", ".json", ".txt"],
                elem_id="eval-upload",
                height=110,
                scale=2,
            )
            with gr.Column(scale=1, min_width=200, visible=self.settings.llm.configured):
                side = gr.Checkbox(label="同时给离线引擎打分（并排）", value=False, elem_id="eval-side")
                judge = gr.Checkbox(label="大模型评审（仅供参考）", value=False, elem_id="eval-judge")
        with gr.Row():
            run = gr.Button("运行评测", variant="primary", elem_id="eval-run")
            stop = gr.Button("停止", variant="stop", elem_id="eval-stop")
        progress = gr.HTML("", elem_id="eval-progress")
        msg = gr.Markdown(elem_id="eval-msg")
        with gr.Column(visible=False) as results:
            figures = gr.HTML(elem_id="eval-figures")
            types = gr.Dataframe(label="按题型", elem_id="eval-types", interactive=False, wrap=True)
            failures = gr.Checkbox(label="只看答错的题", value=False, elem_id="eval-failures")
            items = gr.Dataframe(
                label="逐题结果",
                elem_id="eval-items",
                interactive=False,
                wrap=True,
                max_height=520,
                column_widths=["9%", "8%", "20%", "14%", "25%", "5%", "6%", "13%"],
            )
            with gr.Row():
                json_file = gr.File(label="报告 JSON", elem_id="eval-json", interactive=False, height=80)
                csv_file = gr.File(label="逐题 CSV", elem_id="eval-csv", interactive=False, height=80)
                html_file = gr.File(label="一页报告 HTML", elem_id="eval-html", interactive=False, height=80)
        gr.Markdown("#### 历史运行与对比")
        with gr.Row(equal_height=True):
            past = gr.Dropdown(
                self.run_choices(), label="历史运行", elem_id="eval-past", scale=3, interactive=True
            )
            compare = gr.Button("与本次结果对比", elem_id="eval-compare", scale=1)
            open_run = gr.Button("打开这次运行", elem_id="eval-open", scale=1)
        compare_out = gr.HTML(elem_id="eval-compare-out")

        shown = [figures, types, items, json_file, csv_file, html_file, results, past, compare_out]
        run.click(
            self.run,
            [choice, upload, side, judge],
            [progress, msg, report, *shown],
            api_visibility="private",
            concurrency_limit=1,
            concurrency_id="eval-run",
        )
        stop.click(self.stop, None, [msg], api_visibility="private", concurrency_limit=None)
        upload.upload(self.check_upload, [upload], [msg, choice], api_visibility="private")
        failures.change(
            self.filter_items, [report, failures], [items], api_visibility="private", concurrency_limit=None
        )
        compare.click(self.compare, [report, past], [compare_out], api_visibility="private")
        open_run.click(self.open_run, [past], [msg, report, *shown], api_visibility="private")
        self._lists = [choice, past]

    def attach(self, tab: gr.Tab) -> None:
        """Refresh the lists (local sets added from the chat, runs from the CLI) when the tab is opened."""
        tab.select(
            self.refresh,
            None,
            self._lists,
            api_visibility="private",
            concurrency_limit=None,
            show_progress="hidden",
        )

    # ------------------------------------------------------------------ callbacks
    def refresh(self) -> tuple[Any, Any]:
        return gr.Dropdown(choices=self.choices()), gr.Dropdown(choices=self.run_choices())

    def load(self, choice: str, upload: Any) -> tuple[list[dict], str]:
        """The chosen set's items and name; InputError / DatasetError for a missing or bad file."""
        if choice == UPLOAD:
            path = upload_path(upload)
            if not path:
                raise InputError(NO_UPLOAD)
            name = Path(path).name
            return parse_dataset(Path(path).read_bytes(), name), Path(name).stem
        if choice and choice.startswith(LOCAL):
            name = choice[len(LOCAL) :]
            return load_dataset(local_dir(self.data_dir) / f"{name}.jsonl"), name
        if choice not in BUILTIN:
            raise InputError(prompts.DATASET_MISSING.format(name=choice))
        return load_dataset(choice), choice

    def check_upload(self, upload: Any) -> tuple[str, Any]:
        path = upload_path(upload)
        if not path:
            return "", gr.skip()
        try:
            items = parse_dataset(Path(path).read_bytes(), Path(path).name)
        except Exception as exc:  # noqa: BLE001 - page boundary: shown as sentences, never a traceback
            return self._problem(exc), gr.Dropdown(value=UPLOAD)
        return f"已读取 {Path(path).name}：{len(items)} 道题，格式正确。点“运行评测”开始。", gr.Dropdown(
            value=UPLOAD
        )

    @staticmethod
    def _problem(exc: BaseException) -> str:
        if isinstance(exc, DatasetError):
            gr.Warning(str(exc).split("\n", 1)[0], title="评测集有问题")
            lines = str(exc).split("\n")
            return "⚠️ " + lines[0] + "\n\n" + "\n".join(f"- {ln.strip()}" for ln in lines[1:] if ln.strip())
        return notify.inline(notify.warn(exc))

    def stop(self, request: gr.Request) -> str:
        event = self._stops.get(request.session_hash or "")
        if event is None or event.is_set():
            return STOP_IDLE
        event.set()
        return "正在停止……（当前这道题答完即停）"

    def run(
        self, choice: str, upload: Any, side: bool, judge: bool, request: gr.Request
    ) -> Iterator[tuple[Any, ...]]:
        skip = gr.skip()
        rest = (skip,) * 9
        try:
            items, name = self.load(choice, upload)
        except Exception as exc:  # noqa: BLE001 - page boundary
            yield ("", self._problem(exc), skip, *rest)
            return
        from evals.runner import evaluate

        key = request.session_hash or ""
        stop = threading.Event()
        self._stops[key] = stop
        done = [0]
        box: dict[str, Any] = {}

        def work() -> None:
            try:
                box["report"] = evaluate(
                    self.settings,
                    items,
                    engine=self.engine,
                    name=name,
                    progress=lambda n, total: done.__setitem__(0, n),
                    stop=stop,
                    side_by_side=side,
                    judge=judge,
                )
            except Exception as exc:  # noqa: BLE001 - reported below as a sentence
                box["error"] = exc

        t0 = time.perf_counter()
        worker = threading.Thread(target=work, name="eval-run", daemon=True)
        worker.start()
        try:
            yield (progress_html(0, len(items), 0.0), f"正在评测 {name}（{len(items)} 题）……", skip, *rest)
            while worker.is_alive():
                worker.join(POLL_S)
                yield (progress_html(done[0], len(items), time.perf_counter() - t0), skip, skip, *rest)
        finally:
            if worker.is_alive():  # the page went away: let the run end at the next item
                stop.set()
            self._stops.pop(key, None)
        if "error" in box:
            yield (skip, notify.inline(notify.warn(box["error"])), skip, *rest)
            return
        report = box["report"]
        report["code_version"] = code_version()
        elapsed = time.perf_counter() - t0
        if report["stopped"]:
            note = f"已停止：完成 {len(report['items'])} / {len(items)} 题（未记入历史运行）。"
        else:
            run_id = self.history.add(report, origin="page")
            note = f"完成：{len(items)} 题，用时 {elapsed:.1f} 秒，已记为运行 #{run_id}。"
        bar = progress_html(
            len(report["items"]), len(items), elapsed, " · 已停止" if report["stopped"] else ""
        )
        yield (bar, note, report, *self._show(report))

    def _show(self, report: dict) -> tuple[Any, ...]:
        files = self._write(report)
        return (
            figures_html(report),
            types_frame(report),
            items_frame(report),
            *files,
            gr.Column(visible=True),
            gr.Dropdown(choices=self.run_choices(exclude=report.get("run_id")), value=None),
            "",
        )

    def _write(self, report: dict) -> tuple[str, str, str]:
        from evals.export import to_csv, to_html, to_json

        folder = Path(tempfile.mkdtemp(dir=self.downloads))
        stem = f"评测报告-{report.get('dataset', {}).get('name') or 'eval'}"
        if report.get("run_id"):
            stem += f"-{report['run_id']}"
        paths = []
        for ext, render, enc in (
            ("json", to_json, "utf-8"),
            ("csv", to_csv, "utf-8-sig"),
            ("html", to_html, "utf-8"),
        ):
            path = folder / f"{stem}.{ext}"
            path.write_text(render(report), encoding=enc)
            paths.append(str(path))
        return paths[0], paths[1], paths[2]

    def filter_items(self, report: dict | None, failures_only: bool) -> Any:
        if not report:
            return gr.skip()
        return items_frame(report, failures_only)

    def compare(self, report: dict | None, run_id: str | None) -> str:
        if not report:
            return notify.inline(notify.warn(NO_REPORT))
        if not run_id:
            return notify.inline(notify.warn(NO_RUN_CHOSEN))
        try:
            old = self.history.get(run_id)
        except Exception as exc:  # noqa: BLE001 - page boundary
            return notify.inline(notify.warn(exc))
        return comparison_html(report, old, f"运行 #{run_id}")

    def open_run(self, run_id: str | None) -> tuple[Any, ...]:
        if not run_id:
            return (notify.inline(notify.warn(NO_RUN_CHOSEN)), gr.skip(), *(gr.skip(),) * 9)
        try:
            report = self.history.get(run_id)
        except Exception as exc:  # noqa: BLE001 - page boundary
            return (notify.inline(notify.warn(exc)), gr.skip(), *(gr.skip(),) * 9)
        return (f"已打开运行 #{run_id}。", report, *self._show(report))
