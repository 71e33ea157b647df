"""Load demo data: a trainer, three clients with this week's plans, two weeks of workouts."""

import datetime
import random
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q

from kinetix.accounts import services as account_services
from kinetix.accounts.models import Role, User
from kinetix.coaching import services
from kinetix.coaching.models import BodyMetric, Exercise, PlanDay, WeeklyPlan, WorkoutSession

PASSWORD = "kinetix-demo-2026"  # noqa: S105 - published demo logins, refused outside DEBUG
TRAINER = ("coach@kinetix.test", "Maja Coach")
CLIENTS = [
    # e-mail, name, locale, time zone, equipment, split
    (
        "ana@kinetix.test",
        "Ana Client",
        "en",
        "Europe/London",
        ["barbell", "dumbbell", "cable", "machine"],
        "upper_lower",
    ),
    ("marko@kinetix.test", "Marko Klijent", "sr-latn", "Europe/Belgrade", ["dumbbell", "kettlebell", "band"], "full"),
    ("jelena@kinetix.test", "Jelena Klijent", "sr-latn", "Europe/Belgrade", ["barbell", "dumbbell", "machine"], "ppl"),
]
# Each day lists the muscles to train, the first of each group taken by a compound lift.
SPLITS = {
    "upper_lower": [
        (1, "Upper A", ["chest", "lats", "side_delts", "triceps", "biceps"]),
        (2, "Lower A", ["quads", "hamstrings", "glutes", "calves", "abs"]),
        (4, "Upper B", ["upper_back", "chest", "front_delts", "biceps", "triceps"]),
        (5, "Lower B", ["hamstrings", "quads", "glutes", "calves", "obliques"]),
    ],
    "full": [
        (1, "Full body A", ["quads", "chest", "lats", "hamstrings", "abs"]),
        (3, "Full body B", ["glutes", "front_delts", "upper_back", "quads", "obliques"]),
        (5, "Full body C", ["hamstrings", "chest", "lats", "side_delts", "abs"]),
    ],
    "ppl": [
        (1, "Push", ["chest", "front_delts", "side_delts", "triceps"]),
        (2, "Pull", ["lats", "upper_back", "rear_delts", "biceps"]),
        (3, "Legs", ["quads", "hamstrings", "glutes", "calves"]),
        (5, "Upper", ["chest", "lats", "side_delts", "triceps", "biceps"]),
        (6, "Lower", ["quads", "glutes", "hamstrings", "abs"]),
    ],
}


class Command(BaseCommand):
    help = "Create (or refresh) the demo trainer and clients with current plans and logged workouts."

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo creates logins with a published password; it runs only with DJANGO_DEBUG on.")
        with transaction.atomic():
            trainer = self._user(TRAINER[0], TRAINER[1], Role.TRAINER)
            if not User.objects.filter(email="admin@kinetix.test").exists():
                User.objects.create_superuser("admin@kinetix.test", PASSWORD, full_name="Kinetix Admin")
            rng = random.Random(2026)  # the same demo every time  # noqa: S311
            for email, name, locale, tz, equipment, split in CLIENTS:
                client = self._client(trainer, email, name, locale, tz)
                self._history(trainer, client, equipment, SPLITS[split], rng)
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Sign in with:"))
        self.stdout.write(f"  admin (superuser)  admin@kinetix.test / {PASSWORD}")
        self.stdout.write(f"  trainer            {TRAINER[0]} / {PASSWORD}   (also in the admin)")
        for email, *_ in CLIENTS:
            self.stdout.write(f"  client             {email} / {PASSWORD}")
        self.stdout.write("API: http://127.0.0.1:8000/api/v1/  docs: /api/docs/  admin: /admin/")

    def _user(self, email: str, name: str, role: str) -> User:
        user = User.objects.filter(email=email).first()
        return user or account_services.user_register(email=email, password=PASSWORD, role=role, full_name=name)

    def _client(self, trainer: User, email: str, name: str, locale: str, tz: str) -> User:
        client = User.objects.filter(email=email).first()
        if client is None:
            invitation = account_services.invitation_create(trainer=trainer, email=email)
            client = account_services.user_register(
                email=email,
                password=PASSWORD,
                invite_code=invitation.code,
                full_name=name,
                locale=locale,
                timezone_name=tz,
            )
        return client

    def _history(self, trainer: User, client: User, equipment: list[str], split: list, rng: random.Random) -> None:
        # Start over, so that the demo always covers the current week.
        WorkoutSession.objects.filter(client=client).delete()
        WeeklyPlan.objects.filter(client=client).delete()
        BodyMetric.objects.filter(client=client).delete()
        today = client.local_today()
        this_monday = today - datetime.timedelta(days=today.weekday())
        document = _document(equipment, split)
        for week in (2, 1, 0):
            monday = this_monday - datetime.timedelta(weeks=week)
            plan = services.plan_create(trainer=trainer, client_id=client.id, week_start=monday, document=document)
            services.plan_activate(plan=plan)
            for day in PlanDay.objects.filter(plan=plan).prefetch_related("exercises__exercise"):
                date = monday + datetime.timedelta(days=day.weekday - 1)
                if date < today and rng.random() < 0.85:
                    services.workout_log_create(
                        client=client, date=date, plan_day_id=day.id, sets=_performed_sets(day, week, rng)
                    )
        weight = Decimal(rng.randint(62, 92))
        for days_ago in range(14, -1, -2):
            services.body_metric_record(
                client=client,
                date=today - datetime.timedelta(days=days_ago),
                weight_kg=weight - Decimal(days_ago) / 10,
                waist_cm=Decimal(80 + rng.randint(-4, 4)),
            )


