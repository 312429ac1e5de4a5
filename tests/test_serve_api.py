"""The page as an API for staff scripts: gradio_client predict("/ask") over loopback, a bounded concurrent
load, login, the files the server refuses to serve, and the `serve` command (real engine, real index)."""

from __future__ import annotations

import itertools
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from bot.app.cli import main
from bot.app.ui import serve_background
from bot.core import prompts

pytestmark = pytest.mark.slow

CONTRACT_KEYS = {"question", "answer", "answerable", "citations", "tool_calls", "mode", "latency_ms"}
CITATION_KEYS = {"doc_id", "title", "section", "quote", "chunk_id", "score"}

# Question -> strings the answer must contain (None: the corpus does not say; the answer must say so).
EXPECTED: dict[str, list[str] | None] = {
    "成渝2022Q1排名第五的城市？": ["南充"],
    "关中平原增速前五的城市？": ["运城", "咸阳", "宝鸡", "天水", "西安"],
    "关中平原增速前五的平均值？": ["125.36"],
    "产业互联网的C2B是什么意思？": ["Consumer to Business"],
    "C2B在工具层面指什么？": ["工具层面"],
    "火星上有多少人口？": None,
}


def _with(settings, data_dir, **server):
    return settings.model_copy(
        update={
            "paths": settings.paths.model_copy(update={"data_dir": data_dir}),
            "server": settings.server.model_copy(update=server),
        }
    )


@pytest.fixture(scope="module")
def served(settings, engine, tmp_path_factory):
    s = _with(settings, tmp_path_factory.mktemp("serve-data"), concurrency=4)
    app, url = serve_background(engine, s)
    yield app, url, s
    app.close()


@pytest.fixture(scope="module")
def client(served):
    return Client(served[1], verbose=False)


def _check_content(question: str, result: dict) -> None:
    expected = EXPECTED[question]
    if expected is None:
        assert result["answerable"] is False, result
        assert prompts.NOT_IN_CORPUS in result["answer"]
        assert result["related"], "an unanswerable question still lists the closest passages"
    else:
        assert result["answerable"] is True, result
        for text in expected:
            assert text in result["answer"], (question, result["answer"])
        assert result["citations"], question


def test_ask_returns_the_answer_object(client):
    result = client.predict("产业互联网的C2B是什么意思？", api_name="/ask")
    assert isinstance(result, dict)
    assert CONTRACT_KEYS <= set(result)
    assert result["mode"] == "offline" and result["latency_ms"] > 0
    assert result["question"].startswith("产业互联网的C2B")
    _check_content("产业互联网的C2B是什么意思？", result)
    for cite in result["citations"]:
        assert CITATION_KEYS <= set(cite)
        assert cite["quote"] and cite["title"]


def test_ask_ranking_question_carries_tool_calls(client):
    result = client.predict("成渝2022Q1排名第五的城市？", api_name="/ask")
    _check_content("成渝2022Q1排名第五的城市？", result)
    assert result["tool_calls"], "ranking questions go through the tool layer"
    call = result["tool_calls"][0]
    assert {"name", "arguments", "result"} <= set(call)
    assert any("南充" in str(row) for row in call["result"]["rows"])


def test_ask_unanswerable_and_history(client):
    _check_content("火星上有多少人口？", client.predict("火星上有多少人口？", api_name="/ask"))
    history = [
        {"role": "user", "content": "成渝2022Q1排名第五的城市？"},
        {"role": "assistant", "content": "成渝城市群2022Q1排名第5的城市是南充市。"},
    ]
    follow = client.predict("那第六呢？", history, api_name="/ask")
    assert "成渝" in follow["answer"] and "第6" in follow["answer"], follow["answer"]


def test_ask_empty_question_is_a_chinese_error(client):
    with pytest.raises(AppError, match="问题为空"):
        client.predict("   ", api_name="/ask")


def test_only_ask_is_a_public_endpoint_and_queue_limit_is_set(served, client):
    app, _, s = served
    assert set(client.view_api(print_info=False, return_format="dict")["named_endpoints"]) == {"/ask"}
    assert app._queue.default_concurrency_limit == s.server.queue_concurrency() == 4
    assert app.server_name == "127.0.0.1"


