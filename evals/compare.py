"""Comparing two eval reports (metric deltas, items that flipped) and the regression gate: a headline metric
may not drop by more than one item's worth against a committed baseline."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.core import prompts
from bot.core.errors import InputError
from bot.core.settings import REPO_ROOT

# Metrics the gate watches; a drop of more than one item's worth in any of them fails it.
HEADLINE = ("answer_accuracy", "false_refusal_rate", "retrieval_hit@1", "retrieval_hit@5", "mrr")
LOWER_IS_BETTER = {"false_refusal_rate", "latency_p50", "latency_p95"}
SHOWN = (
    "answer_accuracy",
    "false_refusal_rate",
    "retrieval_hit@1",
    "retrieval_hit@3",
    "retrieval_hit@5",
    "mrr",
    "latency_p50",
    "latency_p95",
)
GATED = ("dev", "blind")  # the sets `make test` checks against evals/reports/<name>-baseline.json
REPORTS_DIR = REPO_ROOT / "evals" / "reports"
EPS = 1e-9


def baseline_path(name: str) -> Path:
    return REPORTS_DIR / f"{name}-baseline.json"


def read_report(path: str | Path) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(prompts.BASELINE_UNREADABLE.format(path=path, error=exc)) from exc
    if not isinstance(data, dict) or "aggregate" not in data or "items" not in data:
        raise InputError(prompts.BASELINE_UNREADABLE.format(path=path, error="no aggregate/items"))
    return data


def _exact(rows: list[dict], name: str) -> float | None:
    """A headline metric computed from the item rows without rounding (the aggregate is rounded to four
    places, which must not decide whether a drop exceeds one item's worth)."""
    answered = [r for r in rows if "correct" in r]
    if name == "answer_accuracy":
        return sum(bool(r["correct"]) for r in answered) / len(answered) if answered else None
    if name == "false_refusal_rate":
        answerable = [
            r for r in answered if r["type"] != "unanswerable" and isinstance(r.get("answer"), dict)
        ]
        refused = sum(1 for r in answerable if r["answer"].get("answerable") is False)
        return refused / len(answerable) if answerable else None
    scored = [r for r in rows if r.get("has_evidence")]
    if not scored or "retrieval_rank" not in scored[0]:
        return None
    ranks = [r.get("retrieval_rank") for r in scored]
    if name == "mrr":
        return sum(1 / k for k in ranks if k) / len(scored)
    if name.startswith("retrieval_hit@"):
        at = int(name.rsplit("@", 1)[1])
        return sum(1 for k in ranks if k is not None and k <= at) / len(scored)
    return None


def metric(report: dict, name: str) -> float | None:
    """A figure of a report: exact from its items when it has them, else from its aggregate."""
    agg = report["aggregate"]
    if name.startswith("latency_"):
        return agg.get("latency_ms", {}).get(name.split("_", 1)[1])
    exact = _exact(report.get("items") or [], name)
    if exact is not None:
        return exact
    value = agg.get(name)
    return float(value) if isinstance(value, (int, float)) else None


def _answered(report: dict) -> list[dict]:
    return [r for r in report.get("items", []) if "correct" in r]


def item_worth(report: dict, name: str) -> float:
    """How much one item moves a metric in this report (1 / the number of items it is computed over)."""
    agg = report["aggregate"]
    if name in ("answer_accuracy",):
        n = len(_answered(report)) or agg.get("n", 0)
    elif name == "false_refusal_rate":
        n = agg.get("n_answerable") or sum(1 for r in _answered(report) if r["type"] != "unanswerable")
    else:
        n = agg.get("n_retrieval") or sum(1 for r in report.get("items", []) if r.get("has_evidence"))
    return 1.0 / n if n else 1.0


def _hit5(row: dict) -> bool:
    rank = row.get("retrieval_rank")
    return bool(row.get("has_evidence")) and rank is not None and rank <= 5


@dataclass
class Comparison:
    """Deltas and flipped items of `new` against `old`."""

    metrics: list[dict[str, Any]] = field(default_factory=list)  # name, label, old, new, delta, step, worse
    by_type: list[dict[str, Any]] = field(default_factory=list)  # type, old, new, delta
    lost: list[dict] = field(default_factory=list)  # was correct, now wrong (rows of the new report)
    gained: list[dict] = field(default_factory=list)
    missed: list[dict] = field(default_factory=list)  # retrieval hit@5 lost
    found: list[dict] = field(default_factory=list)
    common: int = 0
    dataset_changed: bool = False

    @property
    def regressed(self) -> list[dict[str, Any]]:
        return [m for m in self.metrics if m["worse"]]


def compare_reports(new: dict, old: dict) -> Comparison:
    """Metric deltas (a headline metric is `worse` when it dropped by more than one item's worth) and the
    items whose correctness or retrieval hit@5 flipped, matched by id."""
    out = Comparison()
    a, b = new["aggregate"], old["aggregate"]
    for name in SHOWN:
        nv, ov = metric(new, name), metric(old, name)
        if nv is None or ov is None:
            continue
        delta = nv - ov
        step = max(item_worth(new, name), item_worth(old, name)) if name in HEADLINE else 0.0
        drop = delta if name in LOWER_IS_BETTER else -delta
        worse = name in HEADLINE and drop > step + EPS
        out.metrics.append(
            {
                "name": name,
                "label": prompts.METRIC_LABELS.get(name, name),
                "old": ov,
                "new": nv,
                "delta": delta,
                "step": step,
                "worse": worse,
            }
        )
    for t, s in a.get("by_type", {}).items():
        o = b.get("by_type", {}).get(t, {})
        if s.get("answer_accuracy") is not None and o.get("answer_accuracy") is not None:
            out.by_type.append(
                {
                    "type": t,
                    "old": o["answer_accuracy"],
                    "new": s["answer_accuracy"],
                    "delta": s["answer_accuracy"] - o["answer_accuracy"],
                }
            )
    before = {r["id"]: r for r in old.get("items", [])}
    for r in new.get("items", []):
        o = before.get(r["id"])
        if o is None:
            continue
        out.common += 1
        if "correct" in r and "correct" in o and r["correct"] != o["correct"]:
            (out.gained if r["correct"] else out.lost).append(r)
        if r.get("has_evidence") and o.get("has_evidence") and _hit5(r) != _hit5(o):
            (out.found if _hit5(r) else out.missed).append(r)
    old_hash = old.get("dataset", {}).get("hash")
    new_hash = new.get("dataset", {}).get("hash")
    out.dataset_changed = bool(old_hash and new_hash and old_hash != new_hash)
    return out


def _fmt(name: str, v: float) -> str:
    return f"{v:.1f}" if name.startswith("latency_") else f"{v:.3f}"


def format_comparison(c: Comparison, new: dict, old: dict, old_label: str, limit: int = 20) -> str:
    """The comparison as text (CLI)."""
    lines = [
        prompts.COMPARE_HEAD.format(
            old=old_label,
            old_dataset=old.get("dataset", {}).get("name") or "未记录",
            old_time=str(old.get("started", "未记录")).replace("T", " ")[:16],
            old_code=old.get("code_version", "未记录"),
        )
    ]
    if c.dataset_changed:
        lines.append(
            prompts.COMPARE_DATASET_CHANGED.format(
                old_hash=old.get("dataset", {}).get("hash"),
                new_hash=new.get("dataset", {}).get("hash"),
                n=c.common,
            )
        )
    for m in c.metrics:
        lines.append(
            prompts.COMPARE_METRIC.format(
                label=m["label"],
                old=_fmt(m["name"], m["old"]),
                new=_fmt(m["name"], m["new"]),
                delta=("+" if m["delta"] >= 0 else "") + _fmt(m["name"], m["delta"]),
                mark=prompts.COMPARE_WORSE if m["worse"] else "",
            )
        )
    lines.append(
        prompts.COMPARE_FLIPS.format(
            lost=len(c.lost), gained=len(c.gained), missed=len(c.missed), found=len(c.found)
        )
    )
    lines += [prompts.COMPARE_LOST_ITEM.format(id=r["id"], question=r["question"]) for r in c.lost[:limit]]
    lines += [
        prompts.COMPARE_GAINED_ITEM.format(id=r["id"], question=r["question"]) for r in c.gained[:limit]
    ]
    return "\n".join(lines)


def compare(report: dict, baseline: dict, label: str = "基线") -> tuple[str, bool]:
    """(text, regressed): the comparison as text, and whether a headline metric dropped by more than one
    item's worth."""
    c = compare_reports(report, baseline)
    return format_comparison(c, report, baseline, label), bool(c.regressed)


def _ids(rows: list[dict], limit: int = 15) -> str:
    shown = "、".join(f"{r['id']}（{r['question'][:24]}）" for r in rows[:limit])
    return shown + (f" 等 {len(rows)} 题" if len(rows) > limit else "")


def gate(report: dict, baseline: dict, name: str, baseline_label: str) -> tuple[bool, str]:
    """(passed, message) of the regression gate: the message names every metric that dropped by more than
    one item's worth and the items that flipped."""
    c = compare_reports(report, baseline)
    if not c.regressed:
        return True, prompts.GATE_PASSED.format(name=name)
    parts = []
    for m in c.regressed:
        template = prompts.GATE_METRIC_UP if m["name"] in LOWER_IS_BETTER else prompts.GATE_METRIC
        parts.append(
            template.format(label=m["label"], old=m["old"], new=m["new"], delta=m["delta"], step=m["step"])
        )
    flips = ""
    if c.lost:
        flips += prompts.GATE_FLIPPED.format(n=len(c.lost), items=_ids(c.lost))
    if c.missed:
        flips += prompts.GATE_RETRIEVAL_FLIPPED.format(n=len(c.missed), items=_ids(c.missed))
    message = prompts.GATE_FAILED.format(
        name=name, metrics="；".join(parts), flips=flips, baseline=baseline_label, hint=prompts.GATE_HINT
    )
    return False, message


def restrict(report: dict, ids: set[str]) -> dict:
    """The report cut down to the given item ids, its figures re-aggregated (to gate a subset)."""
    from evals.runner import aggregate

    rows = [r for r in report["items"] if r["id"] in ids]
    return {**report, "items": rows, "aggregate": aggregate(rows)}


def slim(report: dict) -> dict:
    """A report small enough to commit as a baseline: figures, settings, and per item only what the gate and
    the comparison read (id, type, question, expected, correct, retrieval rank, the answer's text)."""
    keep = ("id", "type", "question", "expected", "has_evidence", "retrieval_rank", "correct", "latency_ms")
    items = []
    for r in report["items"]:
        row = {k: r[k] for k in keep if k in r}
        if isinstance(r.get("answer"), dict):
            row["answer"] = {
                "answer": r["answer"].get("answer", ""),
                "answerable": r["answer"].get("answerable"),
            }
        items.append(row)
    head = {k: v for k, v in report.items() if k != "items"}
    return {**head, "items": items}
