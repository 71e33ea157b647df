"""Reads of the coaching domain, each scoped to what the asking user may see."""

import datetime

from django.db.models import Q, QuerySet

from kinetix.accounts.models import User
from kinetix.accounts.selectors import client_trainer
from kinetix.coaching.models import Exercise, ExerciseMuscle, PlanStatus, WeeklyPlan
from kinetix.coaching.plan_document import plan_content_prefetch
from kinetix.errors import NotFoundError


def exercises_visible(*, user: User) -> QuerySet[Exercise]:
    """Return the shared library plus the private exercises of the user's trainer (or their own)."""
    owner = user if user.is_trainer else client_trainer(client=user)
    shared = Q(owner__isnull=True)
    return Exercise.objects.filter(shared | Q(owner=owner) if owner else shared)


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
    lookup = Q(pk=int(slug_or_id)) if slug_or_id.isdigit() else Q(slug=slug_or_id)
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
    """Return the client's active plan whose week covers `date`, or answer 404."""
    plan = (
        WeeklyPlan.objects.filter(
            client=client,
            status=PlanStatus.ACTIVE,
            week_start__lte=date,
            week_start__gt=date - datetime.timedelta(days=7),
        )
        .order_by("-week_start")
        .prefetch_related(plan_content_prefetch())
        .first()
    )
    if plan is None:
        raise NotFoundError("Active plan for this date")
    return plan


def plan_with_content(*, plan: WeeklyPlan) -> WeeklyPlan:
    """Reload a plan with the prefetch its document needs (after a write)."""
    return WeeklyPlan.objects.prefetch_related(plan_content_prefetch()).get(pk=plan.pk)
