import datetime
import io
import json
import logging

import pytest
from fcm_django.models import FCMDevice

from aiplans.models import PlanGeneration
from kinetix.coaching.models import PlanStatus
from monitoring.logs import build_formatter
from notifications.models import Notification
from tests.factories import (
    ClientFactory,
    ExerciseFactory,
    InvitationFactory,
    PlannedExerciseFactory,
    SuperuserFactory,
    TrainerFactory,
    WeeklyPlanFactory,
    WorkoutSessionFactory,
)

HOST = "kinetix.example.com"


@pytest.fixture
def production_https(settings):
    """Production's transport settings on a public host name: HTTPS redirect and HSTS on."""
    settings.ALLOWED_HOSTS = [HOST]
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    return HOST


@pytest.fixture
def log_lines():
    """Collect what the root logger writes, as the production JSON lines, parsed."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(build_formatter("json"))
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    root.removeHandler(handler)


@pytest.fixture
def world(db):
    """Two trainers with a client each, and staff; trainer A and client A own one object of each kind.

    Returns the users by actor name and the ids of A's objects by the path parameter that names them.
    """
    trainer_a, trainer_b = TrainerFactory(), TrainerFactory()
    client_a, client_b = ClientFactory(trainer=trainer_a), ClientFactory(trainer=trainer_b)
    staff = SuperuserFactory()
    # A draft with a day, as the plan services make every plan (its exercise is the shared library's), and
    # client A's active plan for this week.
    plan = PlannedExerciseFactory(day__plan=WeeklyPlanFactory(trainer=trainer_a, client=client_a)).day.plan
    this_monday = client_a.local_today() - datetime.timedelta(days=client_a.local_today().weekday())
    PlannedExerciseFactory(
        day__plan=WeeklyPlanFactory(
            trainer=trainer_a, client=client_a, week_start=this_monday, status=PlanStatus.ACTIVE
        )
    )
    ids = {
        "slug_or_id": ExerciseFactory(owner=trainer_a).slug,
        "plan_id": plan.pk,
        "invitation_id": InvitationFactory(trainer=trainer_a).pk,
        "workout_id": WorkoutSessionFactory(client=client_a).pk,
        "client_id": client_a.pk,
        "registration_id": FCMDevice.objects.create(
            user=client_a, registration_id="device-a", type="android"
        ).registration_id,
        "notification_id": Notification.objects.create(
            user=client_a, event="test", category="plans", locale="en", title="t", body="b"
        ).pk,
        "generation_id": PlanGeneration.objects.create(
            requested_by=client_a,
            trainer=trainer_a,
            client=client_a,
            status="needs_review",
            goal="strength",
            level="beginner",
            days_per_week=3,
            session_minutes=45,
        ).pk,
        # No invoice exists without Stripe: the route is checked for who gets past authentication.
        "invoice_id": "in_missing",
    }
    users = {"client_a": client_a, "client_b": client_b, "trainer_a": trainer_a, "trainer_b": trainer_b, "staff": staff}
    return users, ids
