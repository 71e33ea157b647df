"""Shared by the HTTP benchmarks: run scenarios interleaved with the baseline, and count queries."""

from collections.abc import Callable

from bench import harness

# Each scenario and the baseline run in this many alternating slices, so that whatever else the shared
# machine does during the run weighs on both alike.
ROUNDS = 5


def merge(parts: list[dict]) -> dict:
    """Add up the slices of one scenario: requests/s over their time, percentiles over every request."""
    latencies = sorted(value for part in parts for value in part["latencies_ms"])
    seconds = sum(part["seconds"] for part in parts)
    statuses: dict[str, int] = {}
    for part in parts:
        for status, count in part["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count

    def percentile(share: float) -> float:
        return latencies[min(len(latencies) - 1, max(0, round(share * len(latencies)) - 1))] if latencies else 0.0

    return {
        "requests": len(latencies),
        "seconds": seconds,
        "rps": len(latencies) / seconds if seconds else 0.0,
        "p50_ms": percentile(0.50),
        "p99_ms": percentile(0.99),
        "statuses": statuses,
        "errors": [error for part in parts for error in part["errors"]][:5],
        "slices_rps": [part["rps"] for part in parts],
    }


def scenarios_run(port: int, scenarios: list[tuple[str, list[dict]]], baseline: list[dict]) -> tuple[dict, list]:
    """Load the baseline and each scenario in ROUNDS alternating slices; return the baseline and each result.

    Each gets harness.DURATION seconds in all (and at most harness.MAX_REQUESTS requests), after one warm-up.
    """
    slice_seconds = harness.DURATION / ROUNDS
    slice_requests = max(1, harness.MAX_REQUESTS // ROUNDS)
    parts: dict[str, list[dict]] = {"baseline": [], **{name: [] for name, _ in scenarios}}
    for round_ in range(ROUNDS):
        warmup = harness.WARMUP if round_ == 0 else 0.3
        for name, requests in [("baseline", baseline), *scenarios]:
            parts[name].append(
                harness.load(port, requests, duration=slice_seconds, max_requests=slice_requests, warmup=warmup)
            )
    merged = {name: merge(found) for name, found in parts.items()}
    for name, result in merged.items():
        harness.log(f"{name}: {result['rps']:.0f} req/s, statuses {result['statuses']}")
        if result["errors"]:
            harness.log(f"{name} errors: {result['errors']}")
    base = merged.pop("baseline")
    rates = base["slices_rps"]
    base["drift"] = (max(rates) - min(rates)) / max(max(rates), 1e-9)
    return base, [(name, merged[name]) for name, _ in scenarios]


def queries_per_request(path: str, token: str, *, method: str = "get", body: object = None) -> int:
    """Count the SQL queries one request makes, in-process through the whole middleware stack."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=harness.HOST, HTTP_AUTHORIZATION=f"Bearer {token}")
    call: Callable = getattr(client, method)
    kwargs = {"content_type": "application/json", "data": body} if body is not None else {}
    call(path, secure=True, **kwargs)  # warm: first-request caches (content types, templates) stay out
    with CaptureQueriesContext(connection) as queries:
        response = call(path, secure=True, **kwargs)
    assert response.status_code < 400, (path, response.status_code, response.content[:300])
    return len(queries)


def baseline_row(baseline: dict) -> list:
    """The table row of the baseline (`bench/ping/`), in the columns the API benchmarks print."""
    measured = [baseline[key] for key in ("requests", "rps", "p50_ms", "p99_ms")]
    return ["bench/ping/ (baseline)", *measured, 1.0, "-", "-", "-"]


def status_ok(result: dict) -> bool:
    return set(result["statuses"]) <= {"200", "201"} and result["requests"] > 0
