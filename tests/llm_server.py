"""A local OpenAI-compatible chat server that replays recorded responses (tests only; stdlib, one thread)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

RECORDINGS = Path(__file__).parent / "recordings"

# A recording is {"description": str, "responses": [response, ...]}, served in order, one per request.
# A response is a dict with any of:
#   "status"   HTTP status (default 200); non-200 sends "body" (default an OpenAI error object)
#   "delay_s"  seconds to wait before answering (to trigger client timeouts)
#   "headers"  extra response headers, e.g. {"Retry-After": "0"}
#   "body"     a chat.completion (id/object/created/model are filled in when missing);
#              a streaming request gets it cut into chat.completion.chunk events automatically
#   "chunks"   explicit chat.completion.chunk objects for a streaming request; {"sleep_s": x} pauses
#   "raw"      a body sent verbatim (to simulate a broken server)


def load_recording(name: str) -> list[dict[str, Any]]:
    data = json.loads((RECORDINGS / f"{name}.json").read_text(encoding="utf-8"))
    return list(data["responses"])


def _fill(body: dict[str, Any], model: str) -> dict[str, Any]:
    out = {"id": "chatcmpl-replay", "object": "chat.completion", "created": 1700000000, "model": model}
    out.update(body)
    return out


def to_chunks(body: dict[str, Any], piece: int = 4) -> list[dict[str, Any]]:
    """A chat.completion as the chunk sequence a streaming server would send (text in `piece`-char deltas)."""
    choice = body["choices"][0]
    message = choice.get("message", {})
    chunks: list[dict[str, Any]] = [
        {"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}
    ]
    content = message.get("content") or ""
    for i in range(0, len(content), piece):
        chunks.append({"choices": [{"index": 0, "delta": {"content": content[i : i + piece]}}]})
    for n, call in enumerate(message.get("tool_calls") or []):
        fn = call["function"]
        chunks.append(
            {
                "choices": [
                    {
                        "index": 0,
                        "delta": {
                            "tool_calls": [
                                {
                                    "index": n,
                                    "id": call["id"],
                                    "type": "function",
                                    "function": {"name": fn["name"], "arguments": ""},
                                }
                            ]
                        },
                    }
                ]
            }
        )
        args = fn.get("arguments") or ""
        for i in range(0, len(args), 7):
            chunks.append(
                {
                    "choices": [
                        {
                            "index": 0,
                            "delta": {
                                "tool_calls": [{"index": n, "function": {"arguments": args[i : i + 7]}}]
                            },
                        }
                    ]
                }
            )
    chunks.append(
        {"choices": [{"index": 0, "delta": {}, "finish_reason": choice.get("finish_reason", "stop")}]}
    )
    return chunks


class ReplayServer:
    """POST /v1/chat/completions on 127.0.0.1 (free port), answering with the recorded responses in order.

    `requests` holds every request received ({"path", "headers" (lower-case names), "body"}) for assertions.
    """

    def __init__(self, responses: list[dict[str, Any]]):
        self.responses = list(responses)
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @classmethod
    def from_recording(cls, name: str) -> ReplayServer:
        return cls(load_recording(name))

    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def next_response(self, request: dict[str, Any]) -> dict[str, Any] | None:
        with self._lock:
            self.requests.append(request)
            return self.responses.pop(0) if self.responses else None

    def start(self) -> Self:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    body = {"_unparsed": raw.decode("utf-8", "replace")}
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._json(404, {"error": {"message": f"replay: no route {self.path}"}})
                    return
                received = {k.lower(): v for k, v in self.headers.items()}
                resp = server.next_response({"path": self.path, "headers": received, "body": body})
                if resp is None:
                    self._json(
                        500, {"error": {"message": "replay: no recorded response left", "type": "replay"}}
                    )
                    return
                time.sleep(float(resp.get("delay_s", 0)))
                status = int(resp.get("status", 200))
                headers = resp.get("headers", {})
                try:
                    if "raw" in resp:
                        self._send(status, str(resp["raw"]).encode(), "application/json", headers)
                    elif status != 200:
                        err = resp.get("body") or {
                            "error": {"message": f"replay status {status}", "type": "replay"}
                        }
                        self._json(status, err, headers)
                    elif body.get("stream"):
                        chunks = resp.get("chunks") or to_chunks(resp["body"])
                        self._stream(chunks, body.get("model", "replay"), headers)
                    elif "body" in resp:
                        self._json(200, _fill(resp["body"], body.get("model", "replay")), headers)
                    else:
                        self._json(
                            500, {"error": {"message": "replay: recorded a stream, request is not streaming"}}
                        )
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                    pass

            def _send(self, status: int, data: bytes, ctype: str, headers: dict[str, str]) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
                self._send(
                    status,
                    json.dumps(obj, ensure_ascii=False).encode("utf-8"),
                    "application/json",
                    headers or {},
                )

            def _stream(self, chunks: list[dict[str, Any]], model: str, headers: dict[str, str]) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                for chunk in chunks:
                    if "sleep_s" in chunk:
                        time.sleep(float(chunk["sleep_s"]))
                        continue
                    event = {
                        "id": "chatcmpl-replay",
                        "object": "chat.completion.chunk",
                        "created": 1700000000,
                        "model": model,
                        **chunk,
                    }
                    self.wfile.write(f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        httpd.block_on_close = False  # a handler still sleeping (timeout test) must not block stop()
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="llm-replay", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- helpers for assertions -------------------------------------------------------------------
    def bodies(self) -> list[dict[str, Any]]:
        return [r["body"] for r in self.requests]
