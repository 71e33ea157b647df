"""Reads of the coaching domain, each scoped to what the asking user may see."""

import datetime
import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import DEFAULT_DB_ALIAS
from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    FloatField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, RowNumber
from django.utils import timezone

from kinetix.accounts.models import CoachingLink, User
from kinetix.accounts.selectors import client_get_for_trainer, trainer_clients
from kinetix.cached_responses import digest, versioned_value, versions_read
from kinetix.coaching.models import (
    BodyMetric,
    Exercise,
    ExerciseMuscle,
    PlanDay,
    PlannedExercise,
    PlanStatus,
    SetLog,
    WeeklyPlan,
    WorkoutSession,
)
from kinetix.coaching.plan_document import plan_content_prefetch
from kinetix.errors import ApplicationError, FieldError, NotFoundError


def exercises_visible(*, user: User) -> QuerySet[Exercise]:
    """Return the shared library plus the private exercises of the user's trainer (or their own)."""
    if user.is_trainer:
        return Exercise.objects.filter(Q(owner__isnull=True) | Q(owner=user))
    # A client's trainer is joined in the one query, through their open link: a join costs less to build than
    # a subquery, and a client has at most one open link (a constraint), so no exercise comes twice.
    trainer_link = Q(owner__client_links__client=user, owner__client_links__ended_at__isnull=True)
    return Exercise.objects.filter(Q(owner__isnull=True) | trainer_link)


def exercise_list(
    *,
    user: User,
    search: str = "",
    equipment: list[str] = (),
    muscle: list[str] = (),
    level: list[str] = (),
    category: list[str] = (),
    mine: bool = False,
) -> QuerySet[Exercise]:
    """Return the exercises the user may use, filtered; each carries its muscles, prefetched."""
    exercises = exercises_visible(user=user)
    if search:
        exercises = exercises.filter(Q(name__icontains=search) | Q(slug__icontains=search))
    if equipment:
        exercises = exercises.filter(equipment__in=equipment)
    if level:
        exercises = exercises.filter(level__in=level)
    if category:
        exercises = exercises.filter(category__in=category)
    if muscle:
        exercises = exercises.filter(pk__in=ExerciseMuscle.objects.filter(muscle__in=muscle).values("exercise_id"))
    if mine:
        exercises = exercises.filter(owner=user)
    return exercises.prefetch_related("muscles")


def exercise_get_for_user(*, user: User, slug_or_id: str) -> Exercise:
    """Return an exercise the user may see, by slug or id, or answer 404."""
    lookup = Q(pk=int(slug_or_id)) if slug_or_id.isdecimal() else Q(slug=slug_or_id)
    exercise = exercises_visible(user=user).filter(lookup).prefetch_related("muscles").first()
    if exercise is None:
        raise NotFoundError("Exercise")
    return exercise


def private_exercise_get_for_owner(*, user: User, slug_or_id: str) -> Exercise:
    """Return one of the trainer's own private exercises, or answer 404."""
    exercise = exercise_get_for_user(user=user, slug_or_id=slug_or_id)
    if exercise.owner_id != user.pk:
        raise NotFoundError("Exercise")
    return exercise


def plan_list(
    *,
    trainer: User,
    client_id: int | None = None,
    status: str | None = None,
    week_from: datetime.date | None = None,
    week_to: datetime.date | None = None,
) -> QuerySet[WeeklyPlan]:
    """Return the trainer's plans, newest week first, ready to render as documents."""
    plans = WeeklyPlan.objects.filter(trainer=trainer)
    if client_id is not None:
        plans = plans.filter(client_id=client_id)
    if status:
        plans = plans.filter(status=status)
    if week_from:
        plans = plans.filter(week_start__gte=week_from)
    if week_to:
        plans = plans.filter(week_start__lte=week_to)
    return plans.prefetch_related(plan_content_prefetch())


