import gzip
import io
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sentry_sdk

from monitoring.logs import build_formatter


@pytest.fixture
def log_lines():
    """Collect what the root logger writes, rendered as production JSON lines, and parse it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(build_formatter("json"))
    root = logging.getLogger()
    root.addHandler(handler)

    def read() -> tuple[str, list[dict]]:
        text = stream.getvalue()
        return text, [json.loads(line) for line in text.splitlines() if line.strip()]

    yield read
    root.removeHandler(handler)


def lines_of(lines: list[dict], event: str) -> list[dict]:
    return [line for line in lines if line["event"] == event]


@dataclass
class SentryReceiver:
    """What a fake Sentry at 127.0.0.1 received: each envelope's raw text and its (type, payload) items."""

    port: int
    envelopes: list[str] = field(default_factory=list)
    items: list[tuple[str, dict]] = field(default_factory=list)

    @property
    def dsn(self) -> str:
        return f"http://key@127.0.0.1:{self.port}/1"

    def of_type(self, kind: str) -> list[dict]:
        return [payload for item_type, payload in self.items if item_type == kind]

    def wait_for(self, kind: str, predicate=lambda payload: True, timeout: float = 10.0) -> list[dict]:
        sentry_sdk.flush(timeout=timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [payload for payload in self.of_type(kind) if predicate(payload)]
            if found:
                return found
            time.sleep(0.05)
        return []


def envelope_items(body: bytes) -> list[tuple[str, dict]]:
    """Split a Sentry envelope: a header line, then per item a header line and a payload (of `length` bytes)."""
    items, pos = [], body.index(b"\n") + 1
    while pos < len(body):
        end = body.find(b"\n", pos)
        if end == -1 or end == pos:
            pos = len(body) if end == -1 else end + 1
            continue
        header = json.loads(body[pos:end])
        pos = end + 1
        length = header.get("length")
        if length is None:
            end = body.find(b"\n", pos)
            end = len(body) if end == -1 else end
            payload, pos = body[pos:end], end + 1
        else:
            payload, pos = body[pos : pos + length], pos + length + 1
        try:
            items.append((header.get("type", ""), json.loads(payload)))
        except ValueError:
            items.append((header.get("type", ""), {}))
    return items


@pytest.fixture
def sentry_receiver(monkeypatch):
    """Run a fake Sentry on 127.0.0.1 collecting envelopes; close whatever Sentry client a test starts."""
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            if self.path == "/api/1/envelope/":
                receiver.envelopes.append(body.decode(errors="replace"))
                receiver.items.extend(envelope_items(body))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = SentryReceiver(port=server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        # Whatever the test started, later tests run without Sentry.
        sentry_sdk.get_client().close(timeout=2)
        sentry_sdk.get_global_scope().set_client(None)
        sentry_sdk.get_isolation_scope().clear()
        sentry_sdk.get_current_scope().clear()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
