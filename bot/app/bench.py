"""Benchmark: build times, query latency per retriever, peak memory, and dev-set hit@5 against a LlamaIndex
peer."""

from __future__ import annotations

import json
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.core.settings import Settings


def _pcts(values: list[float]) -> dict[str, float]:
    from evals.metrics import percentile

    return {"p50": round(percentile(values, 50), 2), "p95": round(percentile(values, 95), 2)}


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


BUDGETS = (1000, 2000, 3000, 4000, 6000, 8000)  # characters of retrieved text, for the matched comparison
OUR_DEPTH, PEER_DEPTH = 40, 20  # ranked chunks fetched per question: enough to fill the largest budget


class _Peer:
    """LlamaIndex's default recipe (SentenceSplitter 1024/20 + VectorStoreIndex, same embedding)."""

    def __init__(self, settings: Settings):
        from llama_index.core import Document, VectorStoreIndex
        from llama_index.core.node_parser import SentenceSplitter

        from bot.core.schema import Chunk
        from bot.index.corpus import read_docs
        from bot.index.embed import EmbeddingCache, embed_passages, make_embedder
        from bot.index.ingest import clean

        docs, _ = read_docs(settings.paths.corpus_dir)
        documents = [Document(text=clean(d.text).text, metadata={"doc_id": d.meta.id}) for d in docs]
        nodes = SentenceSplitter(chunk_size=1024, chunk_overlap=20).get_nodes_from_documents(documents)
        # Embed through our cache so repeated benchmark runs do not pay for the baseline again.
        cache = EmbeddingCache(
            settings.paths.index_dir / "embed_cache.sqlite",
            f"{settings.embedding.provider}:{settings.embedding.model}",
        )
        t0 = time.perf_counter()
        vecs, _ = embed_passages(
            [n.get_content() for n in nodes], make_embedder(settings), cache, settings.embedding.batch_size
        )
        cache.close()
        for node, v in zip(nodes, vecs):
            node.embedding = v.tolist()
        index = VectorStoreIndex(nodes, embed_model=make_embedder(settings))
        self.build_s = time.perf_counter() - t0
        self.retriever = index.as_retriever(similarity_top_k=PEER_DEPTH)
        self.chunks = {
            n.node_id: Chunk(
                chunk_id=n.node_id,
                doc_id=n.metadata["doc_id"],
                title="",
                text=n.get_content(),
                start=0,
                end=1,
                ordinal=i,
            )
            for i, n in enumerate(nodes)
        }
        self.order = [n.node_id for n in nodes]
        self.position = {cid: i for i, cid in enumerate(self.order)}

    def neighbours(self, c: Any) -> tuple[Any, Any]:
        i = self.position[c.chunk_id]
        prev = self.chunks[self.order[i - 1]] if i > 0 else None
        nxt = self.chunks[self.order[i + 1]] if i + 1 < len(self.order) else None
        return prev, nxt

    def ranked(self, question: str) -> list[Any]:
        return [self.chunks[g.node.node_id] for g in self.retriever.retrieve(question)]


def within_budget(ranked: list[Any], budget: int) -> list[Any]:
    """The ranked chunks cut to `budget` characters of text in rank order (the last one truncated)."""
    out, used = [], 0
    for c in ranked:
        room = budget - used
        if room <= 0:
            break
        if len(c.text) > room:
            c = c.model_copy(update={"text": c.text[:room]})
        out.append(c)
        used += len(c.text)
    return out


def matched_budgets(
    items: list[dict], rankers: dict[str, tuple[Any, Any]], budgets: tuple[int, ...] = BUDGETS
) -> dict[str, Any]:
    """hit@5 and hit at equal characters of retrieved text for each ranker {name: (ranked(q), neighbours)};
    also the mean characters in each ranker's top 5."""
    from evals.metrics import as_list, first_hit_rank

    scored = [it for it in items if as_list(it.get("evidence"))]
    out: dict[str, Any] = {"budgets": list(budgets), "n": len(scored)}
    for name, (ranked_fn, neighbours) in rankers.items():
        hits5, top5_chars, at = 0, 0, dict.fromkeys(budgets, 0)
        lat = []
        for it in scored:
            ev = as_list(it["evidence"])
            t = time.perf_counter()
            ranked = ranked_fn(it["question"])
            lat.append((time.perf_counter() - t) * 1000)
            top5_chars += sum(len(c.text) for c in ranked[:5])
            rank = first_hit_rank(ev, ranked[:5], neighbours)
            hits5 += rank is not None
            for b in budgets:
                at[b] += first_hit_rank(ev, within_budget(ranked, b), neighbours) is not None
        n = max(len(scored), 1)
        out[name] = {
            "hit@5": round(hits5 / n, 4),
            "top5_chars": round(top5_chars / n),
            "hit@chars": {str(b): round(v / n, 4) for b, v in at.items()},
            "latency_ms": _pcts(lat),
        }
    return out


