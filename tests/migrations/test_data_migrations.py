"""The project's data migrations and the expand steps (perceived effort, per-set targets), with django-test-migrations.

Each test starts from an empty scratch database and applies only the migrations its target needs: the
broad plan of `Migrator.apply_initial_migration` would first run dj-stripe's, some 40 seconds of them.
"""

import importlib
import time

import pytest
from django.core.management import call_command
from django.db import OperationalError, connections
from django.db.models import ProtectedError
from django.db.migrations.recorder import MigrationRecorder
from django_test_migrations.migrator import Migrator

from kinetix.coaching.library import library_entries
from tests.migrations.conftest import SCRATCH_ALIAS, connect

pytestmark = pytest.mark.migration_test

TEMPLATES = importlib.import_module("notifications.migrations.0002_seed_templates").TEMPLATES
LIBRARY = ("coaching", "0002_exercise_library")
EXPAND = ("coaching", "0003_workoutsession_perceived_effort")


@pytest.fixture
def migrator(scratch_database) -> Migrator:
    """django-test-migrations' Migrator on a scratch database, never on the test database."""
    return Migrator(scratch_database)


def rows(state, model: str):
    """Return the manager of a historical model (`app.Model`) on the scratch database."""
    return state.apps.get_model(model).objects.db_manager(SCRATCH_ALIAS)


def a_client(state):
    return rows(state, "accounts.User").create(email="client@kinetix.test", role="client")


def test_the_exercise_library_loads_and_unloads_leaving_trainers_exercises(migrator):
    before = migrator.apply_tested_migration(("coaching", "0001_initial"))
    trainer = rows(before, "accounts.User").create(email="coach@kinetix.test", role="trainer")
    rows(before, "coaching.Exercise").create(slug="my-own-squat", name="My squat", equipment="barbell", owner=trainer)

    # Forwards to the latest, then back past two migrations at once: the reverse runs in a multi-step plan.
    after = migrator.apply_tested_migration(EXPAND)
    entries = library_entries()
    shipped = rows(after, "coaching.Exercise").filter(owner=None)
    assert set(shipped.values_list("slug", flat=True)) == {e["slug"] for e in entries}
    muscles = sum(len(e["primary_muscles"]) + len(e["secondary_muscles"]) for e in entries)
    assert rows(after, "coaching.ExerciseMuscle").filter(exercise__owner=None).count() == muscles

    reverted = migrator.apply_tested_migration(("coaching", "0001_initial"))
    assert list(rows(reverted, "coaching.Exercise").values_list("slug", flat=True)) == ["my-own-squat"]
    assert not rows(reverted, "coaching.ExerciseMuscle").exists()


def test_unloading_the_library_is_refused_while_logged_sets_use_it(migrator, scratch_database):
    state = migrator.apply_tested_migration(LIBRARY)
    squat = rows(state, "coaching.Exercise").filter(owner=None).first()
    workout = rows(state, "coaching.WorkoutSession").create(client=a_client(state), date="2026-11-02")
    rows(state, "coaching.SetLog").create(session=workout, exercise=squat, set_number=1, reps=5)

    with pytest.raises(ProtectedError):
        migrator.apply_tested_migration(("coaching", "0001_initial"))

    # The migration's transaction rolled back: library, history and record all stay.
    assert rows(state, "coaching.Exercise").filter(owner=None).count() == len(library_entries())
    assert LIBRARY in MigrationRecorder(connections[scratch_database]).applied_migrations()


def test_notification_templates_are_seeded_and_unseeded_leaving_other_events(migrator):
    before = migrator.apply_tested_migration(("notifications", "0001_initial"))
    rows(before, "notifications.NotificationTemplate").create(event="team_news", locale="en", title="News", body="Hi")

    after = migrator.apply_tested_migration(("notifications", "0002_seed_templates"))
    templates = rows(after, "notifications.NotificationTemplate")
    seeded = {(event, locale) for event in TEMPLATES for locale in ("en", "sr-latn")}
    assert set(templates.values_list("event", "locale")) == seeded | {("team_news", "en")}
    assert templates.get(event="plan_activated", locale="en").deep_link == "kinetix://plans/{plan_id}"

    reverted = migrator.apply_tested_migration(("notifications", "0001_initial"))
    templates = rows(reverted, "notifications.NotificationTemplate")
    assert list(templates.values_list("event", "locale")) == [("team_news", "en")]


