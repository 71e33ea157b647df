import datetime

import pytest

from kinetix.accounts.services import coaching_link_end
from kinetix.coaching.models import BodyMetric, PlanStatus
from tests.factories import (
    BodyMetricFactory,
    ClientFactory,
    ExerciseFactory,
    PlanDayFactory,
    SetLogFactory,
    WeeklyPlanFactory,
    WorkoutSessionFactory,
)

pytestmark = pytest.mark.django_db

METRICS = "/api/v1/progress/body-metrics/"
SUMMARY = "/api/v1/progress/summary/"
DAY = datetime.timedelta(days=1)


def this_monday(client) -> datetime.date:
    today = client.local_today()
    return today - today.weekday() * DAY


def plan_days(*, trainer, client, week_start, weekdays, status=PlanStatus.ACTIVE):
    plan = WeeklyPlanFactory(trainer=trainer, client=client, week_start=week_start, status=status)
    return {weekday: PlanDayFactory(plan=plan, weekday=weekday) for weekday in weekdays}


def workout(client, date, sets=(), plan_day=None):
    session = WorkoutSessionFactory(client=client, date=date, plan_day=plan_day)
    for number, (exercise, reps, load) in enumerate(sets, start=1):
        SetLogFactory(session=session, exercise=exercise, set_number=number, reps=reps, load_kg=load)
    return session


# Body metrics -----------------------------------------------------------------------------------


def test_recording_a_date_twice_updates_the_one_entry(api_as, client_user):
    api = api_as(client_user)
    date = (client_user.local_today() - DAY).isoformat()

    first = api.post(METRICS, {"date": date, "weight_kg": 82.456, "notes": "morning"}, format="json")
    assert first.status_code == 201, first.json()
    assert first.json()["weight_kg"] == 82.46
    assert first.json()["waist_cm"] is None

    again = api.post(METRICS, {"date": date, "waist_cm": 88.5, "resting_heart_rate": 58}, format="json")
    assert again.status_code == 200, again.json()
    body = again.json()
    assert body["id"] == first.json()["id"]
    # Values given replace, values left out stay.
    assert (body["weight_kg"], body["waist_cm"], body["resting_heart_rate"], body["notes"]) == (
        82.46,
        88.5,
        58,
        "morning",
    )
    assert BodyMetric.objects.filter(client=client_user).count() == 1


def test_date_defaults_to_the_clients_today(api_as, trainer):
    client = ClientFactory(trainer=trainer, timezone="Pacific/Kiritimati")
    response = api_as(client).post(METRICS, {"body_fat_pct": 18.25}, format="json")
    assert response.status_code == 201
    assert response.json()["date"] == client.local_today().isoformat()
    assert response.json()["body_fat_pct"] == 18.3


