"""`manage.py migration_status` and readiness tell a database behind the code from one ahead of it."""

import importlib
import io

import pytest
from django.core.management import CommandError, call_command
from django.db.migrations.recorder import MigrationRecorder

pytestmark = pytest.mark.django_db

FROM_A_NEWER_RELEASE = {"app": "coaching", "name": "9999_from_a_newer_release"}


def status() -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("migration_status", stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue() + str(error)
    return 0, out.getvalue()


def forget_the_latest_migration() -> str:
    # The test's transaction puts the row back afterwards.
    latest = MigrationRecorder.Migration.objects.filter(app="coaching").latest("id")
    latest.delete()
    return f"coaching.{latest.name}"


def test_in_step_exits_0():
    assert status() == (0, "in step: every migration of the code is applied, and no other.\n")


def test_behind_names_the_unapplied_migrations_and_exits_1():
    forgotten = forget_the_latest_migration()
    code, out = status()
    assert code == 1
    assert f"behind: 1 migration(s) of the code not applied (run migrate):\n  {forgotten}" in out
    assert "the database is behind the code" in out


def test_ahead_names_the_migrations_the_code_lacks_and_exits_2():
    MigrationRecorder.Migration.objects.create(**FROM_A_NEWER_RELEASE)
    code, out = status()
    assert code == 2
    assert "ahead: 1 applied migration(s) this code does not have" in out
    assert "  coaching.9999_from_a_newer_release" in out


def test_behind_and_ahead_at_once_exits_3():
    forget_the_latest_migration()
    MigrationRecorder.Migration.objects.create(**FROM_A_NEWER_RELEASE)
    code, out = status()
    assert code == 3
    assert "the database is both behind and ahead of the code" in out


def test_the_migrations_a_squash_replaced_are_known(monkeypatch):
    # Squashing records the replaced migrations, whose files then go: they are not "ahead".
    squash = importlib.import_module("kinetix.coaching.migrations.0003_workoutsession_perceived_effort")
    monkeypatch.setattr(squash.Migration, "replaces", [("coaching", "0003_squashed_away")])
    MigrationRecorder.Migration.objects.create(app="coaching", name="0003_squashed_away")
    assert status()[0] == 0


def test_readiness_stays_ready_but_reports_a_database_ahead(api):
    MigrationRecorder.Migration.objects.create(**FROM_A_NEWER_RELEASE)
    response = api.get("/health/ready/")
    assert response.status_code == 200
    assert response.json()["checks"]["migrations"]["status"] == "ahead"


def test_readiness_fails_on_a_database_behind(api):
    forget_the_latest_migration()
    response = api.get("/health/ready/")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"]["status"] == "failed"
