"""Benchmark 5, training-data export: plans streamed as JSON Lines against PostgreSQL's COPY of their rows.

    python -m bench.export                                   (make bench-export: 10,000 and 30,000 plans)
    BENCH_EXPORT_SIZES=10000,100000 python -m bench.export   (the issue's sizes: about 5 minutes here)
    python -m bench.export --profile                         (pyinstrument over the export at the first size)

Seeding: creating 100,000 plans through the services would take hours here, so the plans are written
with INSERT ... SELECT, shaped as the services store them: 10 clients a trainer, a year of weekly plans
each (3 days x 5 prescriptions of library exercises, titles and notes naming the client), one plan in ten
approved from an AI draft (a PlanGeneration with its request and approved document). Plans are numbered
week by week, as trainers write them, so consecutive plans belong to different people. Each size adds
plans to the previous one.

Each measurement runs in a fresh child process, so that its peak memory is its own:
- baseline: `COPY (SELECT ...) TO STDOUT` through psycopg of the rows the exported plans are made of, with
  the columns their lines are made of (published plans with trainer, client, days, prescriptions and
  exercises, in the export's order; approved generations with trainer and client), run once before and
  once after the export and averaged;
- export: `training_data_lines(export_format="openai-chat")` (aiplans/training_data.py) consumed whole and
  encoded as the endpoint encodes it. Timed in-process: `GET ai/training-data/` streams this generator
  through a StreamingHttpResponse, so HTTP adds a socket write per line and nothing per plan. The endpoint
  is checked once at the first size through gunicorn: same bytes as in-process, and its own time.
Both rates count exported plans (JSON lines) per second. Budget: the export at least 1/5 of COPY's
rate, and peak RSS growth of the export from the first to the last size under 20 MiB (flat: a stream of
chunks holds one chunk, whatever the count).
"""

import http.client
import json
import math
import os
import subprocess
import sys
import time
import zlib

from bench import harness

SIZES = tuple(int(size) for size in os.environ.get("BENCH_EXPORT_SIZES", "10000,30000").split(","))
EXPORT_FORMAT = "openai-chat"  # the endpoint's default, and the heaviest: the system prompt on every line
MIN_RATE_RATIO = 1 / 5
FLAT_MIB = 20
PLANS_PER_CLIENT = 50  # a year of weekly plans
CLIENTS_PER_TRAINER = 10
AI_EVERY = 10  # one plan in ten was approved from an AI draft
FIRST_NAMES = ("Marko", "Ana", "Luka", "Maja", "Ivan", "Sara", "Nikola", "Elena", "Petar", "Jovana", "Stefan")
LAST_NAMES = ("Jovanovic", "Petrovic", "Nikolic", "Markovic", "Ilic", "Stankovic", "Pavlovic", "Horvat", "Novak")


# The rows of the exported plans, in the export's order, with every column its output is made of: published
# plans with their trainer and client, days, prescriptions and exercises; approved generations with theirs.
COPY_QUERIES = (
    """COPY (
        SELECT p.id, p.title, p.goal, p.level, p.notes, t.id, t.full_name, t.email, c.id, c.full_name, c.email,
               d.id, d.weekday, d.title, d.notes, x.id, x.sets, x.reps_min, x.reps_max, x.rest_seconds, x.rpe,
               x.load_kg, x.tempo, x.notes, x.set_targets, e.slug, e.equipment, e.category
        FROM coaching_weeklyplan p
        JOIN accounts_user t ON t.id = p.trainer_id
        JOIN accounts_user c ON c.id = p.client_id
        JOIN coaching_planday d ON d.plan_id = p.id
        JOIN coaching_plannedexercise x ON x.day_id = d.id
        JOIN coaching_exercise e ON e.id = x.exercise_id
        WHERE p.status IN ('active', 'archived')
          AND p.id NOT IN (SELECT plan_id FROM aiplans_plangeneration WHERE plan_id IS NOT NULL)
        ORDER BY p.id, d.weekday, x."order", x.id
    ) TO STDOUT""",
    """COPY (
        SELECT g.id, g.goal, g.level, g.equipment, g.days_per_week, g.session_minutes, g.injuries,
               g.approved_document, t.id, t.full_name, t.email, c.id, c.full_name, c.email
        FROM aiplans_plangeneration g
        JOIN accounts_user t ON t.id = g.trainer_id
        LEFT JOIN accounts_user c ON c.id = g.client_id
        WHERE g.status = 'approved' AND g.approved_document IS NOT NULL
        ORDER BY g.id
    ) TO STDOUT""",
)


