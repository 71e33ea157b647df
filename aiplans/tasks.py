"""Celery tasks of AI plans: thin, each loads by id and calls a service."""

import random

from celery import shared_task
from django.conf import settings

from aiplans import services
from aiplans.providers import ProviderUnavailable

MAX_BACKOFF_SECONDS = 300.0


def retry_countdown(*, retries: int, retry_after: float | None = None) -> float:
    """Return the wait before the next try: exponential backoff with full jitter, at least what the server asked."""
    ceiling = min(MAX_BACKOFF_SECONDS, settings.LLM_RETRY_BACKOFF_SECONDS * 2**retries)
    return max(retry_after or 0.0, random.uniform(ceiling / 2, ceiling))  # noqa: S311 - jitter, not secrets


@shared_task(bind=True, name="aiplans.generation_run", max_retries=None, acks_late=True)
def generation_run_task(self, *, generation_id: int) -> None:
    """Write, validate and repair the generation's draft; retry while the model cannot be reached."""
    try:
        services.generation_run(generation_id=generation_id)
    except ProviderUnavailable as exc:
        if self.request.retries >= settings.LLM_MAX_RETRIES:
            services.generation_fail(
                generation_id=generation_id, reason=f"The model stayed unreachable: {exc}", outcome="unavailable"
            )
            return
        raise self.retry(
            exc=exc, countdown=retry_countdown(retries=self.request.retries, retry_after=exc.retry_after)
        ) from exc
