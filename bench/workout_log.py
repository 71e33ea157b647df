"""Benchmark 2, workout logging: `POST workouts/` with 20 sets against the client's plan.

    python -m bench.workout_log        (make bench-workouts)

Budget: at least 0.3 of the baseline's (bench/ping/) requests/s. Each request stores a workout, its 20 sets and
its trainer's notice, and queues a drain of the notices as a Celery task in Redis unless one is queued already,
as in production; no worker runs it during the bench (the check counts the waiting notices and the queued drains).
"""

import json

from bench import harness
from bench.api_load import baseline_row, queries_per_request, scenarios_run, status_ok

BUDGET = 0.3
CLIENTS = 30
SETS = 20
DRAIN_TASK = "coaching.workout_notices_send"


def tasks_queued(name: str) -> int:
    """Count the messages of one task waiting in Celery's default queue."""
    import redis

    messages = redis.Redis.from_url(harness.REDIS_URL).lrange("celery", 0, -1)
    return sum(json.loads(message)["headers"]["task"] == name for message in messages)


def workout_body(plan, client) -> dict:
    """Today's-or-earlier plan day, 20 sets over its prescriptions, each naming the prescription it fulfils."""
    days = list(plan.days.all())
    day = days[0]
    prescriptions = list(day.exercises.all())
    sets = [
        {
            "exercise": prescriptions[n % len(prescriptions)].exercise.slug,
            "planned_exercise": prescriptions[n % len(prescriptions)].id,
            "set_number": n // len(prescriptions) + 1,
            "reps": 8,
            "load_kg": 62.5,
            "rpe": 8,
        }
        for n in range(SETS)
    ]
    return {
        "date": plan.week_start.isoformat(),
        "plan_day": day.id,
        "duration_minutes": 60,
        "perceived_effort": 7,
        "sets": sets,
    }


def main() -> None:
    harness.setup()
    from bench import seed

    harness.log(f"seeding a trainer with {CLIENTS} clients, each with an active 7x8 plan")
    trainer = seed.trainer_create()
    clients = [seed.client_create(trainer=trainer, number=n) for n in range(CLIENTS)]
    posts, pings = [], []
    for client in clients:
        plan = seed.active_plan_create(trainer=trainer, client=client, days=7, per_day=8)
        token = harness.access_token(client)
        posts.append(harness.post("/api/v1/workouts/", token, workout_body(plan, client)))
        pings.append(harness.get("/bench/ping/", token))
    queries = queries_per_request(
        "/api/v1/workouts/", posts[0]["headers"]["Authorization"].split()[1], method="post", body=posts[0]["body"]
    )

    with harness.server() as port:
        baseline, results = scenarios_run(port, [(f"POST workouts/ ({SETS} sets)", posts)], pings)

    from kinetix.coaching.models import SetLog, WorkoutNotice, WorkoutSession

    stored = WorkoutSession.objects.count()
    sets_stored = SetLog.objects.count()
    notices = WorkoutNotice.objects.count()
    drains_queued = tasks_queued(DRAIN_TASK)
    rows = [baseline_row(baseline)]
    name, result = results[0]
    ratio = result["rps"] / baseline["rps"]
    stored_ok = sets_stored == stored * SETS and stored >= result["requests"] and notices == stored and drains_queued
    met = ratio >= BUDGET and status_ok(result) and stored_ok
    rows.append(
        [
            name,
            result["requests"],
            result["rps"],
            result["p50_ms"],
            result["p99_ms"],
            ratio,
            queries,
            f">= {BUDGET}",
            harness.verdict(met),
        ]
    )
    harness.report(
        harness.table(
            f"Workout logging: gunicorn {harness.WORKERS} sync workers, {harness.CONCURRENCY} connections, "
            f"{harness.DURATION:.0f} s a scenario (baseline spread over slices {baseline['drift']:.0%}); "
            f"{stored:,} workouts with {sets_stored:,} sets and {notices:,} notices stored, "
            f"{drains_queued:,} {DRAIN_TASK} tasks queued",
            ["endpoint", "requests", "req/s", "p50 ms", "p99 ms", "x baseline", "queries/request", "budget", "verdict"],
            rows,
        )
    )
    raise SystemExit(0 if met and status_ok(baseline) else 1)


if __name__ == "__main__":
    main()
