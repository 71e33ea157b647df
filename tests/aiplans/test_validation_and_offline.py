"""The validator's rules with their trainer-readable reasons, and the offline generator that must pass them."""

import copy
import json

import pytest

from aiplans.offline import generate_plan
from aiplans.planning import PlanRequest
from aiplans.prompts import plan_v1
from aiplans.selectors import generation_catalogue
from aiplans.validation import answer_check
from kinetix.coaching.selectors import exercises_visible
from tests.aiplans.conftest import GYM, REQUEST

pytestmark = pytest.mark.django_db

REQUEST_OBJECT = PlanRequest(**{**REQUEST, "equipment": tuple(GYM)})


@pytest.fixture
def check(trainer):
    catalogue = generation_catalogue(trainer=trainer)

    def run(document, request: PlanRequest = REQUEST_OBJECT):
        answer = document if isinstance(document, str) else json.dumps(document)
        return answer_check(
            answer=answer, request=request, catalogue=catalogue, exercises=exercises_visible(user=trainer)
        ).report

    return run


def _codes(report) -> set[str]:
    return {error.code for error in report.errors}


def test_the_good_plan_passes_with_its_numbers(check, good_plan):
    report = check(good_plan)

    assert report.passed, report.errors
    assert set(report.weekly_sets) == {"chest", "back", "shoulders", "quads", "hamstrings", "glutes"}
    assert all(minutes <= 60 for minutes in report.session_minutes.values())


def test_not_json_and_schema_errors_come_first(check, good_plan):
    assert _codes(check("```json\n{}")) == {"invalid_json"}
    broken = copy.deepcopy(good_plan)
    broken["days"][1]["exercises"][2]["sets"] = 0
    del broken["title"]
    report = check(broken)
    assert {(e.path, e.code) for e in report.errors} == {
        ("title", "missing"),
        ("days.1.exercises.2.sets", "greater_than_equal"),
    }


def test_each_coaching_rule_names_the_place_and_the_reason(check, good_plan):
    plan = copy.deepcopy(good_plan)
    first = plan["days"][0]["exercises"]
    first[0]["exercise"] = "kettlebell-goblet-squat"
    first[1] = dict(first[2])
    plan["days"].pop()

    report = check(plan, PlanRequest(**{**REQUEST_OBJECT.__dict__, "injuries": ("knee",)}))

    messages = {e.code: (e.path, e.message) for e in report.errors}
    assert messages["equipment_unavailable"] == (
        "days.0.exercises.0.exercise",
        "Monday, exercise 1 (Kettlebell Goblet Squat) needs a kettlebell, which is not in the client's equipment.",
    )
    assert messages["duplicate_exercise"][0] == "days.0.exercises.2.exercise"
    assert messages["wrong_day_count"][1] == "The plan has 3 training days; the request asks for exactly 4."


def test_injuries_rule_out_their_movements(check):
    request = PlanRequest(**{**REQUEST_OBJECT.__dict__, "days_per_week": 1, "injuries": ("shoulder",)})
    press = {"exercise": "barbell-overhead-press", "sets": 3, "reps_min": 8, "reps_max": 10}
    plan = {
        "title": "t",
        "goal": "hypertrophy",
        "level": "intermediate",
        "days": [{"weekday": 1, "exercises": [press]}],
    }

    report = check(plan, request)

    [error] = [e for e in report.errors if e.code == "contraindicated"]
    assert (
        error.message
        == "Monday, exercise 1 (Barbell Overhead Press) loads the shoulder, which the request lists as injured."
    )


def test_volume_and_session_length_are_checked(check, good_plan):
    heavy = copy.deepcopy(good_plan)
    for day in heavy["days"]:
        for item in day["exercises"]:
            item["sets"], item["rest_seconds"] = 10, 300

    report = check(heavy)

    assert {"volume_too_high", "session_too_long"} <= _codes(report)
    too_long = next(e for e in report.errors if e.code == "session_too_long")
    assert too_long.path == "days.0"
    assert "the session is 60 minutes" in too_long.message


GRID = [
    (goal, level, equipment, days, minutes, injuries)
    for goal in ("strength", "hypertrophy", "fat_loss", "endurance", "general_fitness", "mobility")
    for level in ("beginner", "intermediate", "advanced")
    for equipment, injuries in ((tuple(GYM), ()), (("dumbbell", "band", "pull_up_bar"), ("lower_back",)), ((), ()))
    for days, minutes in ((2, 45), (3, 60), (4, 60), (5, 75), (6, 45))
    # Push-ups alone cannot give an advanced lifter hypertrophy volume: bodyweight-only stops at intermediate.
    if equipment or level != "advanced"
]


def test_the_offline_generator_writes_plans_that_pass_every_rule(trainer):
    catalogue = generation_catalogue(trainer=trainer)
    exercises = exercises_visible(user=trainer)
    failing = []
    for goal, level, equipment, days, minutes, injuries in GRID:
        request = PlanRequest(goal, level, equipment, days, minutes, injuries)
        document = generate_plan(request=request, catalogue=catalogue)
        report = answer_check(
            answer=json.dumps(document), request=request, catalogue=catalogue, exercises=exercises
        ).report
        if not report.passed:
            failing.append((request, [e.message for e in report.errors]))
    assert failing == []


def test_the_offline_plan_puts_compound_lifts_first_and_respects_the_equipment(trainer, good_plan):
    catalogue = generation_catalogue(trainer=trainer)

    for day in good_plan["days"]:
        entries = [catalogue[item["exercise"]] for item in day["exercises"]]
        assert entries[0].mechanics == "compound"
        assert all(entry.equipment in (*GYM, "bodyweight") for entry in entries)
    assert generate_plan(request=REQUEST_OBJECT, catalogue=catalogue) == good_plan  # deterministic


def test_the_prompt_holds_the_request_the_allowed_catalogue_and_the_schema(trainer):
    catalogue = list(generation_catalogue(trainer=trainer).values())
    user = plan_v1.user_prompt(
        request=REQUEST_OBJECT, volume=(10, 20), catalogue=catalogue[:3], client_context={"workouts": 7}
    )
    system = plan_v1.system_prompt(schema={"title": "WeeklyPlan"})

    assert "hypertrophy plan for a intermediate client: 4 training days" in user
    assert "10 to 20 weekly hard sets" in user
    assert '"workouts": 7' in user
    assert catalogue[0].slug in user
    assert catalogue[3].slug not in user
    assert '{"title":"WeeklyPlan"}' in system
