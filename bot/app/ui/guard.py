"""ASGI middleware in front of the page: a request size limit, and a growing wait after failed logins."""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from bot.core import prompts
from bot.core.settings import ServerSettings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOGIN_PATHS = ("/login", "/login/")
UPLOAD_PATHS = ("/gradio_api/upload", "/upload")  # multipart uploads: Gradio applies max_file_size there


class _TooLarge(Exception):
    pass


@dataclass
class _Failures:
    count: int = 0
    until: float = 0.0  # no login attempt from this client is looked at before this time (monotonic)


class LoginBackoff:
    """Failed logins per client address: the first `free` ones cost nothing, each further one doubles the
    wait before the next attempt is heard (base, 2×base, … up to max_s). A success clears the record."""

    def __init__(self, free: int, base_s: float, max_s: float, clock: Callable[[], float] = time.monotonic):
        self.free, self.base_s, self.max_s, self.clock = free, base_s, max_s, clock
        self._by_client: dict[str, _Failures] = {}
        self._lock = threading.Lock()

    def wait_s(self, client: str) -> float:
        """Seconds this client must still wait before its next login attempt is checked (0 = go ahead)."""
        with self._lock:
            rec = self._by_client.get(client)
            return max(0.0, rec.until - self.clock()) if rec else 0.0

    def failed(self, client: str) -> None:
        with self._lock:
            rec = self._by_client.setdefault(client, _Failures())
            rec.count += 1
            if rec.count > self.free:
                delay = min(self.max_s, self.base_s * 2 ** (rec.count - self.free - 1))
                rec.until = self.clock() + delay
            if len(self._by_client) > 10_000:  # bounded memory under address spraying
                oldest = min(self._by_client, key=lambda k: self._by_client[k].until)
                self._by_client.pop(oldest, None)

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._by_client.pop(client, None)


class RequestGuard:
    """Refuses request bodies over `max_request_bytes` (413, except Gradio's file uploads, which have their
    own limit) and slows down password guessing (429 with Retry-After while a client must wait)."""

    def __init__(self, app: ASGIApp, server: ServerSettings, backoff: LoginBackoff | None = None):
        self.app = app
        self.max_bytes = server.max_request_bytes
        self.backoff = backoff or LoginBackoff(
            server.login_free_attempts, server.login_backoff_s, server.login_backoff_max_s
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        if path.endswith(UPLOAD_PATHS):
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _reply(send, 413, prompts.REQUEST_TOO_LARGE.format(limit=_size(self.max_bytes)))
            return
        receive = self._counting(receive)
        is_login = scope.get("method") == "POST" and path.endswith(LOGIN_PATHS)
        client = str((scope.get("client") or ("?", 0))[0])
        if is_login:
            wait = self.backoff.wait_s(client)
            if wait > 0:
                seconds = math.ceil(wait)
                await _reply(
                    send,
                    429,
                    prompts.LOGIN_BACKOFF.format(seconds=seconds),
                    [(b"retry-after", str(seconds).encode())],
                )
                return
            send = self._login_outcome(send, client)
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except _TooLarge:
            if not started:
                await _reply(send, 413, prompts.REQUEST_TOO_LARGE.format(limit=_size(self.max_bytes)))

    def _counting(self, receive: Receive) -> Receive:
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:  # a chunked body without Content-Length
                    raise _TooLarge()
            return message

        return counted

    def _login_outcome(self, send: Send, client: str) -> Send:
        async def watched(message: Message) -> None:
            if message["type"] == "http.response.start":
                status = int(message["status"])
                if status == 200:
                    self.backoff.succeeded(client)
                elif 400 <= status < 500:
                    self.backoff.failed(client)
            await send(message)

        return watched


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or []:
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _size(n: int) -> str:
    return f"{n / 1_000_000:g} MB" if n >= 1_000_000 else f"{n / 1000:g} KB"


async def _reply(
    send: Send, status: int, detail: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps({"detail": detail, "error": detail}, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
