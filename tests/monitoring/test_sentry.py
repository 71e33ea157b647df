import io
import json
import os
import subprocess
import sys
from pathlib import Path
from wsgiref.util import setup_testing_defaults

import pytest
import sentry_sdk
import structlog
from django.core import signals
from django.db import close_old_connections

from monitoring.logs import REDACTED
from monitoring.sentry import git_sha, scrub_event, sentry_init, traces_sampler

# sentry-sdk 2.75 deprecates send_default_pii for its new data_collection option; see monitoring/sentry.py.
pytestmark = pytest.mark.filterwarnings("ignore:The send_default_pii option is deprecated:DeprecationWarning")

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJlLW9mLWEtdGVzdA"
PASSWORD = "sentry-test-password-2026"  # a literal only these tests send
INVITE_CODE = "INV-7781-SENTRY"


@pytest.fixture
def sentry_on(sentry_receiver):
    """Sentry reporting to the fake receiver, every trace sampled; closed again by `sentry_receiver`."""
    sentry_init(dsn=sentry_receiver.dsn, environment="test", release="test-release", traces_sample_rate=1.0)
    return sentry_receiver


def wsgi_request(method: str, path: str, *, query: str = "", headers: dict | None = None, body: bytes = b"") -> int:
    """Call the WSGI application gunicorn serves, as gunicorn would; answer the status code."""
    from kinetix.wsgi import application

    environ: dict = {}
    setup_testing_defaults(environ)
    environ.update(
        {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
        }
    )
    environ.update({"HTTP_" + name.upper().replace("-", "_"): value for name, value in (headers or {}).items()})
    statuses = []
    # As Django's test client does: the handler must not close the test's database connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        result = application(environ, lambda status, response_headers, exc_info=None: statuses.append(status))
        try:
            b"".join(result)
        finally:
            result.close()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return int(statuses[0].split()[0])


def test_sentry_is_off_without_a_dsn():
    # The test settings set no SENTRY_DSN; this also catches a test that leaves its client behind.
    assert not sentry_sdk.get_client().is_active()


def test_settings_start_sentry_from_the_environment(tmp_path):
    probe = (
        "import json, django, sentry_sdk; django.setup(); c = sentry_sdk.get_client(); "
        "print(json.dumps({'active': c.is_active(), 'environment': c.options['environment'], "
        "'release': c.options['release'], 'pii': c.options['send_default_pii'], "
        "'integrations': sorted(c.integrations)}))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kinetix.settings",
        "SENTRY_DSN": "http://key@127.0.0.1:9/1",  # nothing is sent: the probe captures nothing
        "SENTRY_ENVIRONMENT": "staging",
        "SENTRY_TRACES_SAMPLE_RATE": "0.25",
        "GIT_SHA": "0123456789abcdef0123456789abcdef01234567",
    }
    env.setdefault("DJANGO_SECRET_KEY", "a-test-secret-key-for-the-settings-probe-0123456789")
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    client = json.loads(result.stdout.strip().splitlines()[-1])
    assert client["active"] is True
    assert client["environment"] == "staging"
    assert client["release"] == "0123456789abcdef0123456789abcdef01234567"
    assert client["pii"] is False
    assert {"django", "celery", "redis"} <= set(client["integrations"])


@pytest.mark.django_db
def test_a_crash_reaches_sentry_once_and_scrubbed(sentry_on, settings):
    settings.ROOT_URLCONF = "tests.monitoring.sentry_urls"
    body = json.dumps({"user_id": 42, "new_password": PASSWORD, "invite_code": INVITE_CODE}).encode()
    status = wsgi_request(
        "POST",
        "/crash/",
        query="token=QTOKEN123&week=QWEEK456",
        headers={"Authorization": f"Bearer {JWT}", "X-Request-ID": "req-sentry-1", "Cookie": "sessionid=SESSION99"},
        body=body,
    )
    assert status == 500

    [event] = sentry_on.wait_for("event", lambda e: e.get("exception"))
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert event["environment"] == "test"
    assert event["release"] == "test-release"
    assert event["tags"]["request_id"] == "req-sentry-1"
    # The message kept its meaning, not its credential.
    assert event["exception"]["values"][-1]["value"] == f"sign-in of user 42 failed with {REDACTED}"
    assert event["request"].get("query_string") in (None, "", REDACTED)
    assert event["request"]["headers"]["Authorization"] == REDACTED
    assert event["request"].get("data") in (None, "")  # no request bodies at all
    frame_vars = [frame.get("vars", {}) for frame in event["exception"]["values"][-1]["stacktrace"]["frames"]]
    crash_vars = next(v for v in frame_vars if "sign_in" in v)
    assert crash_vars["bearer"] == f"'{REDACTED}'"  # the local's repr
    assert crash_vars["sign_in"]["new_password"] == REDACTED
    assert crash_vars["sign_in"]["invite_code"] == REDACTED
    # django-structlog's request_failed line is not reported a second time.
    errors = sentry_on.of_type("event")
    assert [e.get("logger") for e in errors if e.get("logger", "").startswith("django_structlog")] == []
    assert len([e for e in errors if e.get("exception")]) == 1

    text = "\n".join(sentry_on.envelopes)
    for secret in (JWT, JWT.split(".")[1], PASSWORD, INVITE_CODE, "QTOKEN123", "QWEEK456", "SESSION99"):
        assert secret not in text


