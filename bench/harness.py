"""What every benchmark shares: the production-like environment, its database and server, load and tables.

A benchmark process calls `setup()` first: it sets the environment below, builds (or reuses) a migrated
template database, creates `kinetix_bench` from it and starts Django in-process to seed data. `server()`
runs gunicorn from gunicorn.conf.py against the same database; `load()` drives it from a separate
process (bench/loadgen.py). Every figure is reported next to a baseline measured in the same run.
"""

import atexit
import contextlib
import hashlib
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PG_BASE = PG_ADMIN.rsplit("/", 1)[0]
DB_NAME = os.environ.get("BENCH_DB", "kinetix_bench")
TEMPLATE_DB = f"{DB_NAME}_template"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
# Sync workers are CPU-bound: 2 per core on this 2-core machine (docs/DEPLOY.md: "2 to 4 per CPU core"),
# leaving the load generator, PostgreSQL and Redis the rest.
WORKERS = int(os.environ.get("BENCH_WORKERS", str(2 * (os.cpu_count() or 1))))
HOST = "127.0.0.1"

# The production settings, as docs/DEPLOY.md sets them, with the bench's own database, Redis db and secret.
ENV = {
    "DJANGO_SETTINGS_MODULE": "bench.settings",
    "DJANGO_DEBUG": "False",
    "DJANGO_SECRET_KEY": "kinetix-bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "DJANGO_ALLOWED_HOSTS": HOST,
    "DATABASE_URL": f"{PG_BASE}/{DB_NAME}",
    "REDIS_URL": REDIS_URL,
    "CACHE_KEY_PREFIX": "kinetix-bench",
    # Rate limits off: the load generator is one client IP and one user per scenario, and would be throttled
    # after 600 requests a minute; the limiter's own Redis round trip is left out of every figure alike.
    "RATELIMIT_ENABLE": "False",
    "LOG_LEVEL": "WARNING",
    # Tasks go to Redis as in production; no worker consumes them during a run and the db is flushed after.
    "CELERY_TASK_ALWAYS_EAGER": "False",
}


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# Database ---------------------------------------------------------------------------------------


def _admin(sql: str, *params: object) -> list[tuple]:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        cursor = connection.execute(sql, params or None)
        return cursor.fetchall() if cursor.description else []


def _schema_fingerprint() -> str:
    """Hash the migrations and pinned requirements: a template built from other ones is rebuilt."""
    digest = hashlib.sha256()
    files = sorted(ROOT.glob("*/migrations/*.py")) + sorted(ROOT.glob("kinetix/*/migrations/*.py"))
    for path in [*files, ROOT / "requirements.txt"]:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


def _template_ready(fingerprint: str) -> bool:
    rows = _admin("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", TEMPLATE_DB)
    return bool(rows) and rows[0][0] == fingerprint


