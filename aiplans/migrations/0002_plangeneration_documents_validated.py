from django.db import migrations, models


class Migration(migrations.Migration):
    # Expand only: the database default lets code from before the flag insert rows (unflagged). Rows stored
    # before it stay unflagged and are validated whenever they are read; no backfill.
    dependencies = [
        ("aiplans", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="plangeneration",
            name="documents_validated",
            field=models.BooleanField(
                db_default=False,
                default=False,
                help_text="The draft and approved document were stored as the validator dumps them "
                "(aiplans.services), so reading them back needs no validation; rows stored before this flag "
                "are validated when read.",
            ),
        ),
    ]
