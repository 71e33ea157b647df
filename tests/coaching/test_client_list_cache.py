"""The trainer's client list is answered from the cache until something it shows changes."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from kinetix.accounts.models import CoachingLink, User
from kinetix.coaching.models import PlanStatus, WorkoutSession
from tests.admin.helpers import admin_url, form_data, form_errors
from tests.factories import (
    ClientFactory,
    InvitationFactory,
    PlanDayFactory,
    SuperuserFactory,
    TrainerFactory,
    WeeklyPlanFactory,
    WorkoutSessionFactory,
    plan_document,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/clients/"
DAY = datetime.timedelta(days=1)


@pytest.fixture
def read(api_as, trainer):
    """Return the trainer's client list as JSON, read with a trainer's token."""
    api = api_as(trainer)
    return lambda **query: api.get(URL, query).json()


def by_id(body: dict) -> dict[int, dict]:
    return {client["id"]: client for client in body["results"]}


def log_workout_today(api, client_user):
    """Log one set of squats today through the API, as the client's app does, and return the answer."""
    sets = [{"exercise": "test-squat", "set_number": 1, "reps": 5, "load_kg": 100}]
    logged = api.post("/api/v1/workouts/", {"date": client_user.local_today().isoformat(), "sets": sets}, format="json")
    assert logged.status_code == 201
    return logged


