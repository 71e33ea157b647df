"""The mixin's own guarantees: an undeclared scope is reported and hides everything."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import RequestFactory

from kinetix.accounts.admin_scope import TrainerScopedAdmin, choices_for_trainer
from kinetix.coaching.models import Exercise, WeeklyPlan
from tests.factories import WeeklyPlanFactory


class UndeclaredPlanAdmin(TrainerScopedAdmin, admin.ModelAdmin):
    pass


class MistypedPlanAdmin(TrainerScopedAdmin, admin.ModelAdmin):
    trainer_lookup = "coach"


def test_an_admin_without_a_declared_scope_fails_the_system_check():
    errors = UndeclaredPlanAdmin(WeeklyPlan, admin.AdminSite()).check()

    assert [error.id for error in errors] == ["kinetix.E001"]


def test_a_lookup_that_is_not_a_path_fails_the_system_check():
    errors = MistypedPlanAdmin(WeeklyPlan, admin.AdminSite()).check()

    assert [error.id for error in errors] == ["kinetix.E002"]


@pytest.mark.django_db
def test_an_undeclared_scope_shows_a_trainer_nothing(trainer):
    WeeklyPlanFactory(trainer=trainer)
    request = RequestFactory().get("/")
    request.user = trainer

    assert not UndeclaredPlanAdmin(WeeklyPlan, admin.AdminSite()).get_queryset(request).exists()


@pytest.mark.django_db
def test_a_relation_without_a_registered_choice_scope_offers_a_trainer_nothing(trainer):
    assert not choices_for_trainer(Group, trainer).exists()
    assert choices_for_trainer(Exercise, trainer).model is Exercise  # registered by coaching.admin