def llama_index_baseline(settings: Settings, items: list[dict], retriever: Any) -> dict[str, Any]:
    """Our hybrid retriever against LlamaIndex's default recipe: hit@5 and hit at matched character
    budgets."""
    peer = _Peer(settings)
    retriever.forget_queries()
    ours = (lambda q: [h.chunk for h in retriever.search(q, k=OUR_DEPTH)], retriever.neighbours)
    out = matched_budgets(items, {"ours": ours, "llamaindex_default": (peer.ranked, peer.neighbours)})
    out["llamaindex_nodes"] = len(peer.chunks)
    out["llamaindex_build_s"] = round(peer.build_s, 1)
    return out


def tab_run(settings: Settings, items: list[dict], retriever: Any) -> dict[str, Any]:
    """A run as the 评测 tab does it: shared engine, progress after every item, then history and the three
    report files; cold query embeddings."""
    from bot.answer.engine import Engine
    from bot.app.eval_history import EvalHistory
    from evals.export import to_csv, to_html, to_json
    from evals.runner import evaluate

    engine = Engine(settings, retriever=retriever)
    retriever.forget_queries()
    ticks: list[float] = []
    t0, cpu0 = time.perf_counter(), time.process_time()
    report = evaluate(
        settings,
        items,
        engine=engine,
        name="bench",
        progress=lambda n, total: ticks.append(time.perf_counter()),
    )
    with tempfile.TemporaryDirectory(prefix="bench-evals-") as tmp:
        EvalHistory(Path(tmp)).add(report, origin="bench")
        for render in (to_json, to_csv, to_html):
            render(report)
    total, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    gaps = [b - a for a, b in zip([t0, *ticks], ticks)]
    return {
        "items": len(items),
        "run_s": round(total, 1),
        "cpu_s": round(cpu, 1),  # CPU time of this process: what the run costs when the machine is not shared
        "progress_updates": len(ticks),
        "longest_gap_s": round(max(gaps), 2) if gaps else 0.0,
        "aggregate": report["aggregate"],
    }


BRIEF_SUBJECTS = ("成渝城市群", "深圳", "金融", "工业互联网", "成渝 vs 长江中游")


def bench_briefing(settings: Settings, retriever: Any = None, runs: int = 3) -> dict[str, Any]:
    """Offline briefing timings: building (tables, retrieval, number check) per subject, then the 成渝 chart
    and its Markdown, Word and PDF exports."""
    from bot.answer.engine import Engine
    from bot.briefing.build import make_briefing
    from bot.briefing.export import chart_for, export

    engine = Engine(settings, retriever=retriever)
    t0 = time.perf_counter()
    make_briefing(engine, "关中平原", use_llm=False)  # the first one also parses tables, warms the embedder
    first = round(time.perf_counter() - t0, 2)
    build: dict[str, float] = {}
    for subject in BRIEF_SUBJECTS:
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            brief = make_briefing(engine, subject, use_llm=False)
            times.append(time.perf_counter() - t0)
        build[subject] = round(max(times), 2)
    brief = make_briefing(engine, BRIEF_SUBJECTS[0], use_llm=False)
    out: dict[str, Any] = {"first_build_s": first, "build_s_worst_of_runs": build, "runs": runs}
    t0 = time.perf_counter()
    chart = chart_for(brief, settings.briefing)
    out["chart_s"] = round(time.perf_counter() - t0, 2)
    with tempfile.TemporaryDirectory(prefix="bench-brief-") as tmp:
        for fmt in ("md", "docx", "pdf"):
            t0 = time.perf_counter()
            try:
                export(brief, fmt, Path(tmp) / f"brief.{fmt}", settings.briefing, chart)
                out[f"{fmt}_s"] = round(time.perf_counter() - t0, 2)
            except Exception as exc:  # noqa: BLE001 - e.g. no Chromium: report, keep the other figures
                out[f"{fmt}_s"] = None
                out[f"{fmt}_error"] = str(exc)
    return out


def format_briefing(b: dict[str, Any]) -> list[str]:
    lines = [
        f"简报构建（离线，{b['runs']} 次取最慢） "
        + "  ".join(f"{k} {v:.2f} s" for k, v in b["build_s_worst_of_runs"].items())
        + f"  （进程内第一份 {b['first_build_s']:.2f} s）"
    ]
    exports = "  ".join(
        f"{k.removesuffix('_s')} {v:.2f} s" if v is not None else f"{k.removesuffix('_s')} 失败"
        for k, v in b.items()
        if k in ("chart_s", "md_s", "docx_s", "pdf_s")
    )
    lines.append(f"简报导出（成渝城市群） {exports}")
    return lines


def run_bench_briefing(settings: Settings, json_out: str | None = None) -> int:
    """Only the briefing figures (`bench --briefing-only`)."""
    out = {"briefing": bench_briefing(settings)}
    print("\n".join(["== 基准测试：简报 =="] + format_briefing(out["briefing"])))
    if json_out:
        Path(json_out).write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


