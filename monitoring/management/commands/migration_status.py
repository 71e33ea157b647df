"""Tell whether the database's migrations are behind, ahead of or in step with the code's."""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS

from monitoring.health import migration_status

# Exit status and summary by state; in step exits 0.
NOT_IN_STEP = {
    "behind": (1, "the database is behind the code"),
    "ahead": (2, "the database is ahead of the code"),
    "diverged": (3, "the database is both behind and ahead of the code"),
}


class Command(BaseCommand):
    help = (
        "Compare the migrations applied to the database with the code's: in step (exit 0), behind (1: "
        "unapplied migrations, run migrate), ahead (2: applied migrations this code lacks, as after a code "
        "rollback) or both (3). See docs/MIGRATIONS.md."
    )
    requires_system_checks = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="The database to compare (default: default).")

    def handle(self, *args: object, **options: object) -> None:
        status = migration_status(using=str(options["database"]))
        if status.state == "in_step":
            self.stdout.write("in step: every migration of the code is applied, and no other.")
            return
        if status.unapplied:
            self.stdout.write(f"behind: {len(status.unapplied)} migration(s) of the code not applied (run migrate):")
            for name in status.unapplied:
                self.stdout.write(f"  {name}")
        if status.unknown:
            self.stdout.write(
                f"ahead: {len(status.unknown)} applied migration(s) this code does not have "
                "(a newer release applied them; see the rollback runbook in docs/MIGRATIONS.md):"
            )
            for name in status.unknown:
                self.stdout.write(f"  {name}")
        returncode, summary = NOT_IN_STEP[status.state]
        raise CommandError(summary, returncode=returncode)
