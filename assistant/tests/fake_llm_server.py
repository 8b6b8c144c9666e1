"""A scripted LLM server on loopback, speaking just enough of three wire protocols for the real clients:

- OpenAI (and compatible servers): ``POST /v1/chat/completions`` (non-streaming, with ``usage``), ``GET /v1/models``
- Anthropic: ``POST /v1/messages``
- Ollama: ``POST /api/chat`` (NDJSON when the client streams, one JSON object otherwise)

Tests queue replies (`server.reply("...")`, `server.fail(401, {...})`, `server.reply("...", delay=3)`) and read
`server.requests` to see exactly what the client sent (headers, JSON body).
"""
from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Scripted:
    content: str = ""
    status: int = 200
    error_body: Any = None
    delay: float = 0.0
    prompt_tokens: int = 50
    completion_tokens: int = 20


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: Any

    def text(self) -> str:
        """Every message's text, joined: what the model was shown."""
        messages = (self.body or {}).get("messages", []) if isinstance(self.body, dict) else []
        parts: list[str] = []
        system = self.body.get("system") if isinstance(self.body, dict) else None  # Anthropic puts it apart
        for item in ([system] if system else []) + [m.get("content") for m in messages]:
            if isinstance(item, str):
                parts.append(item)
            elif isinstance(item, list):
                parts.extend(str(block.get("text", "")) for block in item if isinstance(block, dict))
        return "\n".join(parts)


@dataclass
class FakeLLMServer:
    models: tuple[str, ...] = ("fake-gpt", "fake-claude", "fake-llama")
    queue: deque[Scripted] = field(default_factory=deque)
    requests: list[Recorded] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._httpd: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    # --- scripting -------------------------------------------------------------------------------
    def reply(self, content: str, *, delay: float = 0.0, prompt_tokens: int = 50,
              completion_tokens: int = 20) -> FakeLLMServer:
        self.queue.append(Scripted(content=content, delay=delay, prompt_tokens=prompt_tokens,
                                   completion_tokens=completion_tokens))
        return self

    def fail(self, status: int, body: Any) -> FakeLLMServer:
        self.queue.append(Scripted(status=status, error_body=body))
        return self

    def _next(self) -> Scripted:
        with self._lock:
            return self.queue.popleft() if self.queue else Scripted(content="pong")

    # --- addresses ------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._httpd is not None
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_url(self) -> str:
        return f"{self.url}/v1"

    # --- lifecycle -------------------------------------------------------------------------------
    def start(self) -> FakeLLMServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _record(self, body: Any) -> None:
                with server._lock:
                    headers = {name.lower(): value for name, value in self.headers.items()}
                    server.requests.append(Recorded(self.command, self.path, headers, body))

            def _send(self, status: int, payload: Any, content_type: str = "application/json") -> None:
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): nothing to tell it

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                self._record(None)
                if self.path.rstrip("/") == "/v1/models":
                    self._send(200, {"object": "list", "data": [
                        {"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in server.models]})
                elif self.path.rstrip("/") == "/api/tags":
                    self._send(200, {"models": [{"name": m, "model": m} for m in server.models]})
                else:
                    self._send(404, {"error": {"message": f"No route {self.path}", "type": "not_found"}})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"null")
                except ValueError:
                    body = raw.decode(errors="replace")
                self._record(body)
                scripted = server._next()
                if scripted.delay:
                    time.sleep(scripted.delay)
                if scripted.status != 200:
                    self._send(scripted.status, scripted.error_body)
                    return
                model = body.get("model", "") if isinstance(body, dict) else ""
                path = self.path.rstrip("/")
                if path == "/v1/chat/completions":
                    self._send(200, _openai_completion(model, scripted))
                elif path == "/v1/messages":
                    self._send(200, _anthropic_message(model, scripted))
                elif path == "/api/chat":
                    payload = _ollama_chat(model, scripted)
                    if isinstance(body, dict) and body.get("stream", True):
                        self._send(200, (json.dumps(payload) + "\n").encode(), "application/x-ndjson")
                    else:
                        self._send(200, payload)
                else:
                    self._send(404, {"error": {"message": f"No route {self.path}", "type": "not_found"}})

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False  # a handler still sleeping for a timeout test must not hold up the test
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-llm",
                         daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def _openai_completion(model: str, s: Scripted) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": s.content}, "finish_reason": "stop",
                     "logprobs": None}],
        "usage": {"prompt_tokens": s.prompt_tokens, "completion_tokens": s.completion_tokens,
                  "total_tokens": s.prompt_tokens + s.completion_tokens},
    }


def _anthropic_message(model: str, s: Scripted) -> dict[str, Any]:
    return {
        "id": "msg_fake", "type": "message", "role": "assistant", "model": model,
        "content": [{"type": "text", "text": s.content}], "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": s.prompt_tokens, "output_tokens": s.completion_tokens},
    }


def _ollama_chat(model: str, s: Scripted) -> dict[str, Any]:
    return {
        "model": model, "created_at": "2025-01-01T00:00:00Z",
        "message": {"role": "assistant", "content": s.content}, "done": True, "done_reason": "stop",
        "total_duration": 1000, "load_duration": 0, "prompt_eval_count": s.prompt_tokens, "prompt_eval_duration": 1,
        "eval_count": s.completion_tokens, "eval_duration": 1,
    }


def dead_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


OPENAI_401 = {"error": {"message": "Incorrect API key provided: sk-wr****2345. You can find your API key at "
                                   "https://platform.openai.com/account/api-keys.",
                        "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}}
OPENAI_404_MODEL = {"error": {"message": "The model `no-such-model` does not exist or you do not have access to it.",
                              "type": "invalid_request_error", "param": None, "code": "model_not_found"}}
ANTHROPIC_401 = {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}
OLLAMA_404_MODEL = {"error": "model \"no-such-model\" not found, try pulling it first"}
