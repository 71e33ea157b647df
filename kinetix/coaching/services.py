"""Writes of the coaching domain; each service writes in one transaction.

Logging a workout is one statement on PostgreSQL, a transaction of its own; draining the trainers' workout
notices takes one transaction per notice.
"""

import contextlib
import datetime
import functools
import operator
import re
import zoneinfo
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

import structlog
from django.conf import settings
from django.core.cache import cache
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Count, Q
from django.db.models.signals import post_save, pre_save
from django.utils import timezone
from django.utils.text import slugify
from pydantic import BaseModel, ConfigDict, Field, PlainValidator, StrictInt
from pydantic import ValidationError as PydanticValidationError

from kinetix.accounts.models import Role, User
from kinetix.accounts.selectors import client_get_for_trainer, client_trainer
from kinetix.coaching import selectors
from kinetix.coaching.models import (
    LOAD_KG,
    LOGGED_REPS,
    NOTES_LENGTH,
    RPE,
    SET_NUMBER,
    SETS_PER_WORKOUT,
    BodyMetric,
    Exercise,
    ExerciseMuscle,
    PlanDay,
    PlannedExercise,
    PlanStatus,
    SetLog,
    WeeklyPlan,
    WorkoutNotice,
    WorkoutSession,
)
from kinetix.coaching.plan_document import SUMMARY_FIELDS, PlannedExerciseDocument, ValidatedPlan, document_validate
from kinetix.errors import ApplicationError, FieldError
from monitoring.cache import CACHE_ERRORS
from monitoring.metrics import PLANS_ACTIVATED
from notifications.services import notify

logger = structlog.get_logger(__name__)

WEEK = datetime.timedelta(days=7)


# Exercise library ------------------------------------------------------------------------------


def _unique_slug(name: str) -> str:
    # Plan documents accept only lower-case words joined by single hyphens, and an all-digit
    # slug would be read as an id in URLs.
    base = re.sub(r"[-_]+", "-", slugify(name))[:70].strip("-")
    if not base or base.isdecimal():
        base = f"exercise-{base}" if base else "exercise"
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


def _set_targets_to_store(*, planned: PlannedExercise, item: PlannedExerciseDocument) -> list:
    """The prescription's per-set targets to store.

    Sets alike with the same summary as a stored prescription's per-set targets come from a sender that
    cannot see them (a version 1 client): the targets stay. Any other change replaces them.
    """
    targets = item.stored_set_targets()
    unchanged = planned.pk and all(getattr(planned, name) == getattr(item, name) for name in SUMMARY_FIELDS)
    return planned.set_targets if unchanged and not targets else targets


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
            set_targets = _set_targets_to_store(planned=planned, item=item)
            for field in ("sets", "reps_min", "reps_max", "rest_seconds", "rpe", "load_kg", "tempo", "notes"):
                setattr(planned, field, getattr(item, field))
            planned.set_targets = set_targets
            (kept if planned.pk else new).append(planned)
    fields = ["day", "exercise", "order", "sets", "reps_min", "reps_max", "rest_seconds", "rpe", "load_kg", "tempo"]
    PlannedExercise.objects.bulk_update(kept, [*fields, "notes", "set_targets"])
    PlannedExercise.objects.bulk_create(new)
    PlannedExercise.objects.filter(pk__in=list(planned_by_id)).delete()


@transaction.atomic
def plan_create(*, trainer: User, client_id: int, week_start: datetime.date, document: Any) -> WeeklyPlan:
    """Create a draft plan for one of the trainer's clients from a WeeklyPlan document."""
    client = client_get_for_trainer(trainer=trainer, client_id=client_id)
    validated = document_validate(document, exercises=selectors.exercises_visible(user=trainer))
    plan = WeeklyPlan(trainer=trainer, client=client, week_start=week_start)
    _plan_content_write(plan=plan, validated=validated)
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
def plan_activate(*, plan: WeeklyPlan, event: str = "plan_activated") -> WeeklyPlan:
    """Publish a plan to its client, archiving any active plan whose week overlaps it.

    `event` is the notification the client gets: an approved AI draft announces itself as such.
    """
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
    transaction.on_commit(PLANS_ACTIVATED.inc)
    notify(
        user=plan.client,
        event=event,
        context={
            "trainer_name": str(plan.trainer),
            "plan_title": plan.title,
            "week_start": plan.week_start,
            "plan_id": plan.pk,
        },
    )
    return plan