def browser_as(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def admin_change(browser: Client, obj, **fields):
    """Post an object's admin change form back as rendered, with `fields` changed."""
    data = form_data(browser.get(admin_url(type(obj), "change", obj.pk)))
    for name, value in list(data.items()):
        if isinstance(value, datetime.datetime):  # shown as a date input and a time input
            del data[name]
            data[f"{name}_0"], data[f"{name}_1"] = value.date().isoformat(), value.time().isoformat()
    data.update(fields)
    response = browser.post(admin_url(type(obj), "change", obj.pk), data)
    assert response.status_code == 302, form_errors(response)


def test_a_repeated_read_is_served_from_the_cache_with_the_same_bytes(
    api_as, trainer, client_user, django_assert_max_num_queries, django_assert_num_queries
):
    today = client_user.local_today()
    plan = WeeklyPlanFactory(trainer=trainer, client=client_user, week_start=today, status=PlanStatus.ACTIVE)
    WorkoutSessionFactory(
        client=client_user, date=today, plan_day=PlanDayFactory(plan=plan, weekday=today.isoweekday())
    )
    ClientFactory(trainer=trainer, timezone="Pacific/Kiritimati")
    api = api_as(trainer)

    # auth, the roster's client ids, the page, active plans with their days, workout dates
    with django_assert_max_num_queries(5):
        rendered = api.get(URL)
    with django_assert_num_queries(1):  # auth only
        cached = api.get(URL)

    assert (cached.status_code, cached["Content-Type"], cached.content) == (200, "application/json", rendered.content)
    assert by_id(cached.json())[client_user.id]["last_week_compliance"]["completed_sessions"] == 1
    # Another page, and another host (its next/previous links), are answers of their own.
    assert api.get(URL, {"page_size": 1}).json()["next"] == "http://testserver/api/v1/clients/?page=2&page_size=1"
    assert api.get(URL, HTTP_HOST="localhost").json()["next"] is None


def test_a_logged_workout_and_a_deleted_one_reach_the_next_read(api_as, read, client_user, exercises, committed):
    assert read()["results"][0]["last_workout_date"] is None

    with committed():
        logged = log_workout_today(api_as(client_user), client_user)
    assert read()["results"][0]["last_workout_date"] == client_user.local_today().isoformat()

    with committed():
        assert api_as(client_user).delete(f"/api/v1/workouts/{logged.json()['id']}/").status_code == 204
    assert read()["results"][0]["last_workout_date"] is None


def test_an_activation_shows_the_new_plan_and_drops_the_archived_one(api_as, read, trainer, client_user, committed):
    today = client_user.local_today()
    current = WeeklyPlanFactory(
        trainer=trainer, client=client_user, week_start=today - 3 * DAY, status=PlanStatus.ACTIVE
    )
    draft = WeeklyPlanFactory(trainer=trainer, client=client_user, week_start=today - DAY)
    assert read()["results"][0]["active_plan"]["id"] == current.id

    # Activation archives `current` with QuerySet.update: the save of `draft`, the same client's plan, is
    # what tells the cache.
    with committed():
        assert api_as(trainer).post(f"/api/v1/plans/{draft.id}/activate/").status_code == 200

    assert read()["results"][0]["active_plan"] == {"id": draft.id, "week_start": (today - DAY).isoformat()}


def test_an_edited_plan_reaches_the_next_read(api_as, read, trainer, client_user, exercises, committed):
    api = api_as(trainer)
    slugs = [exercise.slug for exercise in exercises]
    week_start = (client_user.local_today() - 6 * DAY).isoformat()
    body = {"client": client_user.id, "week_start": week_start, "document": plan_document(slugs, days=7)}
    plan = api.post("/api/v1/plans/", body, format="json").json()
    api.post(f"/api/v1/plans/{plan['id']}/activate/")
    assert read()["results"][0]["last_week_compliance"]["planned_sessions"] == 7

    with committed():
        assert api.put(f"/api/v1/plans/{plan['id']}/", plan_document(slugs, days=2), format="json").status_code == 200

    assert read()["results"][0]["last_week_compliance"]["planned_sessions"] == 2


def test_ending_coaching_drops_the_client_from_the_next_read(api_as, read, trainer, client_user, committed):
    assert read()["count"] == 1

    with committed():
        assert api_as(trainer).delete(f"{URL}{client_user.id}/").status_code == 204

    assert read() == {"count": 0, "next": None, "previous": None, "results": []}


def test_a_client_moving_to_another_trainer_leaves_the_old_list_and_joins_the_new(
    api_as, read, trainer, client_user, committed
):
    new_trainer = TrainerFactory()
    ClientFactory(trainer=new_trainer)
    invitation = InvitationFactory(trainer=new_trainer, email=client_user.email)
    assert client_user.id in by_id(read())
    assert client_user.id not in by_id(api_as(new_trainer).get(URL).json())

    with committed():
        accepted = api_as(client_user).post("/api/v1/invitations/accept/", {"code": invitation.code}, format="json")
    assert accepted.status_code == 200

    assert client_user.id not in by_id(read())
    assert client_user.id in by_id(api_as(new_trainer).get(URL).json())


def test_a_client_renaming_themselves_moves_them_on_every_page(api_as, read, trainer, committed):
    ann = ClientFactory(trainer=trainer, full_name="Ann")
    bob = ClientFactory(trainer=trainer, full_name="Bob")
    assert [c["full_name"] for c in read(page_size=1)["results"]] == ["Ann"]  # Bob is not on this page

    with committed():
        assert api_as(bob).patch("/api/v1/me/", {"full_name": "Aaron"}, format="json").status_code == 200

    assert [c["id"] for c in read(page_size=1)["results"]] == [bob.id]
    assert [c["id"] for c in read(page=2, page_size=1)["results"]] == [ann.id]


def test_signing_in_keeps_the_cached_list(api, read, client_user, committed, django_assert_num_queries):
    password = "a long enough password"
    client_user.set_password(password)
    client_user.save()
    read()

    with committed():  # stores the client's last_login, which no overview shows
        assert api.post("/api/v1/auth/token/", {"email": client_user.email, "password": password}).status_code == 200

    with django_assert_num_queries(1):
        read()


def test_a_plan_day_changed_in_admin_reaches_the_next_read(read, trainer, client_user, committed):
    today = client_user.local_today()
    plan = WeeklyPlanFactory(trainer=trainer, client=client_user, week_start=today, status=PlanStatus.ACTIVE)
    PlanDayFactory(plan=plan, weekday=today.isoweekday())
    assert read()["results"][0]["last_week_compliance"]["planned_sessions"] == 1

    with committed():  # only the inline changes: the admin saves the plan anyway
        admin_change(browser_as(trainer), plan, **{"days-0-weekday": (today + DAY).isoweekday()})

    assert read()["results"][0]["last_week_compliance"]["planned_sessions"] == 0


def test_workouts_and_profiles_changed_in_admin_reach_the_next_read(read, trainer, client_user, committed):
    other = ClientFactory(trainer=trainer)
    today = client_user.local_today()
    workout = WorkoutSessionFactory(client=client_user, date=today - DAY)
    assert by_id(read())[client_user.id]["last_workout_date"] == (today - DAY).isoformat()
    browser = browser_as(SuperuserFactory())

    def change(obj, **fields):
        with committed():
            admin_change(browser, obj, **fields)

    change(workout, date=(today - 2 * DAY).isoformat())
    assert by_id(read())[client_user.id]["last_workout_date"] == (today - 2 * DAY).isoformat()

    change(WorkoutSession.objects.get(pk=workout.pk), client=other.pk)  # the client it leaves changes too
    overviews = by_id(read())
    assert (overviews[client_user.id]["last_workout_date"], overviews[other.id]["last_workout_date"]) == (
        None,
        (today - 2 * DAY).isoformat(),
    )

    change(User.objects.get(pk=client_user.pk), full_name="Renamed In Admin", timezone="Europe/Belgrade")
    assert (by_id(read())[client_user.id]["full_name"], by_id(read())[client_user.id]["timezone"]) == (
        "Renamed In Admin",
        "Europe/Belgrade",
    )


def test_a_coaching_link_moved_in_admin_leaves_the_old_trainers_list(read, trainer, client_user, committed):
    new_trainer = TrainerFactory()
    link = CoachingLink.objects.get(client=client_user)
    assert read()["count"] == 1

    with committed():
        admin_change(browser_as(SuperuserFactory()), link, trainer=new_trainer.pk)

    assert read()["count"] == 0


def test_the_list_moves_with_the_quarter_hour_of_each_clients_midnight(
    read, trainer, client_user, monkeypatch, django_assert_num_queries
):
    evening = datetime.datetime(2026, 12, 2, 23, 50, tzinfo=datetime.UTC)
    tomorrow = evening.date() + DAY
    plan = WeeklyPlanFactory(trainer=trainer, client=client_user, week_start=tomorrow, status=PlanStatus.ACTIVE)
    PlanDayFactory(plan=plan, weekday=tomorrow.isoweekday())

    monkeypatch.setattr(timezone, "now", lambda: evening)
    assert read()["results"][0]["active_plan"] is None
    monkeypatch.setattr(timezone, "now", lambda: evening + datetime.timedelta(minutes=9))
    with django_assert_num_queries(1):  # the same quarter hour: from the cache
        assert read()["results"][0]["active_plan"] is None

    monkeypatch.setattr(timezone, "now", lambda: evening + datetime.timedelta(minutes=10))  # midnight in UTC
    overview = read()["results"][0]
    assert overview["active_plan"] == {"id": plan.id, "week_start": tomorrow.isoformat()}
    assert overview["last_week_compliance"]["planned_sessions"] == 1


def test_the_list_answers_and_writes_go_through_while_the_cache_is_down(
    api_as, read, client_user, exercises, settings, committed
):
    cached = read()
    settings.CACHES = {"default": {"BACKEND": "monitoring.cache.TimedRedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}

    assert read() == cached
    with committed():
        log_workout_today(api_as(client_user), client_user)
    assert read()["results"][0]["last_workout_date"] == client_user.local_today().isoformat()


def test_one_clients_overview_is_cached_the_same_way(
    api_as, trainer, client_user, other_client, exercises, committed, django_assert_num_queries
):
    api = api_as(trainer)
    url = f"{URL}{client_user.id}/"
    first = api.get(url)
    with django_assert_num_queries(1):  # auth only
        again = api.get(url)
    assert (again.status_code, again.content) == (200, first.content)
    assert api.get(f"{URL}{other_client.id}/").status_code == 404  # not linked: never from the cache
    today = client_user.local_today().isoformat()
    sets = [{"exercise": "test-squat", "set_number": 1, "reps": 5, "load_kg": 100}]

    with committed():
        api_as(client_user).post("/api/v1/workouts/", {"date": today, "sets": sets}, format="json")
    assert api.get(url).json()["last_workout_date"] == today

    with committed():
        api.delete(url)
    assert api.get(url).status_code == 404