@pytest.mark.parametrize(
    "path",
    [
        "/gradio_api/file=/etc/passwd",
        "/file=/etc/passwd",
        "/gradio_api/file=../../../../../../etc/passwd",
        "/gradio_api/file=%2Fetc%2Fpasswd",
        "/gradio_api/file=pyproject.toml",
        "/gradio_api/file=bot/settings.py",
    ],
)
def test_files_outside_the_app_are_refused(served, path):
    r = httpx.get(served[1].rstrip("/") + path, timeout=10)
    assert r.status_code in (403, 404), (path, r.status_code)
    assert "root:" not in r.text and "BaseSettings" not in r.text


def test_feedback_database_is_not_served(served):
    _, url, s = served
    r = httpx.get(f"{url.rstrip('/')}/gradio_api/file={s.paths.data_dir / 'feedback.sqlite'}", timeout=10)
    assert r.status_code in (403, 404)


def test_twenty_concurrent_questions_all_answered_correctly(engine, served):
    """Bounded load over loopback: 20 gradio_client threads at once; every answer right and unmixed."""
    questions = list(itertools.islice(itertools.cycle(EXPECTED), 20))
    reference = {q: engine.ask(q).answer for q in EXPECTED}  # in-process, one at a time
    url = served[1]

    def one(q: str) -> tuple[str, dict, float]:
        t0 = time.perf_counter()
        result = Client(url, verbose=False).predict(q, api_name="/ask")
        return q, result, time.perf_counter() - t0

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(one, questions))
    assert len(results) == 20
    for q, result, _ in results:
        assert result["question"].rstrip("?？") == q.rstrip("?？")
        assert result["answer"] == reference[q], q
        _check_content(q, result)


def test_login_required_when_configured(engine, settings, tmp_path):
    s = _with(settings, tmp_path, username="staff", password="s3cret-pass")
    app, url = serve_background(engine, s)
    try:
        r = httpx.get(url.rstrip("/") + "/config", timeout=10)
        assert r.status_code == 401
        with pytest.raises(Exception):  # noqa: B017 - the client cannot even read the API without a login
            Client(url, verbose=False)
        result = Client(url, auth=("staff", "s3cret-pass"), verbose=False).predict(
            "火星上有多少人口？", api_name="/ask"
        )
        assert result["answerable"] is False
    finally:
        app.close()


def test_password_guessing_is_slowed_down(engine, settings, tmp_path):
    """Wrong passwords: the first few answer 400, then every attempt must wait (429 with Retry-After), even
    a right one, until the wait is over."""
    s = _with(
        settings,
        tmp_path,
        username="staff",
        password="s3cret-pass",
        login_free_attempts=3,
        login_backoff_s=30,
    )
    app, url = serve_background(engine, s)
    login = url.rstrip("/") + "/login"
    try:
        codes = [
            httpx.post(login, data={"username": "staff", "password": f"guess{i}"}, timeout=10).status_code
            for i in range(6)
        ]
        assert codes == [400, 400, 400, 400, 429, 429], codes
        right = httpx.post(login, data={"username": "staff", "password": "s3cret-pass"}, timeout=10)
        assert right.status_code == 429 and int(right.headers["retry-after"]) > 20
        assert "登录失败次数过多" in right.json()["detail"]
    finally:
        app.close()


def test_oversized_request_is_refused(served):
    r = httpx.post(
        served[1].rstrip("/") + "/gradio_api/call/ask", json={"data": ["数" * 2_000_000, None]}, timeout=30
    )
    assert r.status_code == 413 and "请求过大" in r.json()["detail"]


def test_serve_never_builds_the_index(tmp_path, monkeypatch, capsys):
    """No index under BOT_PATHS__INDEX_DIR (the autouse fixture points it at tmp): `serve` says how to build
    one and exits, instead of embedding the corpus at start-up."""
    code = main(["serve", "--port", "0"])
    err = capsys.readouterr().err
    assert code != 0
    assert "python -m bot index" in err
    index_dir = tmp_path / "index"
    assert not index_dir.exists() or not any(index_dir.rglob("chroma.sqlite3"))


def test_serve_help_explains_itself(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["serve", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "--port" in out and "--host" in out and "/ask" in out
