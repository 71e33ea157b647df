"""New versions for cached reads once a write to what they show commits.

The trainer's client list (`selectors.client_list_cache_key`) names a version per trainer roster and per
client overview; the prescriptions a client logs workouts against (`selectors.prescriptions_for_client`) name
a version per client's plans and one for every exercise's slug and name.
Receivers rather than calls in each service: the services, the admin, cascades and management commands
all write these rows, and the model signals see every one of them. What signals miss is covered where it
happens: plan days are written only beside a save of their plan (`_plan_content_write`, and the admin's
plan page saves the plan before its inlines); activation's QuerySet.update archives plans of the same
client whose activated plan it saves; the coaching-link services save each link they end.
"""

from collections.abc import Callable
from typing import Any

from django.db.models import Model
from django.db.models.signals import post_delete, post_save, pre_save

from kinetix.accounts.models import CoachingLink, User
from kinetix.cached_responses import versions_bump_on_commit
from kinetix.coaching.models import Exercise, WeeklyPlan, WorkoutSession
from kinetix.coaching.selectors import EXERCISES_VERSION, overview_version, prescriptions_version, roster_version

# A user's fields that a client overview shows; a save of others only (last_login, password) changes nothing.
USER_FIELDS_SHOWN = frozenset({"email", "full_name", "locale", "timezone", "role"})


def _user_versions(user: User) -> list[str]:
    return [overview_version(user.pk)]


def _plan_versions(plan: WeeklyPlan) -> list[str]:
    return [overview_version(plan.client_id), prescriptions_version(plan.client_id)]


def _workout_versions(workout: WorkoutSession) -> list[str]:
    return [overview_version(workout.client_id)]


def _exercise_versions(exercise: Exercise) -> list[str]:
    return [EXERCISES_VERSION]


def _link_versions(link: CoachingLink) -> list[str]:
    return [roster_version(link.trainer_id), overview_version(link.client_id)]


VERSIONS_OF: dict[type[Model], Callable[[Any], list[str]]] = {
    User: _user_versions,
    CoachingLink: _link_versions,
    WeeklyPlan: _plan_versions,
    WorkoutSession: _workout_versions,
    Exercise: _exercise_versions,
}

# Fields that a superuser's admin may change on a stored row, moving it to another client's version: the
# one it leaves is bumped too. A plan's client is read-only once it exists; a link moved to another trainer
# or client bumps its client's version, which the list of the trainer it leaves names as well.
MOVABLE_FIELDS: dict[type[Model], tuple[str, ...]] = {WorkoutSession: ("client",)}


def _row_saved(sender: type[Model], instance: Model, update_fields: frozenset[str] | None = None, **kwargs) -> None:
    if sender is User and update_fields is not None and update_fields.isdisjoint(USER_FIELDS_SHOWN):
        return
    versions_bump_on_commit(VERSIONS_OF[sender](instance))


def _row_deleted(sender: type[Model], instance: Model, **kwargs) -> None:
    versions_bump_on_commit(VERSIONS_OF[sender](instance))


def _row_moving(sender: type[Model], instance: Model, update_fields: frozenset[str] | None = None, **kwargs) -> None:
    fields = MOVABLE_FIELDS[sender]
    named = {*fields, *(f"{field}_id" for field in fields)}  # update_fields may name a foreign key either way
    if instance._state.adding or (update_fields is not None and update_fields.isdisjoint(named)):
        return
    stored = sender.objects.filter(pk=instance.pk).only(*fields).first()
    if stored is not None:
        versions_bump_on_commit(VERSIONS_OF[sender](stored))


def connect() -> None:
    """Connect the receivers (from CoachingConfig.ready)."""
    for model in VERSIONS_OF:
        post_save.connect(_row_saved, sender=model, dispatch_uid=f"client_list_versions_saved_{model.__name__}")
        post_delete.connect(_row_deleted, sender=model, dispatch_uid=f"client_list_versions_deleted_{model.__name__}")
    for model in MOVABLE_FIELDS:
        pre_save.connect(_row_moving, sender=model, dispatch_uid=f"client_list_versions_moving_{model.__name__}")
