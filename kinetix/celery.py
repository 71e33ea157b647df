"""The Celery application; configuration comes from Django settings (CELERY_*)."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from logging.config import dictConfig

import redis
from celery import Celery
from celery.signals import setup_logging
from django_structlog.celery.steps import DjangoStructLogInitStep
from kombu.transport import redis as kombu_redis

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


class _RedisChannel(kombu_redis.Channel):
    # kombu builds a redis-py client for every command it sends, about a fifth of the CPU of a task's publish; one
    # per channel does, as a client only borrows connections from the channel's pool.
    @cached_property
    def _commands_client(self) -> redis.Redis:
        return self._create_client()

    @contextmanager
    def conn_or_acquire(self, client: redis.Redis | None = None) -> Iterator[redis.Redis]:
        yield client or self._commands_client


class RedisTransport(kombu_redis.Transport):
    """kombu's Redis transport with one redis-py client per channel (settings.CELERY_BROKER_TRANSPORT)."""

    Channel = _RedisChannel
