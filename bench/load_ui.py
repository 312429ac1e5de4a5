"""Load benchmark of the chat page's /ask API: N concurrent users over loopback, through gradio_client.

Starts `python -m bot serve` in its own process over the existing index (or targets a running page with --url)
and reports that process's CPU time per request too. Every user
opens its own client first (a browser tab that is already loaded), then all users ask at once, each its
questions one after another. Prints p50/p95/max latency per question and requests per second.

    python bench/load_ui.py                          # 50 users × 4 offline table questions (the target load)
    python bench/load_ui.py --client gradio_client   # the same through one gradio_client.Client per user
    python bench/load_ui.py --route call             # through the queued protocol (POST, then event stream)
    python bench/load_ui.py --users 20 --per-user 2 --questions mixed
    python bench/load_ui.py --url http://127.0.0.1:7860/
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# Ranking and index questions answered by the tool layer (the offline engine's table path).
TABLE_QUESTIONS = [
    "成渝2022Q1排名第五的城市？",
    "关中平原增速前五的城市？",
    "关中平原增速前五的平均值？",
    "东莞在珠三角城市群2022Q1排名第几？",
    "长三角城市群2022Q1排名前三的城市是哪些？",
    "成渝2022Q1排名第三的城市？",
]
MIXED_QUESTIONS = [
    *TABLE_QUESTIONS[:3],
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


def _client(url: str, auth: tuple[str, str] | None):  # type: ignore[no-untyped-def]
    from gradio_client import Client

    return Client(url, auth=auth, verbose=False, analytics_enabled=False)


def run_http(
    url: str,
    users: int,
    per_user: int,
    questions: list[str],
    auth: tuple[str, str] | None,
    route: str = "run",
) -> dict:
    """The same load over Gradio's HTTP API for /ask from one asyncio loop (a light load generator, so the
    figures are the server's, not gradio_client's): POST /gradio_api/run/ask (route "run"), or POST
    /gradio_api/call/ask then its result stream (route "call", the queued protocol)."""
    import asyncio

    import httpx

    base = url.rstrip("/")
    cycle = itertools.cycle(questions)
    plans = [[next(cycle) for _ in range(per_user)] for _ in range(users)]
    latencies: list[float] = []
    failures: list[str] = []
    opened: list[int] = []

    async def one(client: httpx.AsyncClient, q: str, session: str) -> bool:
        if route == "run":  # the unqueued endpoint: one request, the answer in its response
            r = await client.post(
                f"{base}/gradio_api/run/ask", json={"data": [q, None], "session_hash": session}
            )
            r.raise_for_status()
            return '"answer"' in r.text
        # A user is one session (as a browser tab or a gradio_client.Client is): Gradio builds a session's
        # state once; a request without a session hash would pay for a fresh one every time.
        r = await client.post(
            f"{base}/gradio_api/call/ask", json={"data": [q, None], "session_hash": session}
        )
        r.raise_for_status()
        stream = await client.get(f"{base}/gradio_api/call/ask/{r.json()['event_id']}")
        text = stream.text
        event = text.strip().rpartition("event: ")[2]
        if not event.startswith("complete"):
            raise RuntimeError(text[-200:])
        return '"answer"' in text

    async def user(client: httpx.AsyncClient, i: int, start: asyncio.Event) -> None:
        session = f"load-{i}-{uuid.uuid4().hex[:8]}"
        try:  # the session opens before the clock starts, like a page that has loaded
            await one(client, plans[i][0], session)
        finally:
            opened.append(i)
        await start.wait()
        for q in plans[i]:
            t0 = time.perf_counter()
            try:
                ok = await one(client, q, session)
            except Exception as exc:  # noqa: BLE001 - counted as a failure and reported
                ok = False
                failures.append(f"{q}（{exc}）")
            if ok:
                latencies.append(time.perf_counter() - t0)

    async def main() -> float:
        limits = httpx.Limits(max_connections=users * 2, max_keepalive_connections=users * 2)
        async with httpx.AsyncClient(timeout=120, limits=limits, auth=auth) as client:
            start = asyncio.Event()
            tasks = [asyncio.create_task(user(client, i, start)) for i in range(users)]
            while len(opened) < users:
                await asyncio.sleep(0.05)
            t0 = time.perf_counter()
            start.set()
            await asyncio.gather(*tasks)
            return time.perf_counter() - t0

    wall = asyncio.run(main())
    for f in failures[:5]:
        print(f"  失败：{f}", file=sys.stderr)
    return _summary(users, users * per_user, latencies, wall)


def _summary(users: int, n: int, latencies: list[float], wall: float) -> dict:
    return {
        "users": users,
        "requests": n,
        "ok": len(latencies),
        "wall_s": wall,
        "p50_s": statistics.median(latencies) if latencies else float("nan"),
        "p95_s": percentile(latencies, 95) if latencies else float("nan"),
        "max_s": max(latencies) if latencies else float("nan"),
        "requests_per_s": len(latencies) / wall,
    }


def run(url: str, users: int, per_user: int, questions: list[str], auth: tuple[str, str] | None) -> dict:
    from gradio_client import Client

    cycle = itertools.cycle(questions)
    plans = [[next(cycle) for _ in range(per_user)] for _ in range(users)]
    with ThreadPoolExecutor(max_workers=min(users, 16)) as pool:  # open the users' clients (not timed)
        clients = list(
            pool.map(lambda _: Client(url, auth=auth, verbose=False, analytics_enabled=False), range(users))
        )
    start = threading.Barrier(users)
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def user(i: int) -> None:
        start.wait()
        for q in plans[i]:
            t0 = time.perf_counter()
            try:
                result = clients[i].predict(q, api_name="/ask")
                ok = isinstance(result, dict) and bool(result.get("answer"))
            except Exception as exc:  # noqa: BLE001 - counted as a failure and reported
                ok = False
                with lock:
                    failures.append(f"{q}（{exc}）")
            with lock:
                if ok:
                    latencies.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=users) as pool:
        list(pool.map(user, range(users)))
    wall = time.perf_counter() - t0
    for c in clients:
        c.close()
    for f in failures[:5]:
        print(f"  失败：{f}", file=sys.stderr)
    return _summary(users, users * per_user, latencies, wall)


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process (Linux /proc; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(concurrency: int | None, questions: list[str]) -> tuple[subprocess.Popen, str, str]:
    """`python -m bot serve` in its own process (the clients here must not share its interpreter lock), on a
    free port, over the existing index; returns once it answers, warmed with each question once."""
    from gradio_client import Client

    from bot.app.ui import free_port
    from bot.core.settings import get_settings

    settings = get_settings()
    port = free_port()
    env = dict(os.environ)
    if concurrency:
        env["BOT_SERVER__CONCURRENCY"] = str(concurrency)
    root = Path(__file__).resolve().parents[1]
    env["PYTHONPATH"] = str(root) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(port)],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180
    while True:
        try:
            client = Client(url, verbose=False, analytics_enabled=False)
            break
        except Exception:  # noqa: BLE001 - not up yet
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise SystemExit("页面没有启动：请先运行 python -m bot index") from None
            time.sleep(0.5)
    for q in questions:  # first-use costs (tables, model) are not load
        client.predict(q, api_name="/ask")
    client.close()
    limit = concurrency or settings.server.queue_concurrency()
    return proc, url, str(limit)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="chat page load benchmark (/ask through gradio_client)")
    p.add_argument("--users", type=int, default=50, help="concurrent users (default 50)")
    p.add_argument("--per-user", type=int, default=4, help="questions each user asks in turn (default 4)")
    p.add_argument(
        "--questions",
        choices=["table", "mixed"],
        default="table",
        help="table: ranking/index questions (tool layer, the target load); mixed: with prose and refusals",
    )
    p.add_argument(
        "--client",
        choices=["http", "gradio_client"],
        default="http",
        help="http: Gradio's HTTP API from one asyncio loop (default, a light load generator); "
        "gradio_client: one gradio_client.Client per user (heavy: on a small machine it competes with "
        "the server)",
    )
    p.add_argument(
        "--route",
        choices=["run", "call"],
        default="run",
        help="with --client http: run = POST /gradio_api/run/ask, the answer in the response (default; /ask "
        "is not queued); call = the queued protocol (POST /gradio_api/call/ask, then its event stream)",
    )
    p.add_argument("--url", help="target a running page instead of starting one here")
    p.add_argument(
        "--server-concurrency",
        type=int,
        default=None,
        help="queue concurrency of the page started here (default: settings.server.queue_concurrency())",
    )
    p.add_argument("--user", help="login user name (with --password)")
    p.add_argument("--password", help="login password")
    args = p.parse_args(argv)
    auth = (args.user, args.password) if args.user and args.password else None
    questions = TABLE_QUESTIONS if args.questions == "table" else MIXED_QUESTIONS

    url = args.url
    server = None
    server_limit = "?"
    if url is None:
        server, url, server_limit = start_server(args.server_concurrency, questions)
        print(f"页面已启动（独立进程 {server.pid}）：{url}，队列并发 {server_limit}")
    cpu0 = _cpu_seconds(server.pid) if server else None
    own0 = _cpu_seconds(os.getpid())
    try:
        if args.client == "http":
            r = run_http(url, args.users, args.per_user, questions, auth, args.route)
        else:
            r = run(url, args.users, args.per_user, questions, auth)
        cpu = _cpu_seconds(server.pid) - cpu0 if server and cpu0 is not None else None
        own = _cpu_seconds(os.getpid()) - own0 if own0 is not None else None
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    print(
        f"{r['users']} 个并发用户 × {args.per_user} 个问题（{args.questions}，{args.client}"
        f"{'，' + args.route if args.client == 'http' else ''}），"
        f"成功 {r['ok']} / {r['requests']}；服务端队列并发 {server_limit}"
    )
    print(f"延迟 p50 {r['p50_s']:.2f} s   p95 {r['p95_s']:.2f} s   max {r['max_s']:.2f} s")
    print(f"总耗时 {r['wall_s']:.2f} s，吞吐 {r['requests_per_s']:.1f} 请求/秒")
    if cpu is not None:
        print(
            f"服务端进程 CPU {cpu:.1f} s，每个请求 {cpu / max(1, r['requests']) * 1000:.0f} ms"
            "（与机器上其他负载无关的成本）"
        )
    if own is not None:
        print(f"负载进程（{args.client}）CPU {own:.1f} s")
    return 0 if r["ok"] == r["requests"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
