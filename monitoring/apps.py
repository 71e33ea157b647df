from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        from celery import signals as celery
        from django.db.backends.signals import connection_created

        from monitoring import schema  # noqa: F401 - registers the OpenAPI extension
        from monitoring.logs import configure_structlog
        from monitoring.queries import slow_query_log_install
        from monitoring.worker import (
            task_failed,
            task_finished,
            task_started,
            worker_metrics_start,
            worker_process_exited,
        )

        configure_structlog()
        connection_created.connect(slow_query_log_install, dispatch_uid="monitoring.slow_query_log")
        celery.task_prerun.connect(task_started, dispatch_uid="monitoring.task_started")
        celery.task_postrun.connect(task_finished, dispatch_uid="monitoring.task_finished")
        celery.task_failure.connect(task_failed, dispatch_uid="monitoring.task_failed")
        celery.worker_init.connect(worker_metrics_start, dispatch_uid="monitoring.worker_metrics_start")
        celery.worker_process_shutdown.connect(worker_process_exited, dispatch_uid="monitoring.worker_process_exited")
