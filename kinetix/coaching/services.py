"""Writes of the coaching domain; each service is one transaction."""

import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from kinetix.accounts.models import User
from kinetix.accounts.selectors import client_get_for_trainer
from kinetix.coaching import selectors
from kinetix.coaching.models import (
    Exercise,
    ExerciseMuscle,
    PlanDay,
    PlannedExercise,
    PlanStatus,
    SetLog,
    WeeklyPlan,
)
from kinetix.coaching.plan_document import ValidatedPlan, document_validate
from kinetix.errors import ApplicationError, FieldError

WEEK = datetime.timedelta(days=7)


# Exercise library ------------------------------------------------------------------------------


def _unique_slug(name: str) -> str:
    base = slugify(name)[:70] or "exercise"
    taken = set(Exercise.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, suffix = base, 2
    while slug in taken:
        slug, suffix = f"{base}-{suffix}", suffix + 1
    return slug


def _muscles_set(*, exercise: Exercise, primary: list[str], secondary: list[str]) -> None:
    overlap = set(primary) & set(secondary)
    if overlap:
        message = f"A muscle is either primary or secondary, not both: {', '.join(sorted(overlap))}."
        raise ApplicationError("invalid", message, errors=[FieldError("secondary_muscles", "overlap", message)])
    exercise.muscles.all().delete()
    ExerciseMuscle.objects.bulk_create(
        [ExerciseMuscle(exercise=exercise, muscle=muscle, is_primary=True) for muscle in dict.fromkeys(primary)]
        + [ExerciseMuscle(exercise=exercise, muscle=muscle, is_primary=False) for muscle in dict.fromkeys(secondary)]
    )


@transaction.atomic
def exercise_create(
    *,
    owner: User,
    name: str,
    equipment: str,
    primary_muscles: list[str],
    secondary_muscles: list[str] = (),
    level: str = "beginner",
    mechanics: str = "compound",
    category: str = "strength",
    instructions: str = "",
) -> Exercise:
    """Add a private exercise to a trainer's library; its slug is derived from the name."""
    exercise = Exercise.objects.create(
        slug=_unique_slug(name),
        name=name,
        equipment=equipment,
        level=level,
        mechanics=mechanics,
        category=category,
        instructions=instructions,
        owner=owner,
    )
    _muscles_set(exercise=exercise, primary=list(primary_muscles), secondary=list(secondary_muscles))
    return exercise


@transaction.atomic
def exercise_update(*, exercise: Exercise, **fields: Any) -> Exercise:
    """Change a private exercise; the slug stays so that plans naming it keep working."""
    primary = fields.pop("primary_muscles", None)
    secondary = fields.pop("secondary_muscles", None)
    for field, value in fields.items():
        setattr(exercise, field, value)
    if fields:
        exercise.save(update_fields=list(fields))
    if primary is not None or secondary is not None:
        current = list(exercise.muscles.all())
        _muscles_set(
            exercise=exercise,
            primary=primary if primary is not None else [x.muscle for x in current if x.is_primary],
            secondary=secondary if secondary is not None else [x.muscle for x in current if not x.is_primary],
        )
    return exercise


@transaction.atomic
def exercise_delete(*, exercise: Exercise) -> None:
    """Delete a private exercise that no plan or workout uses."""
    in_use = (
        PlannedExercise.objects.filter(exercise=exercise).exists() or SetLog.objects.filter(exercise=exercise).exists()
    )
    if in_use:
        raise ApplicationError("exercise_in_use", "Plans or workouts use this exercise.", status_code=409)
    exercise.delete()


# Weekly plans ----------------------------------------------------------------------------------


def _plan_content_write(*, plan: WeeklyPlan, validated: ValidatedPlan) -> None:
    """Store the document's days and prescriptions, keeping the rows whose ids it carries."""
    document = validated.document
    plan.title, plan.goal, plan.level, plan.notes = document.title, document.goal, document.level, document.notes
    plan.save()

    days_by_weekday = {day.weekday: day for day in plan.days.all()}
    planned_by_id = {p.id: p for p in PlannedExercise.objects.filter(day__plan=plan)}
    kept_days, new_days = [], []
    for day_document in document.days:
        day = days_by_weekday.pop(day_document.weekday, None) or PlanDay(plan=plan, weekday=day_document.weekday)
        day.title, day.notes = day_document.title, day_document.notes
        (kept_days if day.pk else new_days).append(day)
    PlanDay.objects.bulk_update(kept_days, ["title", "notes"])
    PlanDay.objects.bulk_create(new_days)
    PlanDay.objects.filter(pk__in=[day.pk for day in days_by_weekday.values()]).delete()

    days = {day.weekday: day for day in kept_days + new_days}
    kept, new = [], []
    for day_document in document.days:
        for order, item in enumerate(day_document.exercises):
            planned = planned_by_id.pop(item.id, None) or PlannedExercise()
            planned.day = days[day_document.weekday]
            planned.exercise_id = validated.exercise_ids[item.exercise]
            planned.order = order
            for field in ("sets", "reps_min", "reps_max", "rest_seconds", "rpe", "load_kg", "tempo", "notes"):
                setattr(planned, field, getattr(item, field))
            (kept if planned.pk else new).append(planned)
    fields = ["day", "exercise", "order", "sets", "reps_min", "reps_max", "rest_seconds", "rpe", "load_kg", "tempo"]
    PlannedExercise.objects.bulk_update(kept, [*fields, "notes"])
    PlannedExercise.objects.bulk_create(new)
    PlannedExercise.objects.filter(pk__in=list(planned_by_id)).delete()


@transaction.atomic
def plan_create(
    *, trainer: User, client_id: int, week_start: datetime.date, document: Any, status: str = PlanStatus.DRAFT
) -> WeeklyPlan:
    """Create a draft plan for one of the trainer's clients from a WeeklyPlan document."""
    client = client_get_for_trainer(trainer=trainer, client_id=client_id)
    validated = document_validate(document, exercises=selectors.exercises_visible(user=trainer))
    plan = WeeklyPlan(trainer=trainer, client=client, week_start=week_start)
    _plan_content_write(plan=plan, validated=validated)
    if status == PlanStatus.ACTIVE:
        plan = plan_activate(plan=plan)
    return plan


@transaction.atomic
def plan_update(*, plan: WeeklyPlan, document: Any, week_start: datetime.date | None = None) -> WeeklyPlan:
    """Replace a plan's document; prescriptions whose ids come back keep their logged sets."""
    plan = WeeklyPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status == PlanStatus.ARCHIVED:
        raise ApplicationError("plan_archived", "An archived plan cannot be changed.", status_code=409)
    validated = document_validate(document, exercises=selectors.exercises_visible(user=plan.trainer))
    if week_start is not None and week_start != plan.week_start:
        if plan.status == PlanStatus.ACTIVE:
            raise ApplicationError(
                "plan_active",
                "Move an active plan to another week by activating a new plan there.",
                status_code=409,
                errors=[FieldError("week_start", "plan_active", "An active plan keeps its week.")],
            )
        plan.week_start = week_start
    _plan_content_write(plan=plan, validated=validated)
    return plan


@transaction.atomic
def plan_delete(*, plan: WeeklyPlan) -> None:
    """Delete a plan; workouts logged against it keep their sets."""
    plan.delete()


@transaction.atomic
def plan_activate(*, plan: WeeklyPlan) -> WeeklyPlan:
    """Publish a plan to its client, archiving any active plan whose week overlaps it."""
    # Lock the client's row so that two activations for one client run one after the other.
    User.objects.select_for_update().filter(pk=plan.client_id).first()
    plan = WeeklyPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status == PlanStatus.ACTIVE:
        return plan
    if plan.status == PlanStatus.ARCHIVED:
        raise ApplicationError("plan_archived", "An archived plan cannot be activated again.", status_code=409)
    overlapping = Q(week_start__gt=plan.week_start - WEEK, week_start__lt=plan.week_start + WEEK)
    WeeklyPlan.objects.filter(overlapping, client_id=plan.client_id, status=PlanStatus.ACTIVE).update(
        status=PlanStatus.ARCHIVED, updated_at=timezone.now()
    )
    plan.status = PlanStatus.ACTIVE
    plan.activated_at = timezone.now()
    plan.save(update_fields=["status", "activated_at", "updated_at"])
    return plan


@transaction.atomic
def plan_archive(*, plan: WeeklyPlan) -> WeeklyPlan:
    """Withdraw a plan from its client."""
    plan.status = PlanStatus.ARCHIVED
    plan.save(update_fields=["status", "updated_at"])
    return plan
