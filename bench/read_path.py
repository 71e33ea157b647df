"""Benchmark 1, the client read path: `me/plan/` (7 days x 8 exercises) and a trainer's `clients/` (30 clients).

    python -m bench.read_path        (make bench-read)

Budget: at least 0.5 of the baseline's (bench/ping/) requests/s, and queries per request that do not
grow with the plan's or the client list's size.
"""

from bench import harness
from bench.api_load import baseline_row, queries_per_request, scenarios_run, status_ok

BUDGET = 0.5
CLIENTS = 30


def main() -> None:
    harness.setup()
    from bench import seed

    harness.log(f"seeding a trainer with {CLIENTS} clients, each with an active 7x8 plan and workouts")
    trainer = seed.trainer_create()
    clients = [seed.client_create(trainer=trainer, number=n) for n in range(CLIENTS)]
    for client in clients:
        plan = seed.active_plan_create(trainer=trainer, client=client, days=7, per_day=8)
        seed.workouts_log(client=client, plan=plan, count=3)
    # The same reads at their smallest, for the queries-per-request check.
    small_trainer = seed.trainer_create("bench-small-trainer")
    small_client = seed.client_create(trainer=small_trainer, number=0, prefix="bench-small")
    seed.active_plan_create(trainer=small_trainer, client=small_client, days=1, per_day=1)

    trainer_token = harness.access_token(trainer)
    client_tokens = [harness.access_token(client) for client in clients]
    queries = {
        "me/plan/": (
            queries_per_request("/api/v1/me/plan/", harness.access_token(small_client)),
            queries_per_request("/api/v1/me/plan/", client_tokens[0]),
        ),
        "clients/": (
            queries_per_request("/api/v1/clients/", harness.access_token(small_trainer)),
            queries_per_request("/api/v1/clients/?page_size=100", trainer_token),
        ),
    }

    baseline_requests = [harness.get("/bench/ping/", token) for token in client_tokens]
    scenarios = [
        ("me/plan/ (7x8)", [harness.get("/api/v1/me/plan/", token) for token in client_tokens]),
        (f"clients/ ({CLIENTS})", [harness.get("/api/v1/clients/?page_size=100", trainer_token)]),
    ]
    with harness.server() as port:
        baseline, results = scenarios_run(port, scenarios, baseline_requests)

    rows = [baseline_row(baseline)]
    ok = status_ok(baseline)
    for (name, result), (small, large) in zip(results, queries.values(), strict=True):
        ratio = result["rps"] / baseline["rps"]
        met = ratio >= BUDGET and small == large and status_ok(result)
        ok = ok and met
        rows.append(
            [
                name,
                result["requests"],
                result["rps"],
                result["p50_ms"],
                result["p99_ms"],
                ratio,
                f"{small} -> {large}",
                f">= {BUDGET}",
                harness.verdict(met),
            ]
        )
    harness.report(
        harness.table(
            f"Client read path: gunicorn {harness.WORKERS} sync workers, {harness.CONCURRENCY} connections, "
            f"{harness.DURATION:.0f} s a scenario (baseline spread over slices {baseline['drift']:.0%})",
            [
                "endpoint",
                "requests",
                "req/s",
                "p50 ms",
                "p99 ms",
                "x baseline",
                "queries small -> large",
                "budget",
                "verdict",
            ],
            rows,
        )
    )
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
