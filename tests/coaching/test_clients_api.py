import datetime

import pytest
from rest_framework.renderers import JSONRenderer

from kinetix.accounts.models import CoachingLink
from kinetix.accounts.services import coaching_link_end
from kinetix.coaching import selectors
from kinetix.coaching.api.clients import ClientOverviewSerializer
from kinetix.coaching.models import PlanStatus
from tests.factories import ClientFactory, PlanDayFactory, WeeklyPlanFactory, WorkoutSessionFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/clients/"
DAY = datetime.timedelta(days=1)


def active_plan(*, trainer, client, week_start, dates):
    """An active plan from `week_start` with a day on each of `dates`."""
    plan = WeeklyPlanFactory(trainer=trainer, client=client, week_start=week_start, status=PlanStatus.ACTIVE)
    for date in dates:
        PlanDayFactory(plan=plan, weekday=date.isoweekday())
    return plan


def parse(value: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_trainer_sees_current_clients_with_last_weeks_compliance(api_as, trainer, client_user, other_client):
    today = client_user.local_today()
    # The plan covering today: three sessions in the last seven days, two done (one on its date, one linked).
    plan = active_plan(
        trainer=trainer, client=client_user, week_start=today - 6 * DAY, dates=[today - 6 * DAY, today - 4 * DAY, today]
    )
    # The week before: its session falls outside the seven days.
    active_plan(trainer=trainer, client=client_user, week_start=today - 13 * DAY, dates=[today - 7 * DAY])
    WorkoutSessionFactory(client=client_user, date=today - 6 * DAY)
    WorkoutSessionFactory(client=client_user, date=today - 3 * DAY, plan_day=plan.days.get(weekday=today.isoweekday()))
    WorkoutSessionFactory(client=client_user, date=today - 20 * DAY)
    idle = ClientFactory(trainer=trainer, full_name="Zed Idle")
    former = ClientFactory(trainer=trainer)
    coaching_link_end(trainer=trainer, client=former)
    client_user.full_name = "Ana Active"
    client_user.save()

    response = api_as(trainer).get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    active, quiet = body["results"]
    assert active["id"] == client_user.id
    assert (active["email"], active["full_name"], active["locale"], active["timezone"]) == (
        client_user.email,
        "Ana Active",
        "en",
        "UTC",
    )
    link = CoachingLink.objects.get(trainer=trainer, client=client_user)
    assert parse(active["since"]) == link.started_at
    assert active["last_week_compliance"] == {"planned_sessions": 3, "completed_sessions": 2, "compliance": 0.667}
    assert active["active_plan"] == {"id": plan.id, "week_start": (today - 6 * DAY).isoformat()}
    assert active["last_workout_date"] == (today - 3 * DAY).isoformat()

    assert quiet["id"] == idle.id
    assert quiet["last_week_compliance"] == {"planned_sessions": 0, "completed_sessions": 0, "compliance": None}
    assert quiet["active_plan"] is None
    assert quiet["last_workout_date"] is None


def test_compliance_window_is_each_clients_own_today(api_as, trainer):
    far_east = ClientFactory(trainer=trainer, timezone="Pacific/Kiritimati")
    far_west = ClientFactory(trainer=trainer, timezone="Pacific/Pago_Pago")
    for client in (far_east, far_west):
        today = client.local_today()
        active_plan(trainer=trainer, client=client, week_start=today, dates=[today])
        WorkoutSessionFactory(client=client, date=today)

    results = {c["id"]: c for c in api_as(trainer).get(URL).json()["results"]}

    for client in (far_east, far_west):
        overview = results[client.id]
        assert overview["last_week_compliance"] == {"planned_sessions": 1, "completed_sessions": 1, "compliance": 1.0}
        assert overview["active_plan"]["week_start"] == client.local_today().isoformat()


def test_client_detail_is_scoped_to_the_trainers_current_clients(api_as, trainer, client_user, other_client):
    former = ClientFactory(trainer=trainer)
    coaching_link_end(trainer=trainer, client=former)
    api = api_as(trainer)

    detail = api.get(f"{URL}{client_user.id}/")
    assert detail.status_code == 200
    assert detail.json()["id"] == client_user.id
    assert detail.json()["last_week_compliance"]["compliance"] is None
    for stranger in (other_client.id, former.id, trainer.id, 999_999):
        response = api.get(f"{URL}{stranger}/")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_clients_routes_are_for_trainers(api, api_as, client_user):
    assert api_as(client_user).get(URL).status_code == 403
    assert api_as(client_user).get(f"{URL}{client_user.id}/").status_code == 403
    assert api.get(URL).status_code == 401
    assert api.delete(f"{URL}{client_user.id}/").status_code == 401


def test_ending_coaching_removes_the_client_and_their_data_from_view(
    api_as, trainer, client_user, other_trainer, other_client
):
    workout = WorkoutSessionFactory(client=client_user)
    api = api_as(trainer)

    assert api_as(other_trainer).delete(f"{URL}{client_user.id}/").status_code == 404
    assert api.delete(f"{URL}{other_client.id}/").status_code == 404
    assert CoachingLink.objects.filter(client=other_client, ended_at__isnull=True).exists()

    assert api.delete(f"{URL}{client_user.id}/").status_code == 204
    assert api.get(URL).json()["count"] == 0
    assert api.get(f"{URL}{client_user.id}/").status_code == 404
    assert api.get(f"/api/v1/workouts/{workout.id}/").status_code == 404
    # The client keeps their history.
    assert api_as(client_user).get(f"/api/v1/workouts/{workout.id}/").status_code == 200


@pytest.mark.parametrize("clients", [1, 30])
def test_client_list_reads_in_constant_queries(api_as, trainer, clients, django_assert_max_num_queries):
    for _ in range(clients):
        client = ClientFactory(trainer=trainer)
        today = client.local_today()
        plan = active_plan(trainer=trainer, client=client, week_start=today - 3 * DAY, dates=[today - DAY, today])
        WorkoutSessionFactory(client=client, date=today - DAY, plan_day=plan.days.first())
        WorkoutSessionFactory(client=client, date=today - 10 * DAY)
    api = api_as(trainer)

    # auth, the roster's client ids (for the cache key), the page (its count skipped: it is the last page),
    # active plans with their days, workout dates
    with django_assert_max_num_queries(5):
        body = api.get(URL, {"page_size": 50}).json()
    assert body["count"] == len(body["results"]) == clients
    assert all(c["last_week_compliance"]["planned_sessions"] == 2 for c in body["results"])
    assert all(c["active_plan"] is not None for c in body["results"])
    with django_assert_max_num_queries(1):  # auth: the answer comes from the cache
        assert api.get(URL, {"page_size": 50}).json() == body


def test_an_active_plan_without_days_plans_nothing(api_as, trainer, client_user):
    today = client_user.local_today()
    plan = WeeklyPlanFactory(trainer=trainer, client=client_user, week_start=today, status=PlanStatus.ACTIVE)
    WorkoutSessionFactory(client=client_user, date=today)

    (overview,) = api_as(trainer).get(URL).json()["results"]

    assert overview["active_plan"] == {"id": plan.id, "week_start": today.isoformat()}
    assert overview["last_week_compliance"] == {"planned_sessions": 0, "completed_sessions": 0, "compliance": None}


def test_overview_renders_as_its_fields_would(trainer, client_user, other_client):
    today = client_user.local_today()
    plan = active_plan(trainer=trainer, client=client_user, week_start=today - 2 * DAY, dates=[today - DAY, today])
    WorkoutSessionFactory(client=client_user, date=today - 5 * DAY, plan_day=plan.days.first())
    ClientFactory(trainer=trainer, timezone="Pacific/Kiritimati")
    clients = selectors.clients_with_last_week(clients=list(selectors.client_list(trainer=trainer)))
    serializer = ClientOverviewSerializer()

    by_field = [super(ClientOverviewSerializer, serializer).to_representation(client) for client in clients]

    assert JSONRenderer().render(ClientOverviewSerializer(clients, many=True).data) == JSONRenderer().render(by_field)
