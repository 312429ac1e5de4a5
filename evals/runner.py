"""Eval runner: scores a dataset's items (retrieval, answers, optionally an LLM judge and the offline engine
side by side) with progress and stop, aggregates the figures and prints them as a table."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bot.core.settings import Settings
from evals.dataset import TYPES, dataset_hash, load_dataset
from evals.metrics import answer_correct, as_list, first_hit_rank, percentile

__all__ = ["TYPES", "aggregate", "evaluate", "format_table", "load_dataset"]

Progress = Callable[[int, int], None]
PRIME_EVERY = 16  # questions whose embeddings are computed together, just ahead of scoring them


def evaluate(
    settings: Settings,
    items: list[dict],
    k: int = 5,
    answers: bool = True,
    engine: Any = None,
    retriever: Any = None,
    *,
    name: str = "",
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    side_by_side: bool = False,
    judge: bool = False,
) -> dict:
    """Score every item; returns the report {"dataset", "aggregate", "settings", "items", ...} (README).

    `progress(done, total)` is called after each item; a set `stop` event ends the run early (the report then
    says "stopped" and covers the items done). With an LLM configured, `side_by_side` also scores the offline
    engine on every item, and `judge` asks the model whether each answer matches the expected one: both are
    reported beside the deterministic score, never instead of it.
    """
    if retriever is None:
        if engine is not None:
            retriever = engine.retriever
        else:
            from bot.index.retrieve import Retriever

            retriever = Retriever.open(settings)
    if answers and engine is None:
        from bot.answer.engine import Engine

        engine = Engine(settings, retriever=retriever)
    llm = settings.llm.configured and engine is not None
    judge_model = engine.llm if judge and llm else None
    started = datetime.now(UTC)
    t_start = time.perf_counter()
    depth = max(k, 5)
    results: list[dict] = []
    stopped = False
    prime = getattr(retriever, "prime_queries", None)
    for n, item in enumerate(items, start=1):
        if stop is not None and stop.is_set():
            stopped = True
            break
        if callable(prime) and (n - 1) % PRIME_EVERY == 0:
            prime([it["question"] for it in items[n - 1 : n - 1 + PRIME_EVERY]])
        results.append(_score(item, retriever, engine, depth, k, side_by_side and llm, judge_model))
        if progress is not None:
            progress(n, len(items))
    ran_with = {
        "mode": "llm" if llm else "offline",
        "model": settings.llm.model if settings.llm.configured else None,
        "retrieval": settings.retrieval.model_dump(),
        "engine": settings.engine.model_dump(),
    }
    report: dict[str, Any] = {
        "dataset": {"name": name, "hash": dataset_hash(items), "n": len(items)},
        "started": started.isoformat(timespec="seconds"),
        "duration_s": round(time.perf_counter() - t_start, 2),
        "stopped": stopped,
        "aggregate": aggregate(results, k),
        "settings": ran_with,
        "items": results,
    }
    if side_by_side and llm:
        report["side_by_side"] = {"offline": aggregate([_as_offline(r) for r in results], k)}
    return report


def _score(
    item: dict, retriever: Any, engine: Any, depth: int, k: int, offline_too: bool, judge_model: Any
) -> dict:
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
    if engine is None:
        return row
    ans = engine.ask(item["question"]).model_dump()
    row["answer"] = ans
    row["correct"] = answer_correct(item, ans)
    row["latency_ms"] = ans.get("latency_ms", 0.0)
    if offline_too:
        off = engine.ask(item["question"], use_llm=False).model_dump()
        row["offline"] = {
            "answer": off["answer"],
            "answerable": off["answerable"],
            "correct": answer_correct(item, off),
            "latency_ms": off.get("latency_ms", 0.0),
        }
    if judge_model is not None:
        from evals.judge import judge_answer

        row["judge"] = judge_answer(judge_model, item, ans)
    return row


def _as_offline(row: dict) -> dict:
    off = row.get("offline")
    if not off:
        return row
    return {
        **{k: v for k, v in row.items() if k not in ("answer", "correct", "latency_ms", "judge")},
        "answer": {"answer": off["answer"], "answerable": off["answerable"]},
        "correct": off["correct"],
        "latency_ms": off["latency_ms"],
    }


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
    """The report's figures from its item rows (also used to re-aggregate a subset of a stored report)."""
    scored = [r for r in rows if r["has_evidence"]]
    mrr = sum(1 / r["retrieval_rank"] for r in scored if r["retrieval_rank"]) / len(scored) if scored else 0.0
    lat = [r.get("latency_ms", r.get("search_ms", 0.0)) for r in rows]
    answered = [r for r in rows if "correct" in r]
    answerable = [r for r in answered if r["type"] != "unanswerable"]
    refused = sum(1 for r in answerable if r["answer"]["answerable"] is False)
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
    out: dict[str, Any] = {
        "n": len(rows),
        "n_retrieval": len(scored),
        "n_answerable": len(answerable),
        "correct": sum(1 for r in answered if r["correct"]),
        "false_refusals": refused,
        "retrieval_hit@1": round(_hit(rows, 1), 4),
        "retrieval_hit@3": round(_hit(rows, 3), 4),
        "retrieval_hit@5": round(_hit(rows, 5), 4),
        f"retrieval_hit@{k}": round(_hit(rows, k), 4),
        "mrr": round(mrr, 4),
        "answer_accuracy": _round(_acc(rows)),
        "false_refusal_rate": _round(refused / len(answerable)) if answerable else None,
        "latency_ms": {"p50": round(percentile(lat, 50), 2), "p95": round(percentile(lat, 95), 2)},
        "by_type": by_type,
    }
    judged = [r for r in rows if r.get("judge", {}).get("correct") is not None]
    if judged:
        out["llm_judge"] = {
            "n": len(judged),
            "accuracy": round(sum(r["judge"]["correct"] for r in judged) / len(judged), 4),
            "agreement": round(sum(r["judge"]["correct"] == r["correct"] for r in judged) / len(judged), 4),
        }
    return out


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 4)


def format_table(agg: dict, side_by_side: dict | None = None) -> str:
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
    if agg.get("llm_judge"):
        j = agg["llm_judge"]
        lines.append(
            f"LLM judge (reference only): accuracy {j['accuracy']:.3f}   agreement {j['agreement']:.3f}"
        )
    if side_by_side:
        for mode, other in side_by_side.items():
            lines.append(
                f"{mode} engine side by side: accuracy {f(other['answer_accuracy']).strip()}   "
                f"false refusals {f(other['false_refusal_rate']).strip()}   "
                f"latency p50 {other['latency_ms']['p50']:.1f} ms"
            )
    return "\n".join(lines)