@transaction.atomic
def plan_archive(*, plan: WeeklyPlan) -> WeeklyPlan:
    """Withdraw a plan from its client."""
    plan.status = PlanStatus.ARCHIVED
    plan.save(update_fields=["status", "updated_at"])
    return plan


# Shared checks ---------------------------------------------------------------------------------


def _path_key(error: FieldError) -> tuple:
    # Order errors as a reader would: sets.2 before sets.10.
    return tuple((0, int(part), "") if part.isdecimal() else (1, 0, part) for part in error.path.split("."))


def _field_bounds(model: type[models.Model], name: str) -> tuple[Any, Any]:
    """Return the tightest (low, high) that the model field's validators allow."""
    validators = model._meta.get_field(name).validators
    lows = [v.limit_value for v in validators if isinstance(v, MinValueValidator)]
    highs = [v.limit_value for v in validators if isinstance(v, MaxValueValidator)]
    return max(lows, default=None), min(highs, default=None)


def _range_error(path: str, value: Any, low: Any, high: Any) -> FieldError | None:
    # The same codes pydantic gives, so that every bound breaks with one vocabulary.
    if low is not None and value < low:
        return FieldError(path, "greater_than_equal", f"Must be at least {low}.")
    if high is not None and value > high:
        return FieldError(path, "less_than_equal", f"Must be at most {high}.")
    return None


def _date_errors(*, client: User, date: datetime.date) -> list[FieldError]:
    latest = client.local_today() + datetime.timedelta(days=1)
    if date > latest:
        return [FieldError("date", "date_in_future", f"The date may not be after {latest} (tomorrow where you are).")]
    return []


def _notes_errors(notes: str) -> list[FieldError]:
    if len(notes) > NOTES_LENGTH:
        return [FieldError("notes", "string_too_long", f"At most {NOTES_LENGTH} characters.")]
    return []


def _client_only(user: User, action: str) -> None:
    if not user.is_client:
        raise ApplicationError("client_only", f"Only clients {action}.", status_code=403)


# Workouts --------------------------------------------------------------------------------------

EXERCISE_REFERENCE_LENGTH = Exercise._meta.get_field("slug").max_length


def _exercise_reference(value: Any) -> int | str:
    if isinstance(value, bool) or not isinstance(value, int | str) or (isinstance(value, str) and not value):
        raise ValueError("Give the exercise's slug or its integer id.")
    if isinstance(value, str) and len(value) > EXERCISE_REFERENCE_LENGTH:
        raise ValueError(f"An exercise slug has at most {EXERCISE_REFERENCE_LENGTH} characters.")
    return value


class LoggedSetInput(BaseModel):
    """One set a client performed, as logged; `exercise` is a slug (preferred) or an id."""

    model_config = ConfigDict(extra="forbid")

    exercise: Annotated[int | str, PlainValidator(_exercise_reference, json_schema_input_type=int | str)] = Field(
        description="Slug (preferred) or id of an exercise in your library."
    )
    planned_exercise: StrictInt | None = Field(
        default=None, description="Id of the prescription this set fulfils (from `me/plan/`)."
    )
    set_number: int = Field(ge=SET_NUMBER[0], le=SET_NUMBER[1])
    reps: int = Field(ge=LOGGED_REPS[0], le=LOGGED_REPS[1])
    load_kg: float = Field(
        ge=LOAD_KG[0], le=LOAD_KG[1], allow_inf_nan=False, description="0 for bodyweight; kept to 0.01 kg."
    )
    rpe: float | None = Field(default=None, ge=RPE[0], le=RPE[1], allow_inf_nan=False, description="Effort, 1 to 10.")


def _decimal(value: float | Decimal, places: int) -> Decimal:
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _sets_parse(sets: Any) -> tuple[list[LoggedSetInput | None], list[FieldError]]:
    if not isinstance(sets, list):
        return [], [FieldError("sets", "list_type", "Give the sets as a list.")]
    low, high = SETS_PER_WORKOUT
    if not low <= len(sets) <= high:
        code = "too_short" if len(sets) < low else "too_long"
        return [], [FieldError("sets", code, f"A workout has {low} to {high} sets.")]
    parsed: list[LoggedSetInput | None] = []
    errors: list[FieldError] = []
    for index, raw in enumerate(sets):
        try:
            parsed.append(LoggedSetInput.model_validate(raw))
        except PydanticValidationError as exc:
            parsed.append(None)
            errors += [
                FieldError(".".join(["sets", str(index), *map(str, e["loc"])]), e["type"], e["msg"])
                for e in exc.errors(include_url=False)
            ]
    return parsed, errors


