"""Load benchmark of the chat page's /ask API: N concurrent questions through gradio_client over loopback.

Starts the app in this process over the existing index (or targets a running one with --url), fires the
questions from N threads at once, and prints p50/p95/max latency and throughput.

    python bench/load_ui.py                 # 20 questions, app started here
    python bench/load_ui.py -n 40 --concurrency 8
    python bench/load_ui.py --url http://127.0.0.1:7860/
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

QUESTIONS = [
    "成渝2022Q1排名第五的城市？",
    "关中平原增速前五的城市？",
    "关中平原增速前五的平均值？",
    "产业互联网的C2B是什么意思？",
    "数字化转型指数由哪几层构成？",
    "C2B在工具层面指什么？",
    "火星上有多少人口？",
]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def run(url: str, n: int, threads: int, auth: tuple[str, str] | None) -> dict[str, float]:
    from gradio_client import Client

    questions = list(itertools.islice(itertools.cycle(QUESTIONS), n))

    def one(q: str) -> tuple[float, bool]:
        client = Client(url, auth=auth, verbose=False)
        t0 = time.perf_counter()
        try:
            result = client.predict(q, api_name="/ask")
            ok = isinstance(result, dict) and bool(result.get("answer"))
        except Exception as exc:  # noqa: BLE001 - counted as a failure and reported
            print(f"  失败：{q}（{exc}）", file=sys.stderr)
            ok = False
        return time.perf_counter() - t0, ok

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(one, questions))
    wall = time.perf_counter() - t0
    latencies = [t for t, _ in results]
    return {
        "n": n,
        "ok": sum(ok for _, ok in results),
        "threads": threads,
        "wall_s": wall,
        "p50_s": statistics.median(latencies),
        "p95_s": percentile(latencies, 95),
        "max_s": max(latencies),
        "throughput_qps": n / wall,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="chat page load benchmark (/ask through gradio_client)")
    p.add_argument("-n", type=int, default=20, help="number of questions (default 20)")
    p.add_argument("--concurrency", type=int, default=None, help="client threads (default: n, all at once)")
    p.add_argument("--url", help="target a running page instead of starting one here")
    p.add_argument(
        "--server-concurrency",
        type=int,
        default=None,
        help="queue concurrency of the page started here (default: settings.server.concurrency)",
    )
    p.add_argument("--user", help="login user name (with --password)")
    p.add_argument("--password", help="login password")
    args = p.parse_args(argv)
    auth = (args.user, args.password) if args.user and args.password else None

    app = None
    url = args.url
    server_limit = "?"
    if url is None:
        from bot.answer.engine import Engine
        from bot.app.ui import serve_background
        from bot.core.settings import get_settings
        from bot.index.retrieve import Retriever

        settings = get_settings()
        if args.server_concurrency:
            settings = settings.model_copy(
                update={"server": settings.server.model_copy(update={"concurrency": args.server_concurrency})}
            )
        t0 = time.perf_counter()
        engine = Engine(settings, retriever=Retriever.open(settings, build_if_missing=False))
        app, url = serve_background(engine, settings)
        server_limit = str(settings.server.concurrency)
        print(f"页面已启动：{url}（{time.perf_counter() - t0:.1f} s，队列并发 {server_limit}）")
        if settings.server.username and settings.server.password:
            auth = (settings.server.username, settings.server.password)
    try:
        r = run(url, args.n, args.concurrency or args.n, auth)
    finally:
        if app is not None:
            app.close()
    print(
        f"问题 {r['n']:.0f} 个，成功 {r['ok']:.0f} 个；"
        f"客户端线程 {r['threads']:.0f}，服务端队列并发 {server_limit}"
    )
    print(f"延迟 p50 {r['p50_s']:.2f} s   p95 {r['p95_s']:.2f} s   max {r['max_s']:.2f} s")
    print(f"总耗时 {r['wall_s']:.2f} s，吞吐 {r['throughput_qps']:.2f} 问/秒")
    return 0 if r["ok"] == r["n"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
