"""Migration operations for the project's own migrations (docs/MIGRATIONS.md)."""

from django.db import migrations


class RunPython(migrations.RunPython):
    """Run a data migration's code forwards or backwards, both with fully rendered historical models.

    Django re-renders models whose rendering was delayed before forward code only. Reverse code run by a
    migrate that unapplies several migrations (`migrate coaching zero`) can then meet related models that
    point at stale classes, and a delete that cascades fails with "Cannot query ...: Must be ... instance".
    """

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        from_state.clear_delayed_apps_cache()
        super().database_backwards(app_label, schema_editor, from_state, to_state)
