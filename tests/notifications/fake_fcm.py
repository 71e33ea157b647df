"""A fake FCM HTTP v1 server on loopback, answering each token as a test scripts it.

It speaks what firebase-admin's send path expects: `POST /v1/projects/{project}/messages:send`
with `{"message": {"token": ...}}`, answered by `{"name": ...}` or Google's error JSON with the FCM
error code in `details`. A token's answers come from `script()`; unscripted tokens answer by
prefix: `unregistered-` (404 UNREGISTERED), `invalid-` (400 INVALID_ARGUMENT), anything else 200.
"""

import itertools
import json
import re
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SEND_PATH = re.compile(r"^/v1/projects/(?P<project>[^/]+)/messages:send$")


@dataclass(frozen=True)
class Answer:
    status: int
    error_status: str = ""
    fcm_error_code: str = ""
    message: str = ""
    retry_after: str = ""

    def body(self, project: str, message_number: int) -> dict:
        if self.status == 200:
            return {"name": f"projects/{project}/messages/{message_number}"}
        details = [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": self.fcm_error_code}]
        return {
            "error": {
                "code": self.status,
                "message": self.message,
                "status": self.error_status,
                "details": details if self.fcm_error_code else [],
            }
        }


OK = Answer(200)
UNREGISTERED = Answer(404, "NOT_FOUND", "UNREGISTERED", "Requested entity was not found.")
INVALID_TOKEN = Answer(
    400, "INVALID_ARGUMENT", "INVALID_ARGUMENT", "The registration token is not a valid FCM registration token"
)
UNAVAILABLE = Answer(503, "UNAVAILABLE", "UNAVAILABLE", "The service is currently unavailable.")
BAD_GATEWAY = Answer(502, "UNAVAILABLE", "", "Bad gateway.")


def throttled(retry_after: str = "") -> Answer:
    return Answer(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED", "Sending quota exceeded.", retry_after)


@dataclass
class Received:
    token: str
    message: dict
    at: float
    status: int


@dataclass
class FakeFcm:
    """The server's state: scripted answers and every request received, safe across its threads."""

    host: str = "127.0.0.1"
    port: int = 0
    received: list[Received] = field(default_factory=list)
    _scripts: dict[str, list[Answer]] = field(default_factory=lambda: defaultdict(list))
    _watchers: dict[str, Callable[[], None]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _numbers: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def send_url_template(self) -> str:
        """The value for `_MessagingService.FCM_URL`: `{0}` is the project id."""
        return f"http://{self.host}:{self.port}/v1/projects/{{0}}/messages:send"

    def script(self, token: str, *answers: Answer) -> None:
        """Answer the token's next requests with these, in order, then by its prefix."""
        with self._lock:
            self._scripts[token] = list(answers)

    def when_received(self, token: str, callback: Callable[[], None]) -> None:
        """Call `callback` in the server's thread when the token's request arrives, before it is answered."""
        with self._lock:
            self._watchers[token] = callback

    def reset(self) -> None:
        with self._lock:
            self._scripts.clear()
            self._watchers.clear()
            self.received.clear()

    def requests_for(self, token: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.token == token]

    def answer(self, token: str, message: dict) -> tuple[Answer, int]:
        with self._lock:
            watcher = self._watchers.pop(token, None)
        if watcher is not None:  # outside the lock: the other requests of the batch go on meanwhile
            watcher()
        with self._lock:
            script = self._scripts.get(token)
            if script:
                answer = script.pop(0)
            elif token.startswith("unregistered-"):
                answer = UNREGISTERED
            elif token.startswith("invalid-"):
                answer = INVALID_TOKEN
            else:
                answer = OK
            self.received.append(Received(token, message, time.monotonic(), answer.status))
            return answer, next(self._numbers)


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        match = SEND_PATH.match(self.path)
        length = int(self.headers.get("Content-Length", 0))
        payload = json.loads(self.rfile.read(length) or b"{}")
        if match is None:
            self._reply(404, {"error": {"code": 404, "message": "No such route.", "status": "NOT_FOUND"}})
            return
        message = payload.get("message", {})
        answer, number = self.server.fake.answer(message.get("token", ""), message)
        headers = {"Retry-After": answer.retry_after} if answer.retry_after else {}
        self._reply(answer.status, answer.body(match["project"], number), headers)

    def _reply(self, status: int, body: dict, headers: dict[str, str] | None = None) -> None:
        encoded = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(encoded)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(encoded)

    def log_message(self, format: str, *args: object) -> None:  # quiet: 1,001 requests a test
        pass


class _Server(ThreadingHTTPServer):
    # fcm-django sends a batch of 500 from 500 threads at once; the default backlog of 5 drops them.
    request_queue_size = 1024
    daemon_threads = True

    def __init__(self, fake: FakeFcm) -> None:
        self.fake = fake
        super().__init__((fake.host, 0), _Handler)


class FakeFcmServer:
    """Run a FakeFcm on a loopback port in a background thread until stopped."""

    def __init__(self) -> None:
        self.fake = FakeFcm()
        self._server = _Server(self.fake)
        self.fake.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-fcm", daemon=True)

    def start(self) -> FakeFcm:
        self._thread.start()
        return self.fake

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
