"""A fake OpenAI and Anthropic API on 127.0.0.1, reached through the real `openai` and `anthropic` clients.

It answers `POST /v1/chat/completions` (OpenAI's chat completions, which openai-compatible servers
such as vLLM, Ollama and llama.cpp speak too) and `POST /v1/messages` (Anthropic's messages API).
Each answer comes from a script the test sets, in order, one step per request:
- `plan(document)`: a well-formed answer carrying the document (Anthropic: as the forced tool's input);
- `text(raw)`: an answer whose content is the raw text (invalid JSON, say; Anthropic: a text block);
- `status(code)`: an HTTP error in the provider's error shape, with an optional Retry-After;
- `stall(seconds)`: a plan answered only after the client has given up waiting.
Every request is recorded (path, headers, JSON body) for assertions.
"""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Step:
    kind: str
    body: Any = None
    status: int = 200
    seconds: float = 0.0
    headers: dict = field(default_factory=dict)


def plan(document: dict | Any) -> Step:
    return Step("plan", document)


def text(raw: str) -> Step:
    return Step("text", raw)


def status(code: int, *, retry_after: str | None = None) -> Step:
    return Step("status", status=code, headers={"retry-after": retry_after} if retry_after else {})


def stall(seconds: float, document: dict) -> Step:
    return Step("plan", document, seconds=seconds)


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict


def _openai_completion(content: str, model: str) -> dict:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 1200, "completion_tokens": 800, "total_tokens": 2000},
    }


def _anthropic_message(step: Step, model: str, tool_name: str) -> dict:
    if step.kind == "plan":
        content = [{"type": "tool_use", "id": "toolu_fake", "name": tool_name, "input": step.body}]
    else:
        content = [{"type": "text", "text": step.body}]
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": "tool_use" if step.kind == "plan" else "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 1500, "output_tokens": 900},
    }


class FakeLlm:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.steps: list[Step] = []
        self.requests: list[Recorded] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeLlm":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def script(self, *steps: Step) -> None:
        """Answer the next requests with these steps, in order, forgetting what was recorded."""
        with self.lock:
            self.steps = list(steps)
            self.requests = []

    def _next(self) -> Step:
        with self.lock:
            if not self.steps:
                return Step("status", status=500)
            return self.steps.pop(0)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, code: int, body: dict, headers: dict | None = None) -> None:
                payload = json.dumps(body).encode()
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and hung up

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with fake.lock:
                    fake.requests.append(Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                if self.path not in ("/v1/chat/completions", "/v1/messages"):
                    self._send(404, {"error": {"type": "not_found_error", "message": f"No route {self.path}"}})
                    return
                step = fake._next()
                if step.seconds:
                    time.sleep(step.seconds)
                if step.kind == "status":
                    error = {"type": "rate_limit_error" if step.status == 429 else "api_error", "message": "scripted"}
                    self._send(step.status, {"type": "error", "error": error}, step.headers)
                    return
                model = body.get("model", "fake-model")
                if self.path == "/v1/messages":
                    tool = (body.get("tool_choice") or {}).get("name", "tool")
                    self._send(200, _anthropic_message(step, model, tool))
                else:
                    content = json.dumps(step.body) if step.kind == "plan" else step.body
                    self._send(200, _openai_completion(content, model))

        return Handler
