"""A bounded HTTP load generator, run as its own process: `python -m bench.loadgen < spec.json`.

Threads with the standard library's http.client, one new connection per request (gunicorn's sync
workers close each connection after its response, as behind nginx). It stops at `max_requests`
or after `duration` seconds, whichever comes first, and prints one JSON summary: requests/s over the
measured window, latency percentiles over every measured request, and status counts. Threads spend
their time blocked on sockets, so one process keeps 8 to 16 connections busy for a small share of a core.
"""

import http.client
import itertools
import json
import sys
import threading
import time


def _percentile(sorted_values: list[float], share: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(share * len(sorted_values)) - 1))
    return sorted_values[index]


def run(spec: dict) -> dict:
    host, port = spec["host"], spec["port"]
    requests = spec["requests"]
    once, concurrency = spec["once"], spec["concurrency"]
    max_requests, duration, warmup = spec["max_requests"], spec["duration"], spec["warmup"]
    base_headers = {"Host": host, "X-Forwarded-Proto": "https", "Connection": "close"}

    lock = threading.Lock()
    order = itertools.count()
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    errors: list[str] = []
    started = time.monotonic()
    measure_from = started + warmup
    stop_at = measure_from + duration
    measured = 0

    def one(item: dict) -> tuple[int, float]:
        body = item.get("body")
        connection = http.client.HTTPConnection(host, port, timeout=60)
        begin = time.monotonic()
        try:
            connection.request(item["method"], item["path"], body=body, headers={**base_headers, **item["headers"]})
            response = connection.getresponse()
            payload = response.read()
            status = response.status
        finally:
            connection.close()
        elapsed = time.monotonic() - begin
        if status >= 400 and len(errors) < 5:
            with lock:
                errors.append(f"{status} {item['method']} {item['path']}: {payload[:300]!r}")
        return status, elapsed

    def worker() -> None:
        nonlocal measured
        while True:
            now = time.monotonic()
            if now >= stop_at:
                return
            n = next(order)
            if once and n >= len(requests):
                return
            in_window = now >= measure_from
            if in_window:
                with lock:
                    if measured >= max_requests:
                        return
                    measured += 1
            try:
                status, elapsed = one(requests[n % len(requests)])
            except OSError as exc:
                status, elapsed = 0, 0.0
                with lock:
                    if len(errors) < 5:
                        errors.append(repr(exc))
            if in_window:
                with lock:
                    latencies.append(elapsed)
                    statuses[str(status)] = statuses.get(str(status), 0) + 1

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    window = time.monotonic() - max(measure_from, started)
    latencies.sort()
    return {
        "requests": len(latencies),
        "seconds": round(window, 3),
        "rps": len(latencies) / window if window > 0 else 0.0,
        "p50_ms": _percentile(latencies, 0.50) * 1000,
        "p99_ms": _percentile(latencies, 0.99) * 1000,
        "statuses": statuses,
        "errors": errors,
        "latencies_ms": [round(value * 1000, 3) for value in latencies],
    }


if __name__ == "__main__":
    print(json.dumps(run(json.load(sys.stdin))))