def plan_get_for_user(*, user: User, plan_id: int) -> WeeklyPlan:
    """Return a plan its trainer wrote (with its content), or answer 404."""
    plan = WeeklyPlan.objects.filter(pk=plan_id, trainer=user).prefetch_related(plan_content_prefetch()).first()
    if plan is None:
        raise NotFoundError("Plan")
    return plan


def plan_for_client_on(*, client: User, date: datetime.date) -> WeeklyPlan:
    """Return the client's active plan whose week covers `date` (without its content), or answer 404."""
    plan = (
        WeeklyPlan.objects.filter(
            client=client,
            status=PlanStatus.ACTIVE,
            week_start__lte=date,
            week_start__gt=date - datetime.timedelta(days=7),
        )
        .order_by("-week_start")
        .first()
    )
    if plan is None:
        raise NotFoundError("Active plan for this date")
    return plan


def plan_with_content(*, plan: WeeklyPlan) -> WeeklyPlan:
    """Reload a plan with the prefetch its document needs (after a write)."""
    return WeeklyPlan.objects.prefetch_related(plan_content_prefetch()).get(pk=plan.pk)


# Whose data -----------------------------------------------------------------------------------


def _client_scope(*, user: User, client_id: int | None = None) -> Q:
    """Return the filter on `client` for the data the user may read: their own, or their current clients'."""
    if user.is_client:
        if client_id is not None and client_id != user.pk:
            raise NotFoundError("Client")
        return Q(client=user)
    if not user.is_trainer:
        raise NotFoundError("Client")
    if client_id is not None:
        return Q(client=client_get_for_trainer(trainer=user, client_id=client_id))
    return Q(client__in=trainer_clients(trainer=user).values("pk"))


def client_get_for_user(*, user: User, client_id: int | None) -> User:
    """Return the client whose data the user asks for: themselves, or (required) one of a trainer's clients."""
    if user.is_client:
        if client_id is not None and client_id != user.pk:
            raise NotFoundError("Client")
        return user
    if client_id is None:
        message = "Name the client whose data you want."
        raise ApplicationError("invalid", message, errors=[FieldError("client", "required", message)])
    return client_get_for_trainer(trainer=user, client_id=client_id)


# Workouts -------------------------------------------------------------------------------------

LOGGABLE_PLAN_STATUSES = (PlanStatus.ACTIVE, PlanStatus.ARCHIVED)


def plan_days_for_client(*, client: User) -> QuerySet[PlanDay]:
    """Return the days of the plans published to the client (active or archived), which workouts may fulfil."""
    return PlanDay.objects.filter(plan__client=client, plan__status__in=LOGGABLE_PLAN_STATUSES)


def planned_exercises_for_client(*, client: User) -> QuerySet[PlannedExercise]:
    """Return the prescriptions of the plans published to the client, which logged sets may fulfil."""
    return PlannedExercise.objects.filter(day__plan__client=client, day__plan__status__in=LOGGABLE_PLAN_STATUSES)


# What a workout's answer shows of a set's exercise.
LOGGED_EXERCISE_FIELDS = ["id", "slug", "name"]
# Every exercise's slug and name: an edit anywhere moves it (kinetix/coaching/signals.py).
EXERCISES_VERSION = "exercises"
# A client logs a few workouts a week against the same active plan: its prescriptions are kept for that week.
PRESCRIPTIONS_TIMEOUT_SECONDS = 7 * 24 * 3600


def prescriptions_version(client_id: int) -> str:
    """Name the version of a client's plans and their content, which workouts are logged against."""
    return f"client-prescriptions:{client_id}"


@dataclass(frozen=True)
class Prescription:
    """A prescription a logged set may fulfil: its plan day, and its exercise as a workout's answer shows it."""

    day_id: int
    exercise: Exercise


