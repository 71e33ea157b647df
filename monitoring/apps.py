from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        from monitoring import schema  # noqa: F401 - registers the OpenAPI extension
        from monitoring.logs import configure_structlog

        configure_structlog()
