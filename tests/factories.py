"""Factories for the domain's models; build test data through these, never global fixtures."""

import datetime

import factory
from django.utils import timezone

from kinetix.accounts.models import CoachingLink, Invitation, Role, User
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

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    role = Role.CLIENT
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class TrainerFactory(UserFactory):
    role = Role.TRAINER
    is_staff = True

    @factory.post_generation
    def trainers_group(self, create, extracted, **kwargs):
        if create:
            from kinetix.accounts.roles import trainers_group_get

            self.groups.add(trainers_group_get())


class ClientFactory(UserFactory):
    """A client coached by `trainer` (a new trainer unless given; `trainer=False` for none)."""

    role = Role.CLIENT

    @factory.post_generation
    def trainer(self, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        CoachingLink.objects.create(trainer=extracted or TrainerFactory(), client=self)


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    trainer = factory.SubFactory(TrainerFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    code = factory.Sequence(lambda n: f"invite-code-{n}")
    expires_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=14))


class ExerciseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Exercise
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"test-exercise-{n}")
    name = factory.Sequence(lambda n: f"Test Exercise {n}")
    equipment = "barbell"
    level = "beginner"
    mechanics = "compound"
    category = "strength"

    @factory.post_generation
    def muscles(self, create, extracted, **kwargs):
        if create:
            for muscle in extracted or ["quads"]:
                ExerciseMuscle.objects.create(exercise=self, muscle=muscle, is_primary=True)


class WeeklyPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WeeklyPlan

    trainer = factory.SubFactory(TrainerFactory)
    client = factory.LazyAttribute(lambda plan: ClientFactory(trainer=plan.trainer))
    week_start = factory.LazyFunction(
        lambda: timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday())
    )
    status = PlanStatus.DRAFT
    title = "Full body"
    goal = "hypertrophy"
    level = "intermediate"


class PlanDayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanDay

    plan = factory.SubFactory(WeeklyPlanFactory)
    weekday = factory.Sequence(lambda n: n % 7 + 1)
    title = factory.LazyAttribute(lambda day: f"Day {day.weekday}")


class PlannedExerciseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlannedExercise

    day = factory.SubFactory(PlanDayFactory)
    exercise = factory.SubFactory(ExerciseFactory)
    sets = 3
    reps_min = 8
    reps_max = 12
    rest_seconds = 90


class WorkoutSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkoutSession

    client = factory.SubFactory(ClientFactory)
    date = factory.LazyFunction(timezone.localdate)


class SetLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SetLog

    session = factory.SubFactory(WorkoutSessionFactory)
    exercise = factory.SubFactory(ExerciseFactory)
    set_number = 1
    reps = 8
    load_kg = 60


class BodyMetricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BodyMetric

    client = factory.SubFactory(ClientFactory)
    date = factory.LazyFunction(timezone.localdate)
    weight_kg = 80


def plan_document(slugs: list[str], *, days: int = 3, per_day: int | None = None, **overrides) -> dict:
    """Build a valid WeeklyPlan document over the given exercise slugs."""
    per_day = per_day or len(slugs)
    document = {
        "schema_version": 1,
        "title": "Upper/lower hypertrophy",
        "goal": "hypertrophy",
        "level": "intermediate",
        "notes": "",
        "days": [
            {
                "weekday": weekday,
                "title": f"Day {weekday}",
                "notes": "",
                "exercises": [
                    {
                        "exercise": slugs[index % len(slugs)],
                        "sets": 4,
                        "reps_min": 6,
                        "reps_max": 8,
                        "rest_seconds": 120,
                        "rpe": 8,
                        "load_kg": None,
                        "tempo": "",
                        "notes": "",
                    }
                    for index in range(per_day)
                ],
            }
            for weekday in range(1, days + 1)
        ],
    }
    document.update(overrides)
    return document


class SuperuserFactory(UserFactory):
    """A superuser (a trainer by role, as `createsuperuser` makes one)."""

    role = Role.TRAINER
    is_staff = True
    is_superuser = True