@pytest.mark.django_db
def test_a_structlog_error_line_reaches_sentry_with_its_fields_redacted(sentry_on):
    with structlog.contextvars.bound_contextvars(request_id="req-sentry-2"):
        structlog.get_logger("tests.sentry").error(
            "charge_failed", plan_id=7, api_key="sk_live_sentrytest123", url="/hook/?signature=SIG77&id=ID88"
        )
    [event] = sentry_on.wait_for("event", lambda e: e.get("logger") == "tests.sentry")
    assert event["logentry"]["message"] == "charge_failed"
    assert event["extra"]["plan_id"] == 7
    assert event["extra"]["api_key"] == REDACTED
    assert event["extra"]["url"] == f"/hook/?{REDACTED}"
    assert event["tags"]["request_id"] == "req-sentry-2"
    text = "\n".join(sentry_on.envelopes)
    assert "sk_live_sentrytest123" not in text
    assert "SIG77" not in text
    assert "ID88" not in text


@pytest.mark.parametrize("logger", ["django_structlog.middlewares.request", "django_structlog.celery.receivers"])
def test_django_structlogs_failure_lines_are_left_to_the_integrations(sentry_on, logger):
    structlog.get_logger(logger).error("request_failed", code=500)
    structlog.get_logger("tests.sentry").error("marker")  # sent after the first, if the first were sent
    assert sentry_on.wait_for("event", lambda e: e.get("logger") == "tests.sentry")
    assert [e for e in sentry_on.of_type("event") if e.get("logger") == logger] == []


@pytest.mark.django_db
def test_probes_and_scrapes_are_never_traced_while_api_requests_are(sentry_on):
    assert wsgi_request("GET", "/health/live/") == 200
    assert wsgi_request("GET", "/metrics") == 404
    assert wsgi_request("GET", "/api/v1/me/", query="page=QPAGE999", headers={"X-Request-ID": "req-trace-1"}) == 401

    [transaction] = sentry_on.wait_for("transaction", lambda t: t.get("tags", {}).get("request_id") == "req-trace-1")
    assert transaction["transaction"] == "/api/v1/me/"
    names = [t["transaction"] for t in sentry_on.of_type("transaction")]
    assert not [name for name in names if name.startswith(("/health/", "/metrics"))]
    assert "QPAGE999" not in "\n".join(sentry_on.envelopes)


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({"wsgi_environ": {"PATH_INFO": "/health/live/"}}, 0.0),
        ({"wsgi_environ": {"PATH_INFO": "/health/ready/"}, "parent_sampled": True}, 0.0),
        ({"wsgi_environ": {"PATH_INFO": "/metrics"}}, 0.0),
        ({"asgi_scope": {"path": "/health/live/"}}, 0.0),
        ({"wsgi_environ": {"PATH_INFO": "/api/v1/me/"}}, 0.3),
        # A client's sentry-trace header does not choose for us.
        ({"wsgi_environ": {"PATH_INFO": "/api/v1/me/"}, "parent_sampled": True}, 0.3),
        # A task follows the request that queued it; one from beat samples afresh.
        ({"celery_job": {"task": "x"}, "parent_sampled": True}, 1.0),
        ({"celery_job": {"task": "x"}, "parent_sampled": False}, 0.0),
        ({"celery_job": {"task": "x"}}, 0.3),
    ],
)
def test_traces_sampler(context, expected):
    assert traces_sampler(0.3)(context) == expected


def test_sample_rate_out_of_range_is_refused():
    with pytest.raises(ValueError, match="SENTRY_TRACES_SAMPLE_RATE"):
        sentry_init(dsn="http://key@127.0.0.1:9/1", environment="test", release=None, traces_sample_rate=5)


def test_scrub_event_keeps_the_serializers_annotations():
    meta = {"request": {"headers": {"Authorization": {"": {"rem": [["!config", "s"]]}}}}}
    event = {"request": {"url": "http://x/a/", "query_string": "q=1"}, "_meta": meta}
    scrubbed = scrub_event(event, {})
    assert scrubbed["_meta"] == meta
    assert scrubbed["request"] == {"url": "http://x/a/", "query_string": REDACTED}


def _repository(tmp_path: Path, head: str, files: dict[str, str]) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text(head)
    for name, text in files.items():
        (tmp_path / ".git" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / ".git" / name).write_text(text)
    return tmp_path


SHA = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def test_git_sha_follows_a_branch(tmp_path):
    assert git_sha(_repository(tmp_path, "ref: refs/heads/main\n", {"refs/heads/main": SHA + "\n"})) == SHA


def test_git_sha_reads_packed_refs(tmp_path):
    packed = f"# pack-refs with: peeled\n{SHA} refs/heads/main\n"
    assert git_sha(_repository(tmp_path, "ref: refs/heads/main\n", {"packed-refs": packed})) == SHA


def test_git_sha_of_a_detached_head(tmp_path):
    assert git_sha(_repository(tmp_path, SHA + "\n", {})) == SHA


def test_git_sha_without_git(tmp_path):
    assert git_sha(tmp_path) is None
