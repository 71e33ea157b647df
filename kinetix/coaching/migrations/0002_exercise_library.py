from django.db import migrations

from kinetix.coaching.library import library_remove, library_sync
from kinetix.migration_operations import RunPython


def load(apps, schema_editor):
    exercise, muscle = apps.get_model("coaching", "Exercise"), apps.get_model("coaching", "ExerciseMuscle")
    library_sync(exercise, muscle, using=schema_editor.connection.alias)


def unload(apps, schema_editor):
    library_remove(apps.get_model("coaching", "Exercise"), using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("coaching", "0001_initial")]

    # The reverse refuses (ProtectedError) once plans or logged sets use a library exercise.
    operations = [RunPython(load, unload)]
