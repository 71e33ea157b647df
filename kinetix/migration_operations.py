"""Migration operations for the project's own migrations (docs/MIGRATIONS.md)."""

from django.db import migrations
from django.db.migrations.operations.base import Operation


class RunPython(migrations.RunPython):
    """Run a data migration's code forwards or backwards, both with fully rendered historical models.

    Django re-renders models whose rendering was delayed before forward code only. Reverse code run by a
    migrate that unapplies several migrations (`migrate coaching zero`) can then meet related models that
    point at stale classes, and a delete that cascades fails with "Cannot query ...: Must be ... instance".
    """

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        from_state.clear_delayed_apps_cache()
        super().database_backwards(app_label, schema_editor, from_state, to_state)


class LockTimeout(Operation):
    """Fail the migration rather than wait longer than `milliseconds` for a lock, in either direction.

    A statement waiting for a table lock makes every later query on that table wait behind it, so a
    migration stuck behind a long transaction would stall the site. PostgreSQL only, for the rest of an
    atomic migration's transaction; on SQLite (development) it does nothing. Operations reverse in reverse
    order: put one first and one last to bound both directions.
    """

    reduces_to_sql = True
    reversible = True

    def __init__(self, milliseconds: int) -> None:
        self.milliseconds = int(milliseconds)

    def deconstruct(self) -> tuple[str, list, dict]:
        return self.__class__.__qualname__, [self.milliseconds], {}

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"SET LOCAL lock_timeout = {self.milliseconds}")

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self.database_forwards(app_label, schema_editor, from_state, to_state)

    def describe(self) -> str:
        return f"Wait at most {self.milliseconds} ms for any lock"
