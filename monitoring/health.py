"""Readiness checks: each one times itself and reports ok or the kind of failure.

The failure's details go to the log, not to the answer: /health/ready/ is public.
"""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from kombu import Connection

from monitoring.metrics import HEALTH_CHECK_FAILURES

logger = structlog.get_logger(__name__)

BROKER_TIMEOUT_SECONDS = 2.0


class CheckFailed(Exception):
    """A dependency answered, but not as a ready service should."""


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: str  # "ok" | "failed" | "skipped" | "ahead" (migrations)
    ms: float
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    def as_dict(self) -> dict:
        body = {"status": self.status, "ms": self.ms}
        if self.error:
            body["error"] = self.error
        return body


def check_database() -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone() != (1,):
            raise CheckFailed("SELECT 1 did not answer 1")


def check_cache() -> None:
    key = f"health:ready:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    try:
        if cache.get(key) != "1":
            raise CheckFailed("a value written to the cache could not be read back")
    finally:
        cache.delete(key)


def check_broker() -> str | None:
    """Connect to the Celery broker; skipped when tasks run in-process (no REDIS_URL)."""
    url = settings.CELERY_BROKER_URL
    if not url or url.startswith("memory://"):
        return "skipped"
    options = {"socket_timeout": BROKER_TIMEOUT_SECONDS, "socket_connect_timeout": BROKER_TIMEOUT_SECONDS}
    with Connection(url, connect_timeout=BROKER_TIMEOUT_SECONDS, transport_options=options) as conn:
        conn.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT_SECONDS)
    return None


@dataclass(frozen=True)
class MigrationStatus:
    """How the migrations applied to a database compare with those of the running code."""

    unapplied: tuple[str, ...]  # the code's migrations missing from the database: it is behind
    unknown: tuple[str, ...]  # applied migrations the code lacks (a newer release ran them): it is ahead

    @property
    def state(self) -> str:
        if self.unapplied:
            return "diverged" if self.unknown else "behind"
        return "ahead" if self.unknown else "in_step"


def migration_status(using: str = DEFAULT_DB_ALIAS) -> MigrationStatus:
    """Compare the database's applied migrations with the code's, in both directions."""
    executor = MigrationExecutor(connections[using])
    loader = executor.loader
    plan = executor.migration_plan(loader.graph.leaf_nodes())
    # A squashed migration records the migrations it replaces, whose files may be gone.
    known = set(loader.disk_migrations) | {key for m in loader.disk_migrations.values() for key in m.replaces}
    return MigrationStatus(
        unapplied=tuple(f"{m.app_label}.{m.name}" for m, _backwards in plan),
        unknown=tuple(sorted(f"{app}.{name}" for app, name in loader.applied_migrations if (app, name) not in known)),
    )


def check_migrations() -> str | None:
    status = migration_status()
    if status.unapplied:
        raise CheckFailed(f"unapplied migrations: {', '.join(status.unapplied)}")
    # Ahead is how the old release runs while a new one rolls out (release migrates first), and after a code
    # rollback: expand/contract migrations keep it working, so it is reported but still ready.
    return "ahead" if status.unknown else None


CHECKS: dict[str, Callable[[], str | None]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "migrations": check_migrations,
}


def _run(name: str, check: Callable[[], str | None]) -> CheckResult:
    started = time.perf_counter()
    try:
        status = check() or "ok"
    except Exception as exc:  # any failure means "not ready", whatever raised it
        ms = round((time.perf_counter() - started) * 1000, 1)
        HEALTH_CHECK_FAILURES.labels(check=name).inc()
        logger.warning("health_check_failed", check=name, error=str(exc), error_type=type(exc).__name__)
        return CheckResult(name, "failed", ms, type(exc).__name__)
    return CheckResult(name, status, round((time.perf_counter() - started) * 1000, 1))


def readiness() -> tuple[bool, dict[str, dict]]:
    """Run every readiness check; answer whether all passed and each one's result."""
    results = [_run(name, check) for name, check in CHECKS.items()]
    return all(r.ok for r in results), {r.name: r.as_dict() for r in results}
