"""Reads of AI plan generations, each scoped to who may see them."""

import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from aiplans.models import GenerationStatus, PlanGeneration
from aiplans.planning import CatalogueEntry, PlanRequest
from kinetix.accounts.models import User
from kinetix.coaching.selectors import exercises_visible
from kinetix.errors import NotFoundError


def generation_get_for_user(*, user: User, generation_id: int) -> PlanGeneration:
    """Return a generation the user asked for or reviews, or answer 404."""
    generation = (
        PlanGeneration.objects.filter(Q(requested_by=user) | Q(trainer=user), pk=generation_id)
        .select_related("plan", "client", "trainer")
        .first()
    )
    if generation is None:
        raise NotFoundError("Generation")
    return generation


def generation_list_for_user(*, user: User, status: str | None = None) -> QuerySet[PlanGeneration]:
    """Return the generations the user asked for or reviews, newest first."""
    generations = PlanGeneration.objects.filter(Q(requested_by=user) | Q(trainer=user))
    if status:
        generations = generations.filter(status=status)
    return generations.select_related("plan")


def month_start(*, trainer: User) -> datetime.datetime:
    """Return the start of the trainer's current calendar month, in their time zone."""
    now = timezone.now().astimezone(trainer.tzinfo)
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def drafts_used_this_month(*, trainer: User) -> int:
    """Return how many generations count against the trainer's monthly quota (failed ones do not)."""
    return (
        PlanGeneration.objects.filter(trainer=trainer, created_at__gte=month_start(trainer=trainer))
        .exclude(status=GenerationStatus.FAILED)
        .count()
    )


def generation_catalogue(*, trainer: User) -> dict[str, CatalogueEntry]:
    """Return every exercise the trainer may prescribe, by slug, with its muscles."""
    catalogue = {}
    for exercise in exercises_visible(user=trainer).prefetch_related("muscles").order_by("slug"):
        muscles = list(exercise.muscles.all())
        catalogue[exercise.slug] = CatalogueEntry(
            slug=exercise.slug,
            name=exercise.name,
            equipment=exercise.equipment,
            level=exercise.level,
            mechanics=exercise.mechanics,
            category=exercise.category,
            primary_muscles=tuple(m.muscle for m in muscles if m.is_primary),
            secondary_muscles=tuple(m.muscle for m in muscles if not m.is_primary),
        )
    return catalogue


def generation_request(generation: PlanGeneration) -> PlanRequest:
    """Return what the generation asks for, as the generator and validator read it."""
    return PlanRequest(
        goal=generation.goal,
        level=generation.level,
        equipment=tuple(generation.equipment),
        days_per_week=generation.days_per_week,
        session_minutes=generation.session_minutes,
        injuries=tuple(generation.injuries),
        notes=generation.notes,
    )
