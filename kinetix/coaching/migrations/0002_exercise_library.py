from django.db import migrations

from kinetix.coaching.library import library_remove, library_sync


def load(apps, schema_editor):
    library_sync(apps.get_model("coaching", "Exercise"), apps.get_model("coaching", "ExerciseMuscle"))


def unload(apps, schema_editor):
    library_remove(apps.get_model("coaching", "Exercise"))


class Migration(migrations.Migration):
    dependencies = [("coaching", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
