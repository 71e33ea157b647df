"""Every app of ours migrates to zero and back to the latest state on PostgreSQL, leaving the schema as it was.

About three minutes, most of them dj-stripe's migrations (taking `accounts` to zero unapplies every app
that refers to users): `-m "not migration_test"` leaves it out locally, CI runs it.
"""

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connections
from django.db.migrations.recorder import MigrationRecorder

from monitoring.health import migration_status
from tests.migrations.conftest import project_app_labels

pytestmark = pytest.mark.migration_test


def schema(alias: str) -> dict[str, tuple]:
    """Describe every table: its columns and its constraints and indexes."""
    connection = connections[alias]
    with connection.cursor() as cursor:
        return {
            table: (
                [(c.name, c.type_code, c.null_ok, c.default) for c in introspection.get_table_description(cursor, table)],
                sorted(
                    (name, tuple(c["columns"]), c["primary_key"], c["unique"], c["foreign_key"], c["check"], c["index"])
                    for name, c in introspection.get_constraints(cursor, table).items()
                ),
            )
            for introspection in [connection.introspection]
            for table in introspection.table_names(cursor)
        }


def test_every_app_of_ours_migrates_to_zero_and_back(scratch_database):
    call_command("migrate", database=scratch_database, interactive=False, verbosity=0)
    latest = schema(scratch_database)

    for label in reversed(project_app_labels()):
        call_command("migrate", label, "zero", database=scratch_database, interactive=False, verbosity=0)
        applied = MigrationRecorder(connections[scratch_database]).applied_migrations()
        assert not [key for key in applied if key[0] == label]
        tables = set(schema(scratch_database))
        assert not [m._meta.db_table for m in apps.get_app_config(label).get_models() if m._meta.db_table in tables]

    call_command("migrate", database=scratch_database, interactive=False, verbosity=0)
    assert schema(scratch_database) == latest
    assert migration_status(scratch_database).state == "in_step"