def run_bench(settings: Settings, dataset: str, cold: bool = True, json_out: str | None = None) -> int:
    """Print the benchmark figures (and write them as JSON when asked)."""
    from bot.index.retrieve import Retriever
    from bot.index.store import build_index
    from evals.runner import evaluate, load_dataset

    items = load_dataset(dataset)
    out: dict[str, Any] = {}
    if cold:
        tmp = Path(tempfile.mkdtemp(prefix="bench-index-"))
        try:
            cold_settings = settings.model_copy(
                update={"paths": settings.paths.model_copy(update={"index_dir": tmp})}
            )
            t0 = time.perf_counter()
            rep = build_index(cold_settings, progress=True)
            out["cold_build_s"] = round(time.perf_counter() - t0, 1)
            out["chunks"] = rep.chunks
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    build_index(settings, progress=True)
    t0 = time.perf_counter()
    rep = build_index(settings, progress=False)
    out["noop_build_s"] = round(time.perf_counter() - t0, 2)
    out.setdefault("chunks", rep.chunks)

    retriever = Retriever.open(settings)
    retriever.search("预热", k=1)
    questions = [it["question"] for it in items]
    out["latency_ms"] = {}
    for mode in ("bm25", "dense", "hybrid"):
        retriever.forget_queries()  # time cold queries
        lat = []
        for q in questions:
            t = time.perf_counter()
            retriever.search(q, k=5, mode=mode)
            lat.append((time.perf_counter() - t) * 1000)
        out["latency_ms"][mode] = _pcts(lat)

    out["hit@5"] = {}
    for mode in ("bm25", "dense", "hybrid"):
        agg = evaluate(settings, items, answers=False, retriever=_ModeRetriever(retriever, mode))["aggregate"]
        out["hit@5"][mode] = agg["retrieval_hit@5"]
    peer = llama_index_baseline(settings, items, retriever)
    out["hit@5"]["llamaindex_default"] = peer["llamaindex_default"]["hit@5"]
    out["matched"] = peer

    run = tab_run(settings, items, retriever)
    full = run["aggregate"]
    out["answers"] = {
        "answer_accuracy": full["answer_accuracy"],
        "by_type": {t: v["answer_accuracy"] for t, v in full["by_type"].items()},
        "false_refusal_rate": full["false_refusal_rate"],
        "latency_ms": full["latency_ms"],
        "eval_s": run["run_s"],
    }
    out["briefing"] = bench_briefing(settings, retriever)
    out["tab_run"] = {k: v for k, v in run.items() if k != "aggregate"}
    out["peak_rss_mb"] = round(_rss_mb(), 1)
    print(format_bench(out))
    if json_out:
        Path(json_out).write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


class _ModeRetriever:
    """The retriever with a fixed mode, for scoring each retriever with the same runner."""

    def __init__(self, inner: Any, mode: str):
        self.inner, self.mode = inner, mode
        self.neighbours = inner.neighbours

    def search(self, query: str, k: int | None = None, mode: str = "hybrid") -> list:
        return self.inner.search(query, k=k, mode=self.mode)


def format_bench(o: dict[str, Any]) -> str:
    lines = ["== 基准测试 =="]
    if "cold_build_s" in o:
        lines.append(f"冷启动建索引     {o['cold_build_s']:>8.1f} s   ({o['chunks']} 个片段)")
    lines.append(f"增量（无变化）   {o['noop_build_s']:>8.2f} s")
    for mode, v in o["latency_ms"].items():
        lines.append(f"查询延迟 {mode:<7} p50 {v['p50']:>7.1f} ms   p95 {v['p95']:>7.1f} ms")
    if "tab_run" in o:
        t = o["tab_run"]
        lines.append(
            f"评测一次（如评测页）{t['run_s']:>6.1f} s（CPU {t['cpu_s']:.1f} s）  {t['items']} 题，"
            f"进度更新 {t['progress_updates']} 次，"
            f"最长间隔 {t['longest_gap_s']:.2f} s"
        )
    lines.append("dev 集 hit@5:   " + "   ".join(f"{m} {v:.3f}" for m, v in o["hit@5"].items()))
    if "matched" in o:
        m = o["matched"]
        lines.append(
            f"同等检索字数的命中率（{m['n']} 道有证据的题；LlamaIndex {m['llamaindex_nodes']} 个块）："
        )
        lines.append(f"  {'字数':<18}" + "".join(f"{b:>8}" for b in m["budgets"]) + "   前5块平均字数")
        for name in ("ours", "llamaindex_default"):
            r = m[name]
            cells = "".join(f"{r['hit@chars'][str(b)]:>8.3f}" for b in m["budgets"])
            lines.append(f"  {name:<18}{cells}   {r['top5_chars']:>6}")
    a = o["answers"]
    lines.append(
        f"答案准确率       {a['answer_accuracy']:.3f}   "
        + "  ".join(f"{t} {v:.2f}" for t, v in a["by_type"].items() if v is not None)
    )
    lines.append(
        f"误拒率           {a['false_refusal_rate']:.3f}   每题延迟 p50 {a['latency_ms']['p50']:.1f} ms  "
        f"p95 {a['latency_ms']['p95']:.1f} ms"
    )
    if "briefing" in o:
        lines += format_briefing(o["briefing"])
    lines.append(f"峰值内存 (RSS)   {o['peak_rss_mb']:>8.1f} MB")
    return "\n".join(lines)