def _raw_reference(raw: Any, key: str, validate: Callable[[Any], Any]) -> Any:
    # Read a reference from a set that failed validation, so that it is checked all the same.
    try:
        return validate(raw.get(key)) if isinstance(raw, dict) else None
    except (ValueError, TypeError):
        return None


def _possible_ids(ids: set[int]) -> set[int]:
    # No row has an id beyond the 64-bit range, and SQLite refuses to even compare with one.
    low, high = connection.ops.integer_field_range("BigIntegerField")
    return {id_ for id_ in ids if low <= id_ <= high}


def _any_of(**lookups: set) -> Q:
    # ORs only the non-empty lookups: compiling an empty IN away cost the library lookup ~1 ms here. None: no query.
    conditions = [Q(**{lookup: values}) for lookup, values in lookups.items() if values]
    return functools.reduce(operator.or_, conditions) if conditions else Q(pk__in=[])


def _prescribed_exercise(ref: int | str | None, prescription: selectors.Prescription | None) -> Exercise | None:
    # Only an exact match: a digit string is left to the library, where a slug of digits comes before an id.
    if prescription is None:
        return None
    exercise = prescription.exercise
    return exercise if ref == exercise.slug or (isinstance(ref, int) and ref == exercise.pk) else None


def _library_lookup(*, client: User, refs: list[int | str | None]) -> Callable[[int | str | None], Exercise | None]:
    """Look the exercises named by `refs` up in the client's library (one query, none without refs)."""
    slugs = {ref for ref in refs if isinstance(ref, str)}
    ids = {ref for ref in refs if isinstance(ref, int)} | {int(s) for s in slugs if s.isdecimal()}
    by_id: dict[int, Exercise] = {}
    if slugs or ids:
        visible = selectors.exercises_visible(user=client).filter(_any_of(slug__in=slugs, pk__in=_possible_ids(ids)))
        by_id = {exercise.pk: exercise for exercise in visible.order_by().only(*selectors.LOGGED_EXERCISE_FIELDS)}
    by_slug = {exercise.slug: exercise for exercise in by_id.values()}

    def exercise_of(ref: int | str | None) -> Exercise | None:
        if isinstance(ref, str) and ref in by_slug:
            return by_slug[ref]
        number = int(ref) if isinstance(ref, int) or (isinstance(ref, str) and ref.isdecimal()) else None
        return by_id.get(number)

    return exercise_of


