import io

import pytest
from django.core.management import CommandError, call_command

from kinetix.accounts.models import User
from kinetix.coaching.management.commands.seed_demo import PASSWORD
from kinetix.coaching.models import BodyMetric, WeeklyPlan, WorkoutSession

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_builds_a_usable_demo_and_is_idempotent(settings, api):
    settings.DEBUG = True
    output = seed()
    counts = (User.objects.count(), WeeklyPlan.objects.count(), WorkoutSession.objects.count())
    assert seed() == output
    assert (User.objects.count(), WeeklyPlan.objects.count(), WorkoutSession.objects.count()) == counts

    assert f"coach@kinetix.test / {PASSWORD}" in output
    assert counts[1] == 9  # three weeks of plans for each of three clients
    assert WorkoutSession.objects.exists()
    assert BodyMetric.objects.filter(client__email="ana@kinetix.test").count() >= 7

    response = api.post("/api/v1/auth/token/", {"email": "ana@kinetix.test", "password": PASSWORD})
    assert response.status_code == 200, response.json()
    token = response.json()["access"]
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    plan = api.get("/api/v1/me/plan/")
    assert plan.status_code == 200
    assert all(day["exercises"] for day in plan.json()["days"])
    main_lift = plan.json()["days"][0]["exercises"][0]
    assert [target["reps_min"] for target in main_lift["set_targets"]] == [10, 8, 6, 6]  # the demo's pyramid


def test_seed_demo_refuses_to_run_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        seed()
    assert not User.objects.exists()
