from django.core.management.base import BaseCommand, CommandError, CommandParser

from billing.services import catalog_push, webhook_endpoint_register
from kinetix.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Create or update the tier catalog's Products and Prices in Stripe, sync them, and register the "
        "webhook endpoint. Safe to re-run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--webhook-base-url",
            help="This deployment's public base URL (https://api.example.com); the webhook endpoint is "
            "registered at <base>/stripe/webhook/<uuid>/. Without it an existing endpoint is left alone.",
        )

    def handle(self, *args: object, webhook_base_url: str | None = None, **options: object) -> None:
        try:
            for line in catalog_push():
                self.stdout.write(line)
            if webhook_base_url:
                self.stdout.write(webhook_endpoint_register(base_url=webhook_base_url))
            else:
                self.stdout.write("webhook endpoint: skipped (give --webhook-base-url to register or update it)")
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
