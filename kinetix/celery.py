"""The Celery application; configuration comes from Django settings (CELERY_*)."""

import os
from logging.config import dictConfig

from celery import Celery
from celery.signals import setup_logging
from django_structlog.celery.steps import DjangoStructLogInitStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kinetix.settings")

app = Celery("kinetix")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Workers log each task with its task_id and the request_id of the request that queued it.
app.steps["worker"].add(DjangoStructLogInitStep)
app.autodiscover_tasks()


@setup_logging.connect
def use_django_logging(**kwargs) -> None:
    """Log through Django's LOGGING (structlog) instead of Celery's own handlers."""
    from django.conf import settings

    dictConfig(settings.LOGGING)