def test_a_record_needs_a_measurement(api_as, client_user):
    response = api_as(client_user).post(METRICS, {"notes": "just notes"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "measurement_required"
    assert not BodyMetric.objects.exists()


def test_out_of_range_metrics_are_refused_with_every_path(api_as, client_user):
    body = {
        "date": (client_user.local_today() + 2 * DAY).isoformat(),
        "weight_kg": 19.9,
        "body_fat_pct": 80,
        "waist_cm": 100,
        "resting_heart_rate": 221,
    }
    response = api_as(client_user).post(METRICS, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert [(e["path"], e["code"]) for e in response.json()["errors"]] == [
        ("date", "date_in_future"),
        ("weight_kg", "greater_than_equal"),
        ("body_fat_pct", "less_than_equal"),
        ("resting_heart_rate", "less_than_equal"),
    ]
    assert not BodyMetric.objects.exists()


@pytest.mark.parametrize(
    ("body", "path", "code"),
    [
        ({"weight_kg": "heavy"}, "weight_kg", "invalid"),
        ({"weight_kg": "1e400"}, "weight_kg", "less_than_equal"),
        ({"waist_cm": "NaN"}, "waist_cm", "invalid"),
        ({"resting_heart_rate": 60.5}, "resting_heart_rate", "invalid"),
        ({"date": "x"}, "date", "invalid"),
    ],
)
def test_malformed_metrics_name_the_field(api_as, client_user, body, path, code):
    response = api_as(client_user).post(METRICS, {"weight_kg": 80, **body}, format="json")
    assert response.status_code == 400
    assert [(e["path"], e["code"]) for e in response.json()["errors"]] == [(path, code)]


def test_only_clients_record_metrics(api, api_as, trainer):
    assert api_as(trainer).post(METRICS, {"weight_kg": 80}, format="json").status_code == 403
    assert api.post(METRICS, {"weight_kg": 80}, format="json").status_code == 401
    assert api.get(METRICS).status_code == 401


def test_metric_lists_are_scoped_and_filtered(api_as, trainer, client_user, other_trainer, other_client):
    today = client_user.local_today()
    mine = [BodyMetricFactory(client=client_user, date=today - n * DAY) for n in range(5)]
    BodyMetricFactory(client=other_client, date=today)

    own = api_as(client_user).get(METRICS, {"from": (today - 3 * DAY).isoformat(), "to": (today - DAY).isoformat()})
    assert [m["id"] for m in own.json()["results"]] == [mine[1].id, mine[2].id, mine[3].id]

    coach = api_as(trainer)
    assert coach.get(METRICS, {"client": client_user.id}).json()["count"] == 5
    assert {m["client"] for m in coach.get(METRICS).json()["results"]} == {client_user.id}
    assert coach.get(METRICS, {"client": other_client.id}).status_code == 404
    assert api_as(other_trainer).get(METRICS, {"client": client_user.id}).status_code == 404
    assert api_as(client_user).get(METRICS, {"client": other_client.id}).status_code == 404


# Summary --------------------------------------------------------------------------------------


def test_summary_reports_weekly_compliance_volume_and_records(api_as, trainer, client_user):
    squat, bench, plank = ExerciseFactory(name="Squat"), ExerciseFactory(name="Bench"), ExerciseFactory(name="Plank")
    monday = this_monday(client_user)

    # Last week: Monday, Wednesday and Friday planned; Monday done on its date, Wednesday's done on Thursday.
    last_week = plan_days(trainer=trainer, client=client_user, week_start=monday - 7 * DAY, weekdays=[1, 3, 5])
    workout(client_user, monday - 7 * DAY, [(squat, 5, 100), (squat, 3, 110)])
    workout(client_user, monday - 4 * DAY, [(squat, 1, 120)], plan_day=last_week[3])
    # Two weeks ago: a plan starting on a Wednesday spreads over two ISO weeks; drafts and archived plans don't count.
    plan_days(trainer=trainer, client=client_user, week_start=monday - 19 * DAY, weekdays=[3, 1, 2])
    plan_days(trainer=trainer, client=client_user, week_start=monday - 14 * DAY, weekdays=[4], status="draft")
    plan_days(trainer=trainer, client=client_user, week_start=monday - 14 * DAY, weekdays=[5], status="archived")
    workout(client_user, monday - 13 * DAY, [(plank, 1, 0)])
    # Four weeks ago: training with no plan; long ago: bench records outside the weeks shown.
    workout(client_user, monday - 28 * DAY, [(bench, 8, 40)])
    workout(client_user, monday - 70 * DAY, [(bench, 15, 60), (bench, 10, 50)])
    workout(client_user, monday - 63 * DAY, [(bench, 10, 50)])
    BodyMetricFactory(client=client_user, date=monday - 20 * DAY, weight_kg=81)
    BodyMetricFactory(client=client_user, date=monday - 2 * DAY, weight_kg="80.50", waist_cm=86)

    response = api_as(client_user).get(SUMMARY)

    assert response.status_code == 200, response.json()
    summary = response.json()
    assert summary["client"] == client_user.id
    assert summary["e1rm_formula"] == "epley"
    weeks = {week["week_start"]: week for week in summary["weeks"]}
    assert list(weeks) == [(monday - n * 7 * DAY).isoformat() for n in range(7, -1, -1)]

    def week(n):
        w = weeks[(monday - n * 7 * DAY).isoformat()]
        return w["planned_sessions"], w["completed_sessions"], w["compliance"], w["sets"], w["tonnage_kg"]

    assert week(1) == (3, 2, 0.667, 3, 950.0)
    assert week(2) == (2, 1, 0.5, 1, 0.0)
    assert week(3) == (1, 0, 0.0, 0, 0.0)
    assert week(4) == (0, 0, None, 1, 320.0)
    assert week(0) == (0, 0, None, 0, 0.0)

    records = summary["personal_records"]
    # A single counts as its load (120), so 110 x 3 (121) is the squat record; 15 reps are too many to count;
    # a tie keeps the first date; a set without load sets no record.
    assert records == [
        {
            "exercise": bench.slug,
            "name": "Bench",
            "estimated_1rm_kg": 66.67,
            "load_kg": 50.0,
            "reps": 10,
            "date": (monday - 70 * DAY).isoformat(),
        },
        {
            "exercise": squat.slug,
            "name": "Squat",
            "estimated_1rm_kg": 121.0,
            "load_kg": 110.0,
            "reps": 3,
            "date": (monday - 7 * DAY).isoformat(),
        },
    ]
    latest = summary["latest_body_metrics"]
    assert (latest["date"], latest["weight_kg"], latest["waist_cm"]) == ((monday - 2 * DAY).isoformat(), 80.5, 86.0)


def test_summary_of_a_new_client_is_empty_not_an_error(api_as, client_user):
    summary = api_as(client_user).get(SUMMARY, {"weeks": 1}).json()
    assert summary["weeks"] == [
        {
            "week_start": this_monday(client_user).isoformat(),
            "planned_sessions": 0,
            "completed_sessions": 0,
            "compliance": None,
            "sets": 0,
            "tonnage_kg": 0.0,
        }
    ]
    assert summary["personal_records"] == []
    assert summary["latest_body_metrics"] is None


def test_summary_weeks_follow_the_clients_time_zone(api_as, trainer):
    client = ClientFactory(trainer=trainer, timezone="Pacific/Kiritimati")
    weeks = api_as(client).get(SUMMARY, {"weeks": 52}).json()["weeks"]
    assert len(weeks) == 52
    assert weeks[-1]["week_start"] == this_monday(client).isoformat()


@pytest.mark.parametrize(("weeks", "code"), [(0, "min_value"), (53, "max_value"), ("many", "invalid")])
def test_summary_weeks_are_bounded(api_as, client_user, weeks, code):
    response = api_as(client_user).get(SUMMARY, {"weeks": weeks})
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"path": "weeks", "code": code, "message": response.json()["errors"][0]["message"]}
    ]


def test_summary_access(api, api_as, trainer, client_user, other_trainer, other_client):
    coach = api_as(trainer)
    assert coach.get(SUMMARY, {"client": client_user.id}).json()["client"] == client_user.id

    missing = coach.get(SUMMARY)
    assert missing.status_code == 400
    assert [(e["path"], e["code"]) for e in missing.json()["errors"]] == [("client", "required")]

    assert coach.get(SUMMARY, {"client": other_client.id}).status_code == 404
    assert api_as(other_trainer).get(SUMMARY, {"client": client_user.id}).status_code == 404
    assert api_as(client_user).get(SUMMARY, {"client": other_client.id}).status_code == 404
    assert api.get(SUMMARY).status_code == 401
    coaching_link_end(trainer=trainer, client=client_user)
    assert coach.get(SUMMARY, {"client": client_user.id}).status_code == 404


@pytest.mark.parametrize("history_weeks", [1, 30])
def test_summary_reads_in_constant_queries(api_as, trainer, client_user, history_weeks, django_assert_max_num_queries):
    exercises = [ExerciseFactory() for _ in range(3)]
    monday = this_monday(client_user)
    for n in range(history_weeks):
        days = plan_days(trainer=trainer, client=client_user, week_start=monday - n * 7 * DAY, weekdays=[1, 4])
        workout(client_user, monday - n * 7 * DAY, [(e, 5, 50 + n) for e in exercises], plan_day=days[1])
        BodyMetricFactory(client=client_user, date=monday - n * 7 * DAY)
    client_api, trainer_api = api_as(client_user), api_as(trainer)

    # auth, planned days, workouts, weekly volume, records, latest metrics (+ the client check for a trainer)
    with django_assert_max_num_queries(6):
        summary = client_api.get(SUMMARY, {"weeks": 52}).json()
    with django_assert_max_num_queries(7):
        assert trainer_api.get(SUMMARY, {"client": client_user.id, "weeks": 52}).status_code == 200
    assert sum(week["planned_sessions"] for week in summary["weeks"]) == 2 * history_weeks
    assert sum(week["completed_sessions"] for week in summary["weeks"]) == history_weeks
    assert sum(week["sets"] for week in summary["weeks"]) == 3 * history_weeks
    assert len(summary["personal_records"]) == 3