def prescriptions_for_client(*, client: User, ids: set[int]) -> dict[int, Prescription]:
    """Return the client's loggable prescriptions among `ids`, by id.

    Those of the client's active plans, which nearly every workout names, come from the cache while the
    client's plans and the exercises are unchanged (their versions, bumped by kinetix/coaching/signals.py);
    others (archived plans) are read.
    """
    cached = (
        versioned_value(
            f"active-prescriptions:{client.pk}:{digest(*LOGGED_EXERCISE_FIELDS)}",
            [prescriptions_version(client.pk), EXERCISES_VERSION],
            functools.partial(_active_prescription_rows, client=client),
            timeout=PRESCRIPTIONS_TIMEOUT_SECONDS,
        )
        if ids
        else None
    )
    active_rows = cached[1] if cached else {}
    rows = {pk: active_rows[pk] for pk in ids if pk in active_rows}
    unread = ids - rows.keys()
    if unread:
        rows |= _prescription_rows(planned_exercises_for_client(client=client).filter(pk__in=unread))
    exercises: dict[int, Exercise] = {}
    found = {}
    for pk, (day_id, *exercise_values) in rows.items():
        exercise = exercises.get(exercise_values[0])
        if exercise is None:
            exercise = Exercise.from_db(DEFAULT_DB_ALIAS, LOGGED_EXERCISE_FIELDS, exercise_values)
            exercises[exercise.pk] = exercise
        found[pk] = Prescription(day_id=day_id, exercise=exercise)
    return found


def _active_prescription_rows(*, client: User) -> dict[int, tuple]:
    return _prescription_rows(planned_exercises_for_client(client=client).filter(day__plan__status=PlanStatus.ACTIVE))


def _prescription_rows(prescriptions: QuerySet[PlannedExercise]) -> dict[int, tuple]:
    # Plain values: they are what the cache keeps.
    fields = ["day_id", *(f"exercise__{name}" for name in LOGGED_EXERCISE_FIELDS)]
    return {pk: tuple(values) for pk, *values in prescriptions.order_by().values_list("id", *fields)}


def _sets_prefetch() -> Prefetch:
    # Into `set_list`, the attribute workout_log_create also fills, so one serializer renders both.
    sets = SetLog.objects.select_related("exercise").only(
        *[f.name for f in SetLog._meta.concrete_fields], "exercise__slug", "exercise__name"
    )
    return Prefetch("sets", queryset=sets, to_attr="set_list")