# Seeding -------------------------------------------------------------------------------------------


def _people(first_client: int, end_client: int) -> list[tuple[int, int, int]]:
    """Create clients [first_client, end_client) and their trainers; return (index, client id, trainer id)."""
    from django.contrib.auth.hashers import make_password

    from kinetix.accounts.models import CoachingLink, Role, User

    unusable = make_password(None)  # as create_user(password=None) stores it

    def name(n: int) -> str:
        return f"{FIRST_NAMES[n % len(FIRST_NAMES)]} {LAST_NAMES[n // len(FIRST_NAMES) % len(LAST_NAMES)]}"

    def email(kind: str, n: int) -> str:
        return f"{name(n).lower().replace(' ', '.')}.{kind}{n}@bench.test"

    wanted = range(first_client // CLIENTS_PER_TRAINER, math.ceil(end_client / CLIENTS_PER_TRAINER))
    trainers = dict(User.objects.filter(email__in=[email("t", n) for n in wanted]).values_list("email", "id"))
    made = User.objects.bulk_create(
        User(email=email("t", n), password=unusable, full_name=name(n + 5), role=Role.TRAINER, is_staff=True)
        for n in wanted
        if email("t", n) not in trainers
    )
    trainers |= {user.email: user.pk for user in made}
    clients = User.objects.bulk_create(
        User(email=email("c", n), password=unusable, full_name=name(n), role=Role.CLIENT)
        for n in range(first_client, end_client)
    )
    people = [
        (n, client.pk, trainers[email("t", n // CLIENTS_PER_TRAINER)])
        for n, client in zip(range(first_client, end_client), clients, strict=True)
    ]
    CoachingLink.objects.bulk_create(CoachingLink(client_id=c, trainer_id=t) for _, c, t in people)
    return people


def seed(start: int, end: int) -> None:
    """Add plans number `start` to `end` (multiples of PLANS_PER_CLIENT), with their clients and trainers."""
    from django.db import connection, transaction

    from kinetix.coaching.models import Exercise

    people = _people(start // PLANS_PER_CLIENT, end // PLANS_PER_CLIENT)
    exercise_ids = list(Exercise.objects.filter(owner__isnull=True).order_by("pk").values_list("pk", flat=True))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM coaching_weeklyplan")
        (last_plan,) = cursor.fetchone()
        cursor.execute(
            """
            INSERT INTO coaching_weeklyplan
                (week_start, status, title, goal, level, notes, created_at, updated_at, activated_at,
                 client_id, trainer_id)
            SELECT DATE '2025-01-06' + 7 * w,
                   CASE WHEN w = %s - 1 THEN 'active' ELSE 'archived' END,
                   CASE WHEN mod(w, 4) = 0 THEN split_part(u.full_name, ' ', 1) || '''s ' ELSE '' END
                       || replace(g.goal, '_', ' ') || ' block, week ' || (w + 1),
                   g.goal, g.level,
                   'Keep two reps in reserve. Call ' || split_part(u.full_name, ' ', 1) || ' on Fridays.',
                   now(), now(), now(), c.client_id, c.trainer_id
            FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS c(n, client_id, trainer_id)
            JOIN accounts_user u ON u.id = c.client_id
            CROSS JOIN LATERAL (SELECT
                (ARRAY['strength', 'hypertrophy', 'fat_loss', 'endurance', 'general_fitness'])[1 + mod(c.n, 5)]
                    AS goal,
                (ARRAY['beginner', 'intermediate', 'advanced'])[1 + mod(c.n / 5, 3)] AS level) g
            CROSS JOIN generate_series(0, %s - 1) AS w
            ORDER BY w, c.n
            """,
            [PLANS_PER_CLIENT, *map(list, zip(*people, strict=True)), PLANS_PER_CLIENT],
        )
        cursor.execute(
            """
            INSERT INTO coaching_planday (weekday, title, notes, plan_id)
            SELECT d.weekday + mod(p.id, 2),
                   CASE WHEN d.weekday = 1 AND mod(p.id, 5) = 0
                        THEN split_part(u.full_name, ' ', 1) || '''s heavy day' ELSE d.title END,
                   CASE WHEN d.weekday = 5 THEN 'Short on time? Drop the last exercise.' ELSE '' END,
                   p.id
            FROM coaching_weeklyplan p
            JOIN accounts_user u ON u.id = p.client_id
            CROSS JOIN (VALUES (1, 'Full body A'), (3, 'Upper body'), (5, 'Lower body')) AS d(weekday, title)
            WHERE p.id > %s
            ORDER BY p.id, d.weekday
            """,
            [last_plan],
        )
        cursor.execute(
            """
            INSERT INTO coaching_plannedexercise
                (day_id, exercise_id, "order", sets, reps_min, reps_max, rest_seconds, rpe, load_kg, tempo, notes)
            SELECT d.id, (%s::bigint[])[1 + mod(d.plan_id * 7 + d.weekday * 5 + k, %s)], k,
                   3 + mod(d.id + k, 3), 6 + 2 * mod(k, 3), 10 + 2 * mod(k, 3), 60 + 30 * mod(k, 4),
                   CASE WHEN k < 3 THEN 7.5 + 0.5 * k END,
                   CASE WHEN k = 0 THEN 40 + mod(d.plan_id, 60) END,
                   CASE WHEN k = 1 THEN '3010' ELSE '' END,
                   CASE WHEN k = 0 THEN 'Last set to technical failure.' ELSE '' END
            FROM coaching_planday d CROSS JOIN generate_series(0, 4) AS k
            WHERE d.plan_id > %s
            ORDER BY d.id, k
            """,
            [exercise_ids, len(exercise_ids), last_plan],
        )
        # The approved document as the review stored it before WeeklyPlan version 2 (document_plain: no
        # ids, no per-set targets), which the export upgrades; the draft differs on every other one, as
        # when the trainer edited it before approving. Flagged as validated when stored, as migration
        # aiplans 0002 flags such documents (the services flag what they store).
        cursor.execute(
            """
            INSERT INTO aiplans_plangeneration
                (idempotency_key, request_fingerprint, status, goal, level, equipment, days_per_week,
                 session_minutes, injuries, notes, prompt_version, provider, model, input_tokens, output_tokens,
                 latency_ms, attempts, provider_retries, claimed_at, finished_at, failure_reason, draft, report,
                 approved_document, documents_validated, reviewed_at, rejection_reason, created_at, updated_at,
                 client_id, plan_id, requested_by_id, reviewed_by_id, trainer_id)
            SELECT '', '', 'approved', p.goal, p.level, '["barbell", "dumbbell", "cable", "machine"]', 3, 60,
                   CASE WHEN mod(p.id, 3 * %s) = 0 THEN '["knee"]' ELSE '[]' END::jsonb,
                   split_part(u.full_name, ' ', 1) || ' travels a lot; keep sessions short.',
                   'plan-v1', 'offline', 'offline', 1800, 900, 2500, 1, 0, now(), now(), '',
                   CASE WHEN mod(p.id, 2 * %s) = 0
                        THEN jsonb_set(doc.document, '{title}', to_jsonb('Draft: ' || p.title))
                        ELSE doc.document END,
                   '{"passed": true, "errors": [], "warnings": []}', doc.document, true, now(), '', now(), now(),
                   p.client_id, p.id, p.trainer_id, p.trainer_id, p.trainer_id
            FROM coaching_weeklyplan p
            JOIN accounts_user u ON u.id = p.client_id
            CROSS JOIN LATERAL (SELECT jsonb_build_object(
                'schema_version', 1, 'title', p.title, 'goal', p.goal, 'level', p.level, 'notes', p.notes,
                'days', (SELECT jsonb_agg(jsonb_build_object(
                    'weekday', d.weekday, 'title', d.title, 'notes', d.notes,
                    'exercises', (SELECT jsonb_agg(jsonb_build_object(
                        'exercise', e.slug, 'sets', x.sets, 'reps_min', x.reps_min, 'reps_max', x.reps_max,
                        'rest_seconds', x.rest_seconds, 'rpe', x.rpe, 'load_kg', x.load_kg, 'tempo', x.tempo,
                        'notes', x.notes) ORDER BY x."order", x.id)
                        FROM coaching_plannedexercise x JOIN coaching_exercise e ON e.id = x.exercise_id
                        WHERE x.day_id = d.id)) ORDER BY d.weekday)
                    FROM coaching_planday d WHERE d.plan_id = p.id)) AS document) doc
            WHERE p.id > %s AND mod(p.id, %s) = 0
            ORDER BY p.id
            """,
            [AI_EVERY, AI_EVERY, last_plan, AI_EVERY],
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# Measurements, each in a fresh child process --------------------------------------------------------


def _copy() -> dict:
    import psycopg

    rows = size = 0
    started = time.perf_counter()
    with psycopg.connect(os.environ["DATABASE_URL"]) as connection, connection.cursor() as cursor:
        for query in COPY_QUERIES:
            with cursor.copy(query) as copy:
                for block in copy:
                    rows += bytes(block).count(b"\n")
                    size += len(block)
    return {"seconds": time.perf_counter() - started, "rows": rows, "bytes": size}


def _export() -> dict:
    from aiplans.training_data import training_data_lines

    lines = size = crc = 0
    started = time.perf_counter()
    for line in training_data_lines(export_format=EXPORT_FORMAT):
        data = line.encode()  # as StreamingHttpResponse encodes each chunk
        lines += 1
        size += len(data)
        crc = zlib.crc32(data, crc)
    return {"seconds": time.perf_counter() - started, "lines": lines, "bytes": size, "crc": crc}


def _profile() -> dict:
    from pyinstrument import Profiler

    profiler = Profiler()
    with profiler:
        outcome = _export()
    print(profiler.output_text(unicode=True, color=False, show_all=False), file=sys.stderr)
    return outcome


def child(mode: str) -> None:
    """One measurement in this fresh process; print its JSON."""
    harness.attach()
    import aiplans.training_data  # noqa: F401 - imported before the start figure, as a worker has it

    rss_start = harness.rss_mib()
    outcome = {"copy": _copy, "export": _export, "profile": _profile}[mode]()
    print(json.dumps({**outcome, "rss_start_mib": rss_start, "peak_mib": harness.peak_rss_mib()}))


def _measure(mode: str) -> dict:
    result = subprocess.run(  # noqa: S603 - our own interpreter and module
        [harness.PYTHON, "-m", "bench.export", "--child", mode],
        cwd=harness.ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if result.returncode:
        raise RuntimeError(result.stderr[-3000:])
    if mode == "profile":
        print(result.stderr, file=sys.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])


def _over_http(port: int, token: str) -> dict:
    """GET the endpoint and read its stream as a client would, counting lines and checksumming the bytes."""
    connection = http.client.HTTPConnection(harness.HOST, port, timeout=60)
    headers = {"Host": harness.HOST, "X-Forwarded-Proto": "https", "Authorization": f"Bearer {token}"}
    started = time.perf_counter()
    connection.request("GET", f"/api/v1/ai/training-data/?format={EXPORT_FORMAT}", headers=headers)
    answer = connection.getresponse()
    lines = size = crc = 0
    status = answer.status
    try:
        while block := answer.read(1 << 16):
            lines += block.count(b"\n")
            size += len(block)
            crc = zlib.crc32(block, crc)
    except (http.client.IncompleteRead, ConnectionError):
        status = "cut off"  # the worker died mid-stream (gunicorn's timeout kills a sync worker's long answer)
    connection.close()
    return {"status": status, "seconds": time.perf_counter() - started, "lines": lines, "bytes": size, "crc": crc}


def main(*, profile: bool = False) -> None:
    harness.setup()
    from kinetix.accounts.models import User

    rows, growth, ok, seeded = [], {}, True, 0
    for plans in SIZES[:1] if profile else SIZES:
        started = time.perf_counter()
        seed(seeded, plans)
        seeded = plans
        harness.log(f"seeded {plans:,} plans in {time.perf_counter() - started:.0f} s")
        if profile:
            _measure("profile")
            return
        before = _measure("copy")
        run = _measure("export")
        after = _measure("copy")
        copy_seconds = (before["seconds"] + after["seconds"]) / 2
        copy_rate, export_rate = plans / copy_seconds, run["lines"] / run["seconds"]
        growth[plans] = run["peak_mib"] - run["rss_start_mib"]
        correct = run["lines"] == plans and before["rows"] == after["rows"]
        fast = export_rate >= MIN_RATE_RATIO * copy_rate
        ok = ok and correct and fast
        rows.append(
            [
                f"{plans:,} plans",
                f"{before['rows']:,} rows, {before['bytes'] / 2**20:,.0f} MiB",
                copy_seconds,
                copy_rate,
                f"{run['lines']:,} lines, {run['bytes'] / 2**20:,.0f} MiB",
                run["seconds"],
                export_rate,
                export_rate / copy_rate,
                growth[plans],
                harness.verdict(correct and fast),
            ]
        )
        if plans == SIZES[0]:
            # The endpoint once: the same generator behind gunicorn and DRF, checked byte for byte.
            staff = User.objects.create_superuser("export-staff@bench.test", None, full_name="Export Staff")
            with harness.server(workers=1) as port:
                http_run = _over_http(port, harness.access_token(staff))
            same = http_run["status"] == 200 and (http_run["lines"], http_run["crc"]) == (run["lines"], run["crc"])
            ok = ok and same
            rows.append(
                [
                    f"{plans:,} plans, GET ai/training-data/",
                    "-",
                    "-",
                    "-",
                    f"{http_run['lines']:,} lines, HTTP {http_run['status']}",
                    http_run["seconds"],
                    http_run["lines"] / http_run["seconds"],
                    http_run["lines"] / http_run["seconds"] / copy_rate,
                    "-",
                    harness.verdict(same) + (", same bytes" if same else ", bytes differ"),
                ]
            )
    flat = growth[SIZES[-1]] - growth[SIZES[0]]
    flat_ok = len(SIZES) == 1 or flat < FLAT_MIB
    ok = ok and flat_ok
    harness.report(
        harness.table(
            f"Training-data export ({EXPORT_FORMAT}) against COPY of the same rows (each a fresh process)",
            [
                "size",
                "COPY read",
                "COPY s",
                "COPY plans/s",
                "export wrote",
                "export s",
                "export plans/s",
                "x COPY (budget >= 0.20)",
                "export peak +MiB",
                "lines == plans, budget",
            ],
            rows,
        )
        + f"\nPeak memory growth from {SIZES[0]:,} to {SIZES[-1]:,} plans: {flat:.1f} MiB "
        f"(budget < {FLAT_MIB} MiB: {harness.verdict(flat_ok)})"
    )
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        main(profile="--profile" in sys.argv)