def test_the_expand_step_serves_the_release_before_it_and_reverses(migrator, scratch_database):
    before = migrator.apply_tested_migration(LIBRARY)
    client = a_client(before)
    logged_before = rows(before, "coaching.WorkoutSession").create(client=client, date="2026-11-02")

    after = migrator.apply_tested_migration(EXPAND)
    # The release before this one inserts without naming the new column, and that still works.
    logged_by_old_code = rows(before, "coaching.WorkoutSession").create(client_id=client.pk, date="2026-11-03")
    rated = rows(after, "coaching.WorkoutSession").create(client_id=client.pk, date="2026-11-04", perceived_effort=8)
    assert dict(rows(after, "coaching.WorkoutSession").values_list("pk", "perceived_effort")) == {
        logged_before.pk: None,
        logged_by_old_code.pk: None,
        rated.pk: 8,
    }

    migrator.apply_tested_migration(LIBRARY)
    connection = connections[scratch_database]
    with connection.cursor() as cursor:
        columns = [c.name for c in connection.introspection.get_table_description(cursor, "coaching_workoutsession")]
    assert "perceived_effort" not in columns
    assert rows(before, "coaching.WorkoutSession").count() == 3


@pytest.mark.parametrize("backwards", [False, True])
def test_the_expand_step_neither_rewrites_nor_scans_nor_waits_long_for_its_lock(scratch_database, backwards):
    sql = call_command("sqlmigrate", *EXPAND, database=scratch_database, backwards=backwards)
    statements = [line for line in sql.splitlines() if line and not line.startswith("--")]
    # No DEFAULT (a rewrite before PostgreSQL 11), no NOT NULL or CHECK (a scan under the exclusive lock).
    change = 'DROP COLUMN "perceived_effort" CASCADE' if backwards else 'ADD COLUMN "perceived_effort" smallint NULL'
    assert statements == [
        "BEGIN;",
        "SET LOCAL lock_timeout = 3000;",
        f'ALTER TABLE "coaching_workoutsession" {change};',
        "SET LOCAL lock_timeout = 3000;",
        "COMMIT;",
    ]


def test_the_expand_step_gives_up_rather_than_stall_the_table_behind_a_long_transaction(migrator, scratch_database):
    migrator.apply_tested_migration(LIBRARY)
    with connect(connections.settings[scratch_database]["NAME"]) as reporting:
        # A long read elsewhere holds a share lock on the table until its transaction ends.
        reporting.execute("SELECT count(*) FROM coaching_workoutsession")
        started = time.monotonic()
        with pytest.raises(OperationalError, match="lock timeout"):
            migrator.apply_tested_migration(EXPAND)
        # Well before the 25 s statement timeout, which would otherwise be the first to end the wait.
        assert 2.5 < time.monotonic() - started < 20

    assert EXPAND not in MigrationRecorder(connections[scratch_database]).applied_migrations()
    migrator.apply_tested_migration(EXPAND)  # once the long transaction is over, the release goes through


SET_TARGETS = ("coaching", "0004_plannedexercise_set_targets")


def a_prescription(state, client) -> object:
    trainer = rows(state, "accounts.User").create(email="trainer@kinetix.test", role="trainer")
    plan = rows(state, "coaching.WeeklyPlan").create(
        trainer=trainer, client=client, week_start="2026-11-30", title="Block", goal="strength", level="beginner"
    )
    day = rows(state, "coaching.PlanDay").create(plan=plan, weekday=1)
    squat = rows(state, "coaching.Exercise").get(slug="barbell-back-squat")
    return rows(state, "coaching.PlannedExercise").create(day=day, exercise=squat, sets=3, reps_min=5, reps_max=5)


def test_per_set_targets_arrive_empty_for_every_existing_and_old_code_prescription(migrator, scratch_database):
    before = migrator.apply_tested_migration(EXPAND)
    client = a_client(before)
    existing = a_prescription(before, client)

    after = migrator.apply_tested_migration(SET_TARGETS)
    # The release before inserts without naming the column; the database default fills it.
    by_old_code = rows(before, "coaching.PlannedExercise").create(
        day_id=existing.day_id, exercise_id=existing.exercise_id, sets=2, reps_min=8, reps_max=8
    )
    targets = dict(rows(after, "coaching.PlannedExercise").values_list("pk", "set_targets"))
    assert targets == {existing.pk: [], by_old_code.pk: []}

    migrator.apply_tested_migration(EXPAND)
    assert rows(before, "coaching.PlannedExercise").count() == 2


def test_the_set_targets_column_is_added_from_the_catalog_with_a_short_lock_wait(scratch_database):
    sql = call_command("sqlmigrate", *SET_TARGETS, database=scratch_database)
    statements = [line for line in sql.splitlines() if line and not line.startswith("--")]
    # A constant default: PostgreSQL 11+ records it in the catalog instead of rewriting the table.
    assert statements == [
        "BEGIN;",
        "SET LOCAL lock_timeout = 3000;",
        """ALTER TABLE "coaching_plannedexercise" ADD COLUMN "set_targets" jsonb DEFAULT '[]'::jsonb NOT NULL;""",
        "SET LOCAL lock_timeout = 3000;",
        "COMMIT;",
    ]