PYRAMID = [
    {"reps_min": 10, "reps_max": 12, "rpe": 7, "load_kg": None},
    {"reps_min": 8, "reps_max": 10, "rpe": 8, "load_kg": None},
    {"reps_min": 6, "reps_max": 8, "rpe": 8.5, "load_kg": None},
    {"reps_min": 6, "reps_max": 8, "rpe": 9, "load_kg": None},
]


def _document(equipment: list[str], split: list) -> dict:
    allowed = Q(owner__isnull=True, category="strength", equipment__in=[*equipment, "bodyweight"])
    days = []
    for weekday, title, muscles in split:
        used: set[str] = set()
        exercises = []
        for index, muscle in enumerate(muscles):
            candidates = Exercise.objects.filter(allowed, muscles__muscle=muscle, muscles__is_primary=True)
            candidates = candidates.exclude(slug__in=used).order_by("mechanics" if index < 2 else "-mechanics", "name")
            exercise = candidates.first()
            if exercise is None:
                continue
            used.add(exercise.slug)
            compound = exercise.mechanics == "compound"
            # The day's main lift climbs set by set (per-set targets); the rest are sets alike.
            if compound and not exercises:
                sets = {"set_targets": PYRAMID}
            elif compound:
                sets = {"sets": 4, "reps_min": 6, "reps_max": 10, "rpe": 8}
            else:
                sets = {"sets": 3, "reps_min": 10, "reps_max": 15, "rpe": 8}
            exercises.append({"exercise": exercise.slug, **sets, "rest_seconds": 150 if compound else 75})
        days.append({"weekday": weekday, "title": title, "exercises": exercises})
    return {"schema_version": 2, "title": "Demo program", "goal": "hypertrophy", "level": "intermediate", "days": days}


def _performed_sets(day: PlanDay, weeks_ago: int, rng: random.Random) -> list[dict]:
    sets = []
    for planned in day.exercises.all():
        base = Decimal(rng.choice([20, 30, 40, 50, 60, 80])) + 2 * (2 - weeks_ago)
        for number in range(1, planned.sets + 1):
            sets.append(
                {
                    "exercise": planned.exercise.slug,
                    "planned_exercise": planned.id,
                    "set_number": number,
                    "reps": rng.randint(planned.reps_min, planned.reps_max),
                    "load_kg": base if planned.exercise.equipment != "bodyweight" else Decimal(0),
                    "rpe": Decimal(rng.choice([7, 7.5, 8, 8.5])),
                }
            )
    return sets
