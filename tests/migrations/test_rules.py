"""Rules every migration of our apps keeps, read from the migration files themselves."""

from django.db import migrations
from django.db.migrations.loader import MigrationLoader

from kinetix import migration_operations
from tests.migrations.conftest import project_app_labels

# Data migrations whose reverse deliberately does nothing, by (app, migration), each with the reason.
NOOP_REVERSALS: dict[tuple[str, str], str] = {}


def our_migrations() -> dict[tuple[str, str], migrations.Migration]:
    labels = set(project_app_labels())
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return {key: migration for key, migration in sorted(loader.disk_migrations.items()) if key[0] in labels}


def test_every_operation_of_our_migrations_can_be_reversed():
    problems = []
    for (app, name), migration in our_migrations().items():
        for operation in migration.operations:
            where = f"{app}.{name}: {operation.describe()}"
            if not operation.reversible:
                problems.append(f"{where} cannot be reversed: give it reverse code (or a documented no-op)")
            if isinstance(operation, migrations.RunPython):
                if not isinstance(operation, migration_operations.RunPython):
                    problems.append(f"{where} should be kinetix.migration_operations.RunPython")
                noop = operation.reverse_code is migrations.RunPython.noop
            else:
                noop = isinstance(operation, migrations.RunSQL) and operation.reverse_sql == migrations.RunSQL.noop
            if noop and (app, name) not in NOOP_REVERSALS:
                problems.append(f"{where} reverses as a no-op: say why in NOOP_REVERSALS")
    assert problems == []


def test_documented_noop_reversals_name_real_migrations():
    assert set(NOOP_REVERSALS) <= set(our_migrations())


def test_the_migration_linter_reads_every_app_of_ours(settings):
    assert sorted(settings.MIGRATION_LINTER_OPTIONS["include_apps"]) == sorted(project_app_labels())
