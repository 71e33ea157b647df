"""Bench data made through the product's own services: a trainer's clients, their active plans and workouts."""

import datetime
import itertools

DAY = datetime.timedelta(days=1)


def exercise_slugs(count: int) -> list[str]:
    """Return `count` slugs of the shared library (which migrations load), repeating if it is smaller."""
    from kinetix.coaching.models import Exercise

    slugs = list(Exercise.objects.filter(owner__isnull=True).order_by("pk").values_list("slug", flat=True))
    return list(itertools.islice(itertools.cycle(slugs), count))


def plan_document(*, days: int, per_day: int, title: str = "Bench block") -> dict:
    """A WeeklyPlan document of `days` days with `per_day` prescriptions each, all different exercises."""
    slugs = iter(exercise_slugs(days * per_day))
    return {
        "title": title,
        "goal": "hypertrophy",
        "level": "intermediate",
        "notes": "Keep two reps in reserve.",
        "days": [
            {
                "weekday": weekday,
                "title": f"Day {weekday}",
                "exercises": [
                    {"exercise": next(slugs), "sets": 3, "reps_min": 8, "reps_max": 12, "rest_seconds": 90, "rpe": 8}
                    for _ in range(per_day)
                ],
            }
            for weekday in range(1, days + 1)
        ],
    }


def trainer_create(name: str = "bench-trainer"):
    from kinetix.accounts.models import Role, User

    return User.objects.create_user(f"{name}@bench.test", None, full_name=name.title(), role=Role.TRAINER)


def client_create(*, trainer, number: int, prefix: str = "bench-client"):
    from kinetix.accounts.models import CoachingLink, Role, User

    client = User.objects.create_user(
        f"{prefix}-{number}@bench.test", None, full_name=f"Client {number}", role=Role.CLIENT
    )
    CoachingLink.objects.create(trainer=trainer, client=client)
    return client


def this_monday(client) -> datetime.date:
    today = client.local_today()
    return today - today.weekday() * DAY


def active_plan_create(*, trainer, client, days: int = 7, per_day: int = 8):
    """Write and publish this week's plan for the client, as the trainer's API does."""
    from kinetix.coaching import selectors, services

    plan = services.plan_create(
        trainer=trainer,
        client_id=client.pk,
        week_start=this_monday(client),
        document=plan_document(days=days, per_day=per_day),
    )
    services.plan_activate(plan=plan)
    return selectors.plan_with_content(plan=plan)


def workouts_log(*, client, plan, count: int) -> None:
    """Log the plan's first `count` days as done this week, one set per prescription."""
    from kinetix.coaching import services

    for day in list(plan.days.all())[:count]:
        date = plan.week_start + (day.weekday - 1) * DAY
        if date > client.local_today():
            break
        sets = [
            {"exercise": p.exercise.slug, "planned_exercise": p.id, "set_number": 1, "reps": 10, "load_kg": 40}
            for p in day.exercises.all()
        ]
        services.workout_log_create(client=client, date=date, sets=sets, plan_day_id=day.id)
