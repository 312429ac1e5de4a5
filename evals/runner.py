"""Eval runner: reads a JSONL dataset, runs retrieval (and the answer engine), prints a table, writes JSON."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from bot.core.errors import InputError
from bot.core.settings import REPO_ROOT, Settings
from evals.metrics import answer_correct, as_list, first_hit_rank, percentile

TYPES = ("ranking", "calc", "fact", "multi", "unanswerable")
REQUIRED = ("id", "question", "type")


def load_dataset(path: str | Path) -> list[dict]:
    """Items of a JSONL dataset; a malformed line is reported with its number."""
    p = Path(path)
    if not p.is_absolute() and not p.exists():
        p = REPO_ROOT / p
    if not p.exists():
        raise InputError(f"找不到评测集 {path}。")
    items = []
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"评测集第 {n} 行不是合法 JSON（{exc.msg}）。") from exc
        missing = [k for k in REQUIRED if k not in item]
        if missing or item.get("type") not in TYPES:
            raise InputError(f"评测集第 {n} 行缺少字段 {missing} 或类型无效（应为 {'/'.join(TYPES)}）。")
        items.append(item)
    if not items:
        raise InputError(f"评测集 {path} 是空的。")
    return items


def evaluate(
    settings: Settings,
    items: list[dict],
    k: int = 5,
    answers: bool = True,
    engine: Any = None,
    retriever: Any = None,
) -> dict:
    """Score every item; returns {"aggregate": ..., "items": [...]} as documented in the README."""
    from bot.index.retrieve import Retriever

    retriever = retriever or Retriever.open(settings)
    if answers and engine is None:
        from bot.answer.engine import Engine

        engine = Engine(settings, retriever=retriever)
    depth = max(k, 5)
    results = []
    for item in items:
        t0 = time.perf_counter()
        hits = retriever.search(item["question"], k=depth)
        search_ms = (time.perf_counter() - t0) * 1000
        evidence = as_list(item.get("evidence"))
        rank = first_hit_rank(evidence, [h.chunk for h in hits], retriever.neighbours)
        row: dict[str, Any] = {
            "id": item["id"],
            "type": item["type"],
            "question": item["question"],
            "expected": item.get("answer", ""),
            "has_evidence": bool(evidence),
            "retrieval_rank": rank,
            "search_ms": round(search_ms, 2),
            "top_chunks": [h.chunk.chunk_id for h in hits[:k]],
        }
        if engine is not None:
            ans = engine.ask(item["question"]).model_dump()
            row["answer"] = ans
            row["correct"] = answer_correct(item, ans)
            row["latency_ms"] = ans.get("latency_ms", 0.0)
        results.append(row)
    ran_with = {
        "mode": "llm" if settings.llm.configured and engine is not None else "offline",
        "model": settings.llm.model if settings.llm.configured else None,
        "retrieval": settings.retrieval.model_dump(),
        "engine": settings.engine.model_dump(),
    }
    return {"aggregate": aggregate(results, k), "settings": ran_with, "items": results}


def _hit(rows: list[dict], at: int) -> float:
    scored = [r for r in rows if r["has_evidence"]]
    if not scored:
        return 0.0
    return sum(1 for r in scored if r["retrieval_rank"] is not None and r["retrieval_rank"] <= at) / len(
        scored
    )


def _acc(rows: list[dict]) -> float | None:
    scored = [r for r in rows if "correct" in r]
    return sum(r["correct"] for r in scored) / len(scored) if scored else None


def aggregate(rows: list[dict], k: int = 5) -> dict:
    scored = [r for r in rows if r["has_evidence"]]
    mrr = sum(1 / r["retrieval_rank"] for r in scored if r["retrieval_rank"]) / len(scored) if scored else 0.0
    lat = [r.get("latency_ms", r["search_ms"]) for r in rows]
    answerable = [r for r in rows if r["type"] != "unanswerable" and "answer" in r]
    by_type = {}
    for t in TYPES:
        sub = [r for r in rows if r["type"] == t]
        if sub:
            by_type[t] = {
                "n": len(sub),
                "retrieval_hit@1": round(_hit(sub, 1), 4),
                "retrieval_hit@5": round(_hit(sub, 5), 4),
                "answer_accuracy": _round(_acc(sub)),
            }
    return {
        "n": len(rows),
        "n_retrieval": len(scored),
        "retrieval_hit@1": round(_hit(rows, 1), 4),
        "retrieval_hit@3": round(_hit(rows, 3), 4),
        "retrieval_hit@5": round(_hit(rows, 5), 4),
        f"retrieval_hit@{k}": round(_hit(rows, k), 4),
        "mrr": round(mrr, 4),
        "answer_accuracy": _round(_acc(rows)),
        "false_refusal_rate": _round(
            sum(1 for r in answerable if r["answer"]["answerable"] is False) / len(answerable)
        )
        if answerable
        else None,
        "latency_ms": {"p50": round(percentile(lat, 50), 2), "p95": round(percentile(lat, 95), 2)},
        "by_type": by_type,
    }


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 4)


def format_table(agg: dict) -> str:
    def f(v: Any) -> str:
        return "   -  " if v is None else f"{v:6.3f}"

    lines = [f"{'类型':<14}{'n':>5}{'hit@1':>8}{'hit@5':>8}{'答案准确率':>10}"]
    for t, s in agg["by_type"].items():
        lines.append(
            f"{t:<14}{s['n']:>5}{f(s['retrieval_hit@1']):>8}{f(s['retrieval_hit@5']):>8}{f(s['answer_accuracy']):>12}"
        )
    lines.append(
        f"{'overall':<14}{agg['n']:>5}{f(agg['retrieval_hit@1']):>8}{f(agg['retrieval_hit@5']):>8}"
        f"{f(agg['answer_accuracy']):>12}"
    )
    lines.append(
        f"hit@3 {agg['retrieval_hit@3']:.3f}   MRR {agg['mrr']:.3f}   "
        f"false refusals {f(agg['false_refusal_rate']).strip()}   "
        f"latency p50 {agg['latency_ms']['p50']:.1f} ms  p95 {agg['latency_ms']['p95']:.1f} ms"
    )
    return "\n".join(lines)


def compare(report: dict, baseline: dict, tolerance: float = 0.01) -> tuple[str, bool]:
    """Deltas against a baseline report and the items that got worse; (text, regressed)."""
    a, b = report["aggregate"], baseline["aggregate"]
    lines = ["与基线对比："]
    regressed = False
    for key in ("retrieval_hit@1", "retrieval_hit@5", "mrr", "answer_accuracy", "false_refusal_rate"):
        new, old = a.get(key), b.get(key)
        if new is None or old is None:
            continue
        delta = new - old
        worse = delta < -tolerance if key != "false_refusal_rate" else delta > tolerance
        regressed |= worse
        lines.append(f"  {key:<18} {old:.3f} -> {new:.3f}  ({delta:+.3f}){'  ← 变差' if worse else ''}")
    before = {r["id"]: r for r in baseline.get("items", [])}
    lost = [
        r for r in report["items"] if r.get("correct") is False and before.get(r["id"], {}).get("correct")
    ]
    gained = [
        r for r in report["items"] if r.get("correct") and before.get(r["id"], {}).get("correct") is False
    ]
    lines.append(f"  新答错 {len(lost)} 题，新答对 {len(gained)} 题")
    lines += [f"    ✗ {r['id']}  {r['question']}" for r in lost[:20]]
    return "\n".join(lines), regressed


def run_eval(
    settings: Settings,
    dataset: str,
    k: int = 5,
    json_out: str | None = None,
    answers: bool = True,
    baseline: str | None = None,
) -> int:
    """CLI entry: evaluate, print the table, optionally write the JSON report and compare with a baseline.
    Exit code 3 when a baseline is given and a headline metric got worse by more than 0.01."""
    items = load_dataset(dataset)
    old = None
    if baseline:
        try:
            old = json.loads(Path(baseline).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"无法读取基线报告 {baseline}（{exc}）。") from exc
    report = evaluate(settings, items, k=k, answers=answers)
    print(format_table(report["aggregate"]))
    regressed = False
    if old is not None:
        text, regressed = compare(report, old)
        print(text)
    if json_out:
        out = Path(json_out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"报告已写入 {out}")
    return 3 if regressed else 0