def database_create() -> None:
    """Create the bench database from a migrated template, migrating the template first if it is stale."""
    fingerprint = _schema_fingerprint()
    if not _template_ready(fingerprint):
        log(f"migrating template database {TEMPLATE_DB} (once per schema; about a minute)")
        _admin(f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}" WITH (FORCE)')
        _admin(f'CREATE DATABASE "{TEMPLATE_DB}"')
        env = {**os.environ, **ENV, "DATABASE_URL": f"{PG_BASE}/{TEMPLATE_DB}"}
        subprocess.run(  # noqa: S603 - our own interpreter and manage.py
            [PYTHON, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
        )
        _admin(f"COMMENT ON DATABASE \"{TEMPLATE_DB}\" IS '{fingerprint}'")
    _admin(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{DB_NAME}" TEMPLATE "{TEMPLATE_DB}"')


def database_drop() -> None:
    with contextlib.suppress(Exception):
        from django.db import connections

        connections.close_all()
    _admin(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def template_drop() -> None:
    _admin(f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}" WITH (FORCE)')


def redis_flush() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def setup() -> None:
    """Enter the bench environment: database created (dropped at exit), Redis db emptied, Django set up."""
    os.environ.update(ENV)
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    database_create()
    redis_flush()
    atexit.register(redis_flush)
    atexit.register(database_drop)
    # A Ctrl-C or kill still drops the database and stops the server (atexit runs on SystemExit).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    import django

    django.setup()


def attach() -> None:
    """Enter the environment of a `setup()` run by a parent process, without creating or dropping anything."""
    os.environ.update(ENV)
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)

    import django

    django.setup()


# Server -----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def request(port: int, path: str, *, token: str = "", timeout: float = 10) -> tuple[int, bytes]:
    """One request as the proxy in front would send it (HTTPS already terminated)."""
    headers = {"Host": HOST, "X-Forwarded-Proto": "https"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(f"http://{HOST}:{port}{path}", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as answer:  # noqa: S310 - loopback
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@contextlib.contextmanager
def server(*, extra_env: dict[str, str] | None = None, workers: int = WORKERS) -> Iterator[int]:
    """Run gunicorn (gunicorn.conf.py, sync workers) on a loopback port; yield the port, stop it after."""
    port = free_port()
    command = [PYTHON, "-m", "gunicorn", "kinetix.wsgi", "-c", "gunicorn.conf.py"]
    command += ["--bind", f"{HOST}:{port}", "--workers", str(workers)]
    # Production recycles a worker every ~2,000 requests (a memory guard); mid-run, a restart stalls
    # whichever timed slice it lands in and skews every ratio of the run, so it is off here.
    command += ["--max-requests", "0"]
    env = {**os.environ, **ENV, **(extra_env or {})}
    process = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603 - our own interpreter and gunicorn
    try:
        # Each worker imports Django after the fork: at a load average above ~10 that took over a minute.
        deadline = time.monotonic() + 180
        while True:
            with contextlib.suppress(OSError):
                if request(port, "/health/live/", timeout=2)[0] == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.2)
        log(f"gunicorn up on {HOST}:{port} with {workers} sync workers")
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=35)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def access_token(user) -> str:
    from rest_framework_simplejwt.tokens import AccessToken

    return str(AccessToken.for_user(user))


# Load -------------------------------------------------------------------------------------------

# Each scenario: at most this many requests or seconds, after a warm-up that is not counted.
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))
DURATION = float(os.environ.get("BENCH_DURATION", "10"))
MAX_REQUESTS = int(os.environ.get("BENCH_MAX_REQUESTS", "20000"))
WARMUP = float(os.environ.get("BENCH_WARMUP", "2"))


def load(
    port: int,
    requests: Sequence[dict],
    *,
    once: bool = False,
    concurrency: int = CONCURRENCY,
    duration: float = DURATION,
    max_requests: int = MAX_REQUESTS,
    warmup: float = WARMUP,
) -> dict:
    """Drive the server from a separate process (bench/loadgen.py) and return its summary.

    `requests` are cycled through (each worker thread takes the next) until `max_requests` or `duration`;
    with `once`, each is sent exactly once and there is no warm-up.
    """
    spec = {
        "host": HOST,
        "port": port,
        "requests": list(requests),
        "once": once,
        "concurrency": concurrency,
        "duration": duration,
        "max_requests": len(requests) if once else max_requests,
        "warmup": 0 if once else warmup,
    }
    result = subprocess.run(  # noqa: S603 - our own interpreter and module
        [PYTHON, "-m", "bench.loadgen"],
        cwd=ROOT,
        input=json.dumps(spec).encode(),
        capture_output=True,
        check=True,
        timeout=duration + warmup + 120,
    )
    return json.loads(result.stdout)


def get(path: str, token: str) -> dict:
    return {"method": "GET", "path": path, "headers": {"Authorization": f"Bearer {token}"}}


def post(path: str, token: str, body: object, *, content_type: str = "application/json") -> dict:
    return {
        "method": "POST",
        "path": path,
        "headers": {"Authorization": f"Bearer {token}", "Content-Type": content_type}
        if token
        else {"Content-Type": content_type},
        "body": body if isinstance(body, str) else json.dumps(body),
    }


# Measurement and reporting ---------------------------------------------------------------------


def peak_rss_mib() -> float:
    """This process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Render a plain-text table, numbers right-aligned."""

    def cell(value: object) -> str:
        if isinstance(value, float):
            return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
        if isinstance(value, int):
            return f"{value:,}"
        return str(value)

    cells = [[cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]

    def line(values: Sequence[str], raw: Sequence[object] | None = None) -> str:
        parts = []
        for i, value in enumerate(values):
            numeric = raw is not None and isinstance(raw[i], int | float)
            parts.append(value.rjust(widths[i]) if numeric else value.ljust(widths[i]))
        return "| " + " | ".join(parts) + " |"

    out = [f"\n{title}", line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(c, r) for c, r in zip(cells, rows, strict=True)]
    return "\n".join(out)


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def report(text: str) -> None:
    print(text, flush=True)