def _planned_reference(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def workout_log_create(
    *,
    client: User,
    date: datetime.date,
    sets: list[dict],
    plan_day_id: int | None = None,
    notes: str = "",
    duration_minutes: int | None = None,
    perceived_effort: int | None = None,
) -> WorkoutSession:
    """Store a workout the client did with its sets, or refuse it whole with every error and its path.

    No BEGIN and COMMIT around its one statement (they cost 0.2 ms of CPU a workout, app and database together).
    """
    _client_only(client, "log workouts")
    errors = _date_errors(client=client, date=date) + _notes_errors(notes)
    for name, value in (("duration_minutes", duration_minutes), ("perceived_effort", perceived_effort)):
        error = None if value is None else _range_error(name, value, *_field_bounds(WorkoutSession, name))
        errors += [error] if error else []

    parsed, set_errors = _sets_parse(sets)
    errors += set_errors
    raw_sets = sets if parsed else []
    exercise_refs = [
        item.exercise if item else _raw_reference(raw, "exercise", _exercise_reference)
        for item, raw in zip(parsed, raw_sets, strict=True)
    ]
    planned_refs = [
        item.planned_exercise if item else _raw_reference(raw, "planned_exercise", _planned_reference)
        for item, raw in zip(parsed, raw_sets, strict=True)
    ]

    # With each prescription its exercise, as the response shows it: a set naming the prescription's own exercise
    # needs no library lookup, and that exercise is the client's to log even if it has left their library since.
    planned_ids = _possible_ids({ref for ref in planned_refs if ref is not None})
    prescriptions = selectors.prescriptions_for_client(client=client, ids=planned_ids)
    prescribed = [
        _prescribed_exercise(ref, prescriptions.get(planned_ref))
        for ref, planned_ref in zip(exercise_refs, planned_refs, strict=True)
    ]
    exercise_of = _library_lookup(
        client=client,
        refs=[ref for ref, exercise in zip(exercise_refs, prescribed, strict=True) if exercise is None],
    )
    exercises = [exercise or exercise_of(ref) for ref, exercise in zip(exercise_refs, prescribed, strict=True)]

    # A day that one of the sets' prescriptions belongs to is the client's: only another one is looked up.
    unproven_day = plan_day_id is not None and all(p.day_id != plan_day_id for p in prescriptions.values())
    if unproven_day and not selectors.plan_days_for_client(client=client).filter(pk=plan_day_id).exists():
        errors.append(FieldError("plan_day", "unknown_plan_day", "No such day in your plans."))
        plan_day_id = None  # the prescriptions are not compared with it
    for index, (exercise_ref, exercise, planned_ref) in enumerate(
        zip(exercise_refs, exercises, planned_refs, strict=True)
    ):
        if exercise_ref is not None and exercise is None:
            message = f"No exercise {exercise_ref!r} in your library."
            errors.append(FieldError(f"sets.{index}.exercise", "unknown_exercise", message))
        if planned_ref is None:
            continue
        if planned_ref not in prescriptions:
            message = "No such prescription in your plans."
            errors.append(FieldError(f"sets.{index}.planned_exercise", "unknown_planned_exercise", message))
        elif plan_day_id is not None and prescriptions[planned_ref].day_id != plan_day_id:
            message = "This prescription belongs to another day than plan_day."
            errors.append(FieldError(f"sets.{index}.planned_exercise", "not_in_plan_day", message))

    if errors:
        raise ApplicationError("invalid", "The workout has invalid fields.", errors=sorted(errors, key=_path_key))

    workout = WorkoutSession(
        client=client,
        date=date,
        plan_day_id=plan_day_id,
        notes=notes,
        duration_minutes=duration_minutes,
        perceived_effort=perceived_effort,
    )
    set_logs = [
        SetLog(
            exercise=exercise,
            planned_exercise_id=item.planned_exercise,
            set_number=item.set_number,
            reps=item.reps,
            load_kg=_decimal(item.load_kg, 2),
            rpe=None if item.rpe is None else _decimal(item.rpe, 1),
        )
        for item, exercise in zip(parsed, exercises, strict=True)
    ]
    _workout_insert(workout, set_logs)
    workout.set_list = set_logs  # in id order, as the selectors read them, for WorkoutSerializer
    transaction.on_commit(workout_notices_send_queue, robust=True)
    return workout


# A workout, its sets and its trainer's notice in one statement: the sets travel as one array a column. The
# ORM's create() and bulk_create() spent 0.7 ms of CPU a workout preparing 150 values one field at a time and
# compiling the queries, a fifth of logging one (docs/BENCHMARKS.md).
WORKOUT_INSERT = """
WITH workout AS (
    INSERT INTO coaching_workoutsession
        (client_id, date, plan_day_id, notes, duration_minutes, perceived_effort, created_at)
    VALUES (%s, %s, %s, %s, %s, %s, %s)
    RETURNING id
), set_log AS (
    INSERT INTO coaching_setlog (session_id, exercise_id, planned_exercise_id, set_number, reps, load_kg, rpe)
    SELECT workout.id, given.exercise_id, given.planned_exercise_id, given.set_number, given.reps, given.load_kg,
        given.rpe
    FROM workout, unnest(%s::bigint[], %s::bigint[], %s::smallint[], %s::smallint[], %s::numeric[], %s::numeric[])
        WITH ORDINALITY AS given (exercise_id, planned_exercise_id, set_number, reps, load_kg, rpe, position)
    ORDER BY given.position
    RETURNING id
), notice AS (
    INSERT INTO coaching_workoutnotice (workout_id) SELECT id FROM workout
)
SELECT workout.id, ARRAY(SELECT id FROM set_log ORDER BY id) FROM workout
"""


def _workout_insert(workout: WorkoutSession, set_logs: list[SetLog]) -> None:
    """Store a new workout with its sets and its trainer's notice, giving each its id; the workout's save signals
    go out as save() sends them."""
    if connection.vendor != "postgresql":  # SQLite (`make run`): the ORM's way, in one transaction
        with transaction.atomic():
            workout.save()
            for set_log in set_logs:
                set_log.session_id = workout.pk
            SetLog.objects.bulk_create(set_logs)
            WorkoutNotice.objects.create(workout=workout)
        return
    signal = {
        "sender": WorkoutSession,
        "instance": workout,
        "raw": False,
        "using": connection.alias,
        "update_fields": None,
    }
    pre_save.send(**signal)
    workout_values = [
        workout.client_id,
        workout.date,
        workout.plan_day_id,
        workout.notes,
        workout.duration_minutes,
        workout.perceived_effort,
        workout.created_at,
    ]
    set_columns = zip(
        *((s.exercise_id, s.planned_exercise_id, s.set_number, s.reps, s.load_kg, s.rpe) for s in set_logs), strict=True
    )
    with connection.cursor() as cursor:
        cursor.execute(WORKOUT_INSERT, [*workout_values, *map(list, set_columns)])
        workout.pk, set_ids = cursor.fetchone()
    # The sequence numbers the sets in the order given, so their ids ascending are in that order.
    for set_log, pk in zip(set_logs, set_ids, strict=True):
        set_log.pk, set_log.session_id = pk, workout.pk
    for instance in [workout, *set_logs]:
        instance._state.adding, instance._state.db = False, connection.alias
    post_save.send(**signal, created=True)


# Up while a drain of the workout notices is queued and has not started reading them: that drain reads every
# notice committed meanwhile, so no other is queued for them. Under load a drain is queued about once per drain
# run, not once per workout (a Celery publish cost a sixth of logging one). It expires, so that a drain lost on
# its way (the broker down just then) holds nothing up for long; beat's drain each minute takes what is left.
NOTICES_DRAIN_QUEUED_KEY = "workout-notices-drain-queued"
NOTICES_DRAIN_QUEUED_SECONDS = 60


def workout_notices_send_queue() -> None:
    """Queue a drain of the trainers' workout notices, unless a queued one will read those committed so far."""
    from kinetix.coaching.tasks import workout_notices_send_task  # the tasks module imports this one

    with contextlib.suppress(*CACHE_ERRORS):  # without the cache, every workout queues its drain
        if not cache.add(NOTICES_DRAIN_QUEUED_KEY, True, NOTICES_DRAIN_QUEUED_SECONDS):
            return
    workout_notices_send_task.delay()


def workout_notices_send() -> int:
    """Tell trainers of the workouts whose notices wait, oldest first, each in a transaction; return how many.

    A notice is deleted with the notification it became, so it is told once even when drains overlap (one
    skips the notices another holds). A notice whose telling fails stays for the next drain, without holding
    up the ones after it.
    """
    with contextlib.suppress(*CACHE_ERRORS):  # before reading: a notice committed from now on queues another drain
        cache.delete(NOTICES_DRAIN_QUEUED_KEY)
    told, failed = 0, []
    while True:
        with transaction.atomic():
            notice = (
                WorkoutNotice.objects.select_for_update(skip_locked=True).exclude(pk__in=failed).order_by("pk").first()
            )
            if notice is None:
                return told
            try:
                workout_logged_notify(workout_id=notice.workout_id)
            except Exception:  # whatever failed, the other trainers are still told
                logger.exception("workout_notice_failed", workout_id=notice.workout_id)
                failed.append(notice.pk)
                continue
            notice.delete()
        told += 1


@transaction.atomic
def workout_logged_notify(*, workout_id: int) -> None:
    """Tell the client's trainer about a logged workout; many in a short while fold into their digest."""
    workout = (
        WorkoutSession.objects.select_related("client").annotate(set_count=Count("sets")).filter(pk=workout_id).first()
    )
    trainer = client_trainer(client=workout.client) if workout else None
    if trainer is None:  # deleted before the task ran, or a client without a trainer
        return
    context = {
        "client_name": str(workout.client),
        "workout_date": workout.date,
        "set_count": workout.set_count,
        "workout_id": workout.pk,
        "client_id": workout.client_id,
    }
    # A task delivered again (acks_late) finds the notification it stored; only a digest could count it twice.
    notify(user=trainer, event="workout_logged", context=context, dedupe_key=f"workout-{workout.pk}")


@transaction.atomic
def workout_delete(*, workout: WorkoutSession) -> None:
    """Delete a logged workout with its sets."""
    workout.delete()


# Workout reminders -----------------------------------------------------------------------------


def workout_reminders_send(*, now: datetime.datetime) -> int:
    """Remind the clients whose local hour is the reminder hour of today's planned day they have not logged."""
    clients = User.objects.filter(role=Role.CLIENT, is_active=True).order_by()
    timezones = clients.values_list("timezone", flat=True).distinct()
    sent = 0
    for timezone_name in timezones:
        local_now = now.astimezone(zoneinfo.ZoneInfo(timezone_name))
        if local_now.hour != settings.WORKOUT_REMINDER_HOUR:
            continue
        today = local_now.date()
        days = (
            PlanDay.objects.filter(
                plan__status=PlanStatus.ACTIVE,
                plan__week_start__lte=today,
                plan__week_start__gt=today - WEEK,
                plan__client__timezone=timezone_name,
                plan__client__is_active=True,
                weekday=today.isoweekday(),
            )
            .exclude(plan__client__workouts__date=today)
            .select_related("plan__client")
            .annotate(exercise_count=Count("exercises"))
        )
        for day in days:
            context = {
                "day_title": day.title or day.plan.title,
                "exercise_count": day.exercise_count,
                "date": today,
                "plan_id": day.plan_id,
            }
            # One transaction per client, and the date as dedupe key: a rerun of the hour reminds nobody twice.
            notify(user=day.plan.client, event="workout_reminder", context=context, dedupe_key=today.isoformat())
            sent += 1
    return sent


# Body metrics ----------------------------------------------------------------------------------

BODY_MEASUREMENTS = ("weight_kg", "body_fat_pct", "waist_cm", "resting_heart_rate")


def _measurement(name: str, value: Any) -> tuple[Any, FieldError | None]:
    """Return the value as stored (rounded to the field's precision), or the error that refuses it."""
    field = BodyMetric._meta.get_field(name)
    if isinstance(field, models.DecimalField):
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            return None, FieldError(name, "number_type", "Give a number.")
        value = Decimal(str(value))
        if not value.is_finite():
            return None, FieldError(name, "finite_number", "Give a finite number.")
    elif isinstance(value, bool) or not isinstance(value, int):
        return None, FieldError(name, "int_type", "Give a whole number.")
    error = _range_error(name, value, *_field_bounds(BodyMetric, name))
    if error or not isinstance(field, models.DecimalField):
        return value, error
    return _decimal(value, field.decimal_places), None


@transaction.atomic
def body_metric_record(
    *,
    client: User,
    date: datetime.date,
    weight_kg: Decimal | float | None = None,
    body_fat_pct: Decimal | float | None = None,
    waist_cm: Decimal | float | None = None,
    resting_heart_rate: int | None = None,
    notes: str = "",
) -> tuple[BodyMetric, bool]:
    """Record the client's measurements on a date; a later record that day replaces the values it gives."""
    _client_only(client, "record body metrics")
    given = {
        name: value
        for name, value in zip(BODY_MEASUREMENTS, (weight_kg, body_fat_pct, waist_cm, resting_heart_rate), strict=True)
        if value is not None
    }
    if not given:
        message = f"Give at least one measurement: {', '.join(BODY_MEASUREMENTS)}."
        raise ApplicationError("measurement_required", message)
    errors = _date_errors(client=client, date=date) + _notes_errors(notes)
    for name, value in given.items():
        given[name], error = _measurement(name, value)
        errors += [error] if error else []
    if errors:
        raise ApplicationError("invalid", "The body metrics have invalid fields.", errors=errors)

    metric = BodyMetric.objects.select_for_update().filter(client=client, date=date).first()
    if metric is None:
        try:
            with transaction.atomic():
                return BodyMetric.objects.create(client=client, date=date, notes=notes, **given), True
        except IntegrityError:  # a concurrent record for the same day won; update it instead
            metric = BodyMetric.objects.select_for_update().get(client=client, date=date)
    for name, value in given.items():
        setattr(metric, name, value)
    if notes:
        metric.notes = notes
    metric.save(update_fields=[*given, "notes"])
    return metric, False