def workout_list(
    *,
    user: User,
    client_id: int | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[WorkoutSession]:
    """Return the workouts the user may read, newest first, each with its sets prefetched."""
    workouts = WorkoutSession.objects.filter(_client_scope(user=user, client_id=client_id))
    if date_from:
        workouts = workouts.filter(date__gte=date_from)
    if date_to:
        workouts = workouts.filter(date__lte=date_to)
    return workouts.order_by("-date", "-id").prefetch_related(_sets_prefetch())


def workout_get_for_user(*, user: User, workout_id: int) -> WorkoutSession:
    """Return a workout of the user's own or of a trainer's current client, with its sets, or answer 404."""
    workout = (
        WorkoutSession.objects.filter(_client_scope(user=user), pk=workout_id)
        .prefetch_related(_sets_prefetch())
        .first()
    )
    if workout is None:
        raise NotFoundError("Workout")
    return workout


# Body metrics ---------------------------------------------------------------------------------


def body_metric_list(
    *,
    user: User,
    client_id: int | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[BodyMetric]:
    """Return the body metrics the user may read, newest date first."""
    metrics = BodyMetric.objects.filter(_client_scope(user=user, client_id=client_id))
    if date_from:
        metrics = metrics.filter(date__gte=date_from)
    if date_to:
        metrics = metrics.filter(date__lte=date_to)
    return metrics.order_by("-date", "client_id")


# Progress -------------------------------------------------------------------------------------

E1RM_FORMULA = "epley"
E1RM_REPS = (1, 12)
DAY = datetime.timedelta(days=1)
WEEK = datetime.timedelta(days=7)


@dataclass(frozen=True)
class Compliance:
    planned_sessions: int
    completed_sessions: int

    @property
    def compliance(self) -> float | None:
        """The share of planned sessions done, or None when nothing was planned."""
        return round(self.completed_sessions / self.planned_sessions, 3) if self.planned_sessions else None

    def as_dict(self) -> dict:
        return {
            "planned_sessions": self.planned_sessions,
            "completed_sessions": self.completed_sessions,
            "compliance": self.compliance,
        }


@dataclass(frozen=True)
class PlannedSession:
    date: datetime.date
    plan_day_id: int
    logged: bool  # a workout of the client names this plan day as the one it fulfils


@dataclass(frozen=True)
class ActivePlan:
    """An active plan's week, with the sessions it plans on the dates read."""

    id: int
    week_start: datetime.date
    sessions: list[PlannedSession]

    def covers(self, date: datetime.date) -> bool:
        return self.week_start <= date < self.week_start + WEEK


def _active_plans(*, client_ids: list[int], start: datetime.date, end: datetime.date) -> dict[int, list[ActivePlan]]:
    """Return each client's active plans whose weeks meet the dates from `start` to `end` (newest week first),
    each with the sessions it plans on those dates, in one query."""
    rows = (
        WeeklyPlan.objects.filter(
            client_id__in=client_ids, status=PlanStatus.ACTIVE, week_start__gt=start - WEEK, week_start__lte=end
        )
        .order_by("-week_start", "-id")
        .values_list("client_id", "id", "week_start", "days__id", "days__weekday", "days__sessions__client_id")
    )
    plans: dict[int, tuple[int, datetime.date]] = {}  # client and week by plan id, newest week first
    days: dict[int, tuple[int, datetime.date]] = {}  # plan and date by plan day id
    logged: set[int] = set()
    for client_id, plan_id, week_start, day_id, weekday, workout_client_id in rows:
        plans[plan_id] = (client_id, week_start)
        if day_id is None:
            continue  # a plan without days
        # The day's date is the one of the plan's seven whose ISO weekday it names.
        days[day_id] = (plan_id, week_start + (weekday - week_start.isoweekday()) % 7 * DAY)
        if workout_client_id == client_id:
            logged.add(day_id)
    sessions: dict[int, list[PlannedSession]] = defaultdict(list)
    for day_id, (plan_id, date) in days.items():
        if start <= date <= end:
            sessions[plan_id].append(PlannedSession(date, day_id, day_id in logged))
    active: dict[int, list[ActivePlan]] = defaultdict(list)
    for plan_id, (client_id, week_start) in plans.items():
        active[client_id].append(ActivePlan(plan_id, week_start, sessions[plan_id]))
    return active


def _dates_trained(*, client_ids: list[int], start: datetime.date, end: datetime.date) -> dict[int, set[datetime.date]]:
    """Return the dates from `start` to `end` on which each client logged a workout, in one query."""
    workouts = WorkoutSession.objects.filter(client_id__in=client_ids, date__gte=start, date__lte=end)
    dates: dict[int, set[datetime.date]] = defaultdict(set)
    for client_id, date in workouts.values_list("client_id", "date"):
        dates[client_id].add(date)
    return dates


def _compliance(planned: list[PlannedSession], dates_trained: set[datetime.date]) -> Compliance:
    # A session is done by a workout that names it, or by any workout on its date.
    completed = sum(1 for s in planned if s.logged or s.date in dates_trained)
    return Compliance(planned_sessions=len(planned), completed_sessions=completed)


def personal_records(*, client: User) -> list[dict]:
    """Return the client's best estimated one-rep max per exercise (Epley) with the set that achieved it."""
    low, high = E1RM_REPS
    # Epley: load * (1 + reps / 30); a single is its own load.
    estimate = Case(
        When(reps=1, then=Cast("load_kg", FloatField())),
        default=F("load_kg") * (Value(30.0) + F("reps")) / Value(30.0),
        output_field=FloatField(),
    )
    best_first = Window(
        RowNumber(),
        partition_by=[F("exercise_id")],
        order_by=[F("estimated_1rm").desc(), F("session__date").asc(), F("id").asc()],
    )
    records = (
        SetLog.objects.filter(session__client=client, reps__gte=low, reps__lte=high, load_kg__gt=0)
        .annotate(estimated_1rm=estimate, rank=best_first)
        .filter(rank=1)
        .values("exercise__slug", "exercise__name", "estimated_1rm", "load_kg", "reps", "session__date")
    )
    return sorted(
        (
            {
                "exercise": record["exercise__slug"],
                "name": record["exercise__name"],
                "estimated_1rm_kg": round(record["estimated_1rm"], 2),
                "load_kg": float(record["load_kg"]),
                "reps": record["reps"],
                "date": record["session__date"],
            }
            for record in records
        ),
        key=lambda record: (record["name"], record["exercise"]),
    )


def progress_summary(*, client: User, weeks: int = 8) -> dict:
    """Return the client's last `weeks` ISO weeks (compliance, sets, tonnage), records and latest body metrics."""
    today = client.local_today()
    this_monday = today - today.weekday() * DAY
    mondays = [this_monday - n * WEEK for n in reversed(range(weeks))]
    start, end = mondays[0], this_monday + 6 * DAY

    plans = _active_plans(client_ids=[client.pk], start=start, end=end)[client.pk]
    planned = [session for plan in plans for session in plan.sessions]
    dates_trained = _dates_trained(client_ids=[client.pk], start=start, end=end)[client.pk]
    volume_by_date = (
        SetLog.objects.filter(session__client=client, session__date__gte=start, session__date__lte=end)
        .values("session__date")
        .annotate(sets=Count("id"), tonnage=Sum(F("reps") * F("load_kg"), output_field=DecimalField()))
        .values_list("session__date", "sets", "tonnage")
    )
    volume: dict[datetime.date, list] = {monday: [0, Decimal(0)] for monday in mondays}
    for date, sets, tonnage in volume_by_date:
        week = volume[date - date.weekday() * DAY]
        week[0] += sets
        week[1] += Decimal(tonnage or 0)

    def week_summary(monday: datetime.date) -> dict:
        in_week = [s for s in planned if monday <= s.date < monday + WEEK]
        sets, tonnage = volume[monday]
        return {
            "week_start": monday,
            **_compliance(in_week, dates_trained).as_dict(),
            "sets": sets,
            "tonnage_kg": tonnage,
        }

    return {
        "client": client.pk,
        "weeks": [week_summary(monday) for monday in mondays],
        "personal_records": personal_records(client=client),
        "e1rm_formula": E1RM_FORMULA,
        "latest_body_metrics": BodyMetric.objects.filter(client=client).order_by("-date").first(),
    }


# Clients --------------------------------------------------------------------------------------


def client_list(*, trainer: User) -> QuerySet[User]:
    """Return the trainer's current clients by name, each with when coaching began and their last workout date."""
    link = CoachingLink.objects.filter(trainer=trainer, client=OuterRef("pk"), ended_at__isnull=True)
    last_workout = WorkoutSession.objects.filter(client=OuterRef("pk")).order_by("-date")
    return (
        trainer_clients(trainer=trainer)
        .annotate(
            since=Subquery(link.values("started_at")[:1]),
            last_workout_date=Subquery(last_workout.values("date")[:1]),
        )
        .order_by("full_name", "email", "pk")
    )


# Every time zone's midnight falls on a quarter hour: the last seven days and today's active plan move only then.
QUARTER_HOUR_SECONDS = 15 * 60


def roster_version(trainer_id: int) -> str:
    """Name the version of a trainer's coaching links: who their clients are, and since when."""
    return f"clients-roster:{trainer_id}"


def overview_version(client_id: int) -> str:
    """Name the version of what a client's overview shows: their profile, plans (with days) and workouts."""
    return f"client-overview:{client_id}"


def _roster(*, trainer: User) -> tuple[list[str], list[int]] | None:
    """Return the trainer's roster version (its token, in a list) and everyone linked to them now (a superset of
    the current clients); None when the cache cannot be reached."""
    return versioned_value(
        f"clients-roster-ids:{trainer.pk}",
        [roster_version(trainer.pk)],
        lambda: list(
            CoachingLink.objects.filter(trainer=trainer, ended_at__isnull=True)
            .order_by("client_id")
            .values_list("client_id", flat=True)
        ),
    )


def _quarter_hour() -> int:
    return int(timezone.now().timestamp()) // QUARTER_HOUR_SECONDS


def client_list_cache_key(*, trainer: User, url: str) -> str | None:
    """Return the key of the trainer's client list as `url` asks for it, or None when the cache cannot be reached.

    It names the versions of the roster and of all its clients (a rename can move a client to another page)
    and the quarter hour; they are read before any row of the answer, so a write committed meanwhile makes it
    an obsolete key, never a stale answer.
    """
    roster = _roster(trainer=trainer)
    if roster is None:
        return None
    version, client_ids = roster
    overviews = versions_read([overview_version(client_id) for client_id in client_ids])
    if overviews is None:
        return None
    return "client-list:" + digest(trainer.pk, version, client_ids, overviews, _quarter_hour(), url)


def client_overview_cache_key(*, trainer: User, client_id: int) -> str | None:
    """Return the key of one client's overview for the trainer, as `client_list_cache_key` does for the list.

    None when the cache cannot be reached or the client is not linked to the trainer (the answer is a 404).
    """
    roster = _roster(trainer=trainer)
    if roster is None or client_id not in roster[1]:
        return None
    overview = versions_read([overview_version(client_id)])
    if overview is None:
        return None
    return "client-overview:" + digest(trainer.pk, roster[0], client_id, overview[0], _quarter_hour())


def clients_with_last_week(*, clients: Sequence[User]) -> Sequence[User]:
    """Attach to each client the last seven days' compliance and today's active plan, in two queries for all."""
    if not clients:
        return clients
    today = {client.pk: client.local_today() for client in clients}
    ids = list(today)
    first, last = min(today.values()) - 6 * DAY, max(today.values())
    plans = _active_plans(client_ids=ids, start=first, end=last)
    dates_trained = _dates_trained(client_ids=ids, start=first, end=last)
    for client in clients:
        end = today[client.pk]
        client_plans = plans.get(client.pk, [])
        window = [s for plan in client_plans for s in plan.sessions if end - 6 * DAY <= s.date <= end]
        client.last_week_compliance = _compliance(window, dates_trained.get(client.pk, set())).as_dict()
        # Activation archives overlapping plans: at most one active plan covers a date.
        active = next((plan for plan in client_plans if plan.covers(end)), None)
        client.active_plan = {"id": active.id, "week_start": active.week_start} if active else None
    return clients


def client_overview_get(*, trainer: User, client_id: int) -> User:
    """Return one of the trainer's current clients with the overview of `client_list`, or answer 404."""
    client = client_list(trainer=trainer).filter(pk=client_id).first()
    if client is None:
        raise NotFoundError("Client")
    return clients_with_last_week(clients=[client])[0]


# AI prompt context ----------------------------------------------------------------------------


def client_training_context(*, client: User, weeks: int = 4) -> dict:
    """Return an anonymised summary of the client's recent training and body metrics: no names, e-mails or notes."""
    since = client.local_today() - weeks * WEEK
    workouts = WorkoutSession.objects.filter(client=client, date__gte=since)
    sets = SetLog.objects.filter(session__in=workouts)
    most_trained = sets.values("exercise__slug").annotate(sets=Count("id")).order_by("-sets", "exercise__slug")[:8]
    metrics = BodyMetric.objects.filter(client=client).order_by("-date").first()
    return {
        "weeks": weeks,
        "workouts": workouts.count(),
        "sets_logged": sets.count(),
        "most_trained_exercises": {row["exercise__slug"]: row["sets"] for row in most_trained},
        "estimated_1rm_kg": {
            record["exercise"]: record["estimated_1rm_kg"] for record in personal_records(client=client)[:8]
        },
        "weight_kg": float(metrics.weight_kg) if metrics and metrics.weight_kg is not None else None,
        "body_fat_pct": float(metrics.body_fat_pct) if metrics and metrics.body_fat_pct is not None else None,
    }
