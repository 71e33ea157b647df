"""Writes of AI plan generation: request, run (write, validate, repair), approve, reject.

Status machine: queued -> running -> needs_review -> approved | rejected; running -> failed.
"""

import datetime
import hashlib
import json
import time
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from aiplans import prompts
from aiplans.models import GenerationStatus, PlanGeneration
from aiplans.planning import CatalogueEntry, PlanRequest, allowed_entries, volume_range
from aiplans.providers import Answer, Message, PlanProvider, Prompt, ProviderRefused, ProviderUnavailable, provider_get
from aiplans.pseudonymise import pseudonymise
from aiplans.selectors import drafts_used_this_month, generation_catalogue, generation_request
from aiplans.validation import answer_check, document_plain
from billing.selectors import entitlements_for
from kinetix.accounts.models import User
from kinetix.accounts.selectors import client_get_for_trainer, client_trainer
from kinetix.coaching.models import Goal, WeeklyPlan
from kinetix.coaching.plan_document import WeeklyPlanDocument, document_from_plan, json_schema
from kinetix.coaching.selectors import client_training_context, exercises_visible, plan_with_content
from kinetix.coaching.services import plan_activate, plan_create
from kinetix.errors import ApplicationError, FieldError, NotFoundError
from monitoring.metrics import AI_GENERATIONS, LLM_REQUEST_DURATION, LLM_TOKENS
from notifications.services import notify

MAX_REPAIR_TURNS = 2
# A run that has held its claim this long is taken to have died with its worker: another may claim it.
CLAIM_LEASE = datetime.timedelta(minutes=15)


# Request ---------------------------------------------------------------------------------------


def _fingerprint(fields: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


def _reviewer_and_client(*, user: User, client_id: int | None) -> tuple[User, User | None]:
    if user.is_trainer:
        client = client_get_for_trainer(trainer=user, client_id=client_id) if client_id is not None else None
        return user, client
    if client_id is not None and client_id != user.pk:
        raise NotFoundError("Client")
    trainer = client_trainer(client=user)
    if trainer is None:
        raise ApplicationError(
            "no_trainer", "A trainer reviews every AI plan; ask yours to invite you.", status_code=409
        )
    return trainer, user


def _quota_check(*, trainer: User) -> None:
    limit = entitlements_for(trainer).limits.ai_drafts_per_month
    used = drafts_used_this_month(trainer=trainer)
    if used >= limit:
        raise ApplicationError(
            "ai_draft_quota_exceeded",
            f"This month's {limit} AI drafts are used; upgrade the plan or wait for next month.",
            status_code=429,
            extra={"limit": limit, "used": used},
        )


@transaction.atomic
def generation_request_create(
    *,
    user: User,
    goal: str,
    level: str,
    equipment: list[str],
    days_per_week: int,
    session_minutes: int,
    client_id: int | None = None,
    injuries: list[str] = (),
    notes: str = "",
    idempotency_key: str = "",
) -> tuple[PlanGeneration, bool]:
    """Queue an AI plan draft for the trainer's review; a repeated idempotency key returns the first request."""
    fields = {
        "goal": goal,
        "level": level,
        "equipment": sorted(set(equipment)),
        "days_per_week": days_per_week,
        "session_minutes": session_minutes,
        "injuries": sorted(set(injuries)),
        "notes": notes,
    }
    fingerprint = _fingerprint({**fields, "client": client_id})
    if idempotency_key:
        existing = PlanGeneration.objects.filter(requested_by=user, idempotency_key=idempotency_key).first()
        if existing is not None:
            return _same_request(existing, fingerprint), False
    trainer, client = _reviewer_and_client(user=user, client_id=client_id)
    # One request at a time per trainer, so that two at once cannot both take the last draft of the month.
    User.objects.select_for_update().filter(pk=trainer.pk).first()
    _quota_check(trainer=trainer)
    try:
        with transaction.atomic():
            generation = PlanGeneration.objects.create(
                requested_by=user,
                trainer=trainer,
                client=client,
                idempotency_key=idempotency_key,
                request_fingerprint=fingerprint,
                **fields,
            )
    except IntegrityError:  # the same key arrived twice at once; the first one stands
        existing = PlanGeneration.objects.get(requested_by=user, idempotency_key=idempotency_key)
        return _same_request(existing, fingerprint), False
    transaction.on_commit(lambda: _run_queue(generation.pk))
    return generation, True


def _same_request(generation: PlanGeneration, fingerprint: str) -> PlanGeneration:
    if generation.request_fingerprint != fingerprint:
        raise ApplicationError(
            "idempotency_key_reused",
            "This Idempotency-Key was used for a different request.",
            status_code=422,
        )
    return generation


def _run_queue(generation_id: int) -> None:
    from aiplans.tasks import generation_run_task  # the tasks module imports this one

    generation_run_task.delay(generation_id=generation_id)


# Run -------------------------------------------------------------------------------------------


@transaction.atomic
def generation_claim(*, generation_id: int) -> PlanGeneration | None:
    """Mark a queued generation running and return it; None when another run has it or it is done."""
    generation = PlanGeneration.objects.select_for_update().filter(pk=generation_id).first()
    if generation is None:
        return None
    abandoned = (
        generation.status == GenerationStatus.RUNNING
        and generation.claimed_at is not None
        and generation.claimed_at < timezone.now() - CLAIM_LEASE
    )
    if generation.status != GenerationStatus.QUEUED and not abandoned:
        return None
    generation.status = GenerationStatus.RUNNING
    generation.claimed_at = timezone.now()
    generation.save(update_fields=["status", "claimed_at", "updated_at"])
    return generation


def generation_prompt(*, generation: PlanGeneration, catalogue: dict[str, CatalogueEntry]) -> Prompt:
    """Render the current prompt template for the generation: request, allowed catalogue, schema, client context."""
    people = {"the client": generation.client, "the trainer": generation.trainer}
    request = generation_request(generation)
    request_for_prompt = PlanRequest(**{**request.__dict__, "notes": pseudonymise(request.notes, people=people)})
    context = client_training_context(client=generation.client) if generation.client else None
    template = prompts.CURRENT
    user = template.user_prompt(
        request=request_for_prompt,
        volume=volume_range(request),
        catalogue=allowed_entries(catalogue, request),
        client_context=context,
    )
    return Prompt(
        system=template.system_prompt(schema=json_schema()),
        messages=[Message("user", user)],
        request=request,
        catalogue=catalogue,
    )


def _provider_answer(*, provider: PlanProvider, prompt: Prompt) -> Answer:
    """Call the model once, timing the call (answered or not) and counting the tokens it used."""
    started = time.monotonic()
    try:
        answer = provider.answer(prompt=prompt)
    finally:
        LLM_REQUEST_DURATION.labels(provider=provider.name).observe(time.monotonic() - started)
    LLM_TOKENS.labels(provider=provider.name, kind="input").inc(answer.input_tokens)
    LLM_TOKENS.labels(provider=provider.name, kind="output").inc(answer.output_tokens)
    return answer


def _generation_count(*, provider: str, outcome: str) -> None:
    """Count a finished generation once its transaction commits."""
    transaction.on_commit(AI_GENERATIONS.labels(provider=provider, outcome=outcome).inc)


def generation_run(*, generation_id: int) -> PlanGeneration | None:
    """Claim the generation, have the model write a draft, validate it and repair it up to twice, then record it.

    The model is called outside any transaction; claiming and recording are one short transaction each.
    Raises ProviderUnavailable (after putting the generation back in the queue) when a retry may help.
    """
    generation = generation_claim(generation_id=generation_id)
    if generation is None:
        return None
    catalogue = generation_catalogue(trainer=generation.trainer)
    exercises = exercises_visible(user=generation.trainer)
    try:
        provider = provider_get()
    except ProviderRefused as exc:
        return generation_fail(generation_id=generation.pk, reason=str(exc), outcome="refused")
    prompt = generation_prompt(generation=generation, catalogue=catalogue)
    usage = {"input_tokens": 0, "output_tokens": 0, "latency_ms": 0}
    turns: list[dict] = []
    checked = None
    model = provider.model
    for turn in range(1 + MAX_REPAIR_TURNS):
        try:
            answer = _provider_answer(provider=provider, prompt=prompt)
        except ProviderUnavailable:
            generation_release(generation_id=generation.pk)
            raise
        except ProviderRefused as exc:
            return generation_fail(
                generation_id=generation.pk, reason=str(exc), outcome="refused", provider=provider.name
            )
        model = answer.model
        for key in usage:
            usage[key] += getattr(answer, key)
        checked = answer_check(answer=answer.text, request=prompt.request, catalogue=catalogue, exercises=exercises)
        turns.append({"turn": turn, "passed": checked.report.passed, "errors": checked.report.as_dict()["errors"]})
        if checked.report.passed:
            break
        prompt.messages += [
            Message("assistant", answer.text),
            Message("user", prompts.CURRENT.repair_prompt(errors=checked.report.errors)),
        ]
    return generation_record(
        generation_id=generation.pk,
        provider=provider.name,
        model=model,
        document=checked.document,
        report={**checked.report.as_dict(), "turns": turns},
        attempts=len(turns),
        **usage,
    )


@transaction.atomic
def generation_record(
    *,
    generation_id: int,
    provider: str,
    model: str,
    document: dict | None,
    report: dict,
    attempts: int,
    input_tokens: int,
    output_tokens: int,
    latency_ms: int,
) -> PlanGeneration:
    """Store the last answer and its report: a passing draft goes to review (the trainer is told), else it failed."""
    generation = PlanGeneration.objects.select_for_update().get(pk=generation_id)
    generation.prompt_version = prompts.CURRENT.VERSION
    generation.provider, generation.model = provider, model
    generation.input_tokens, generation.output_tokens = input_tokens, output_tokens
    generation.latency_ms, generation.attempts = latency_ms, attempts
    generation.draft, generation.report = document, report
    generation.documents_validated = True  # answer_check's document_plain, or None
    generation.finished_at = timezone.now()
    if report["passed"]:
        generation.status = GenerationStatus.NEEDS_REVIEW
    else:
        generation.status = GenerationStatus.FAILED
        generation.failure_reason = f"The draft still broke {len(report['errors'])} rule(s) after {attempts} answers."
    generation.save()
    _generation_count(provider=provider, outcome="ok" if report["passed"] else "invalid")
    if generation.status == GenerationStatus.NEEDS_REVIEW:
        trainer, context = (
            generation.trainer,
            {
                "client_name": str(generation.client) if generation.client else "a client to be chosen",
                "goal": Goal(generation.goal).label.lower(),
                "generation_id": generation.pk,
            },
        )
        transaction.on_commit(lambda: notify(user=trainer, event="ai_draft_ready", context=context))
    return generation


@transaction.atomic
def generation_release(*, generation_id: int) -> None:
    """Put a running generation back in the queue for its retry."""
    generation = PlanGeneration.objects.select_for_update().get(pk=generation_id)
    if generation.status == GenerationStatus.RUNNING:
        generation.status = GenerationStatus.QUEUED
        generation.provider_retries += 1
        generation.save(update_fields=["status", "provider_retries", "updated_at"])


@transaction.atomic
def generation_fail(*, generation_id: int, reason: str, outcome: str, provider: str = "") -> PlanGeneration:
    """Give a generation up with the reason (the model unreachable after every retry, or refusing).

    `outcome` (`unavailable`, `refused`) and `provider` (default: LLM_PROVIDER) label the generations counter.
    """
    generation = PlanGeneration.objects.select_for_update().get(pk=generation_id)
    if generation.status in (GenerationStatus.QUEUED, GenerationStatus.RUNNING):
        generation.status = GenerationStatus.FAILED
        generation.failure_reason = reason
        generation.finished_at = timezone.now()
        generation.save(update_fields=["status", "failure_reason", "finished_at", "updated_at"])
        _generation_count(provider=provider or settings.LLM_PROVIDER, outcome=outcome)
    return generation


# Review ----------------------------------------------------------------------------------------


def _reviewable(generation: PlanGeneration, *, by: User, action: str) -> PlanGeneration:
    generation = PlanGeneration.objects.select_for_update().get(pk=generation.pk)
    if generation.trainer_id != by.pk:
        raise NotFoundError("Generation")
    if generation.status == GenerationStatus.APPROVED:
        raise ApplicationError("generation_already_approved", "This draft was approved already.", status_code=409)
    if generation.status != GenerationStatus.NEEDS_REVIEW:
        message = (
            f"Only a draft that needs review can be {action}; this one is {generation.get_status_display().lower()}."
        )
        raise ApplicationError("generation_not_in_review", message, status_code=409)
    return generation


def _next_monday(client: User) -> datetime.date:
    today = client.local_today()
    return today + datetime.timedelta(days=(7 - today.weekday()) % 7)


def _stale_reason(generation: PlanGeneration, client_id: int) -> str:
    if generation.created_at < timezone.now() - settings.AI_DRAFT_MAX_AGE:
        return f"The draft is older than {settings.AI_DRAFT_MAX_AGE.days} days; generate a new one."
    newer = PlanGeneration.objects.filter(
        client_id=client_id, status=GenerationStatus.APPROVED, created_at__gt=generation.created_at
    ).exists()
    return "A newer draft for this client was approved since; generate a new one." if newer else ""


@transaction.atomic
def generation_approve(
    *,
    generation: PlanGeneration,
    by: User,
    document: dict | None = None,
    client_id: int | None = None,
    week_start: datetime.date | None = None,
) -> WeeklyPlan:
    """Publish the draft (or the trainer's edit of it) to the client as a plan, through the plan service."""
    generation = _reviewable(generation, by=by, action="approved")
    if generation.client_id is not None and client_id not in (None, generation.client_id):
        message = "The draft was written for another client."
        raise ApplicationError("client_mismatch", message, errors=[FieldError("client", "client_mismatch", message)])
    client_id = client_id if client_id is not None else generation.client_id
    if client_id is None:
        message = "Name the client this plan is for."
        raise ApplicationError("invalid", message, errors=[FieldError("client", "required", message)])
    client = client_get_for_trainer(trainer=by, client_id=client_id)
    stale = _stale_reason(generation, client.pk)
    if stale:
        raise ApplicationError("generation_stale", stale, status_code=409)
    plan = plan_create(
        trainer=by,
        client_id=client.pk,
        week_start=week_start or _next_monday(client),
        document=document if document is not None else generation.draft,
    )
    plan = plan_with_content(plan=plan_activate(plan=plan, event="ai_plan_approved"))
    generation.approved_document = document_plain(WeeklyPlanDocument.model_validate(document_from_plan(plan)))
    generation.status = GenerationStatus.APPROVED
    generation.client = client
    generation.plan = plan
    generation.reviewed_by, generation.reviewed_at = by, timezone.now()
    generation.save()
    return plan


@transaction.atomic
def generation_reject(*, generation: PlanGeneration, by: User, reason: str) -> PlanGeneration:
    """Turn a draft down with the reason, which the training data keeps."""
    generation = _reviewable(generation, by=by, action="rejected")
    reason = reason.strip()
    if not reason:
        message = "Say why the draft is rejected; the reason trains the next model."
        raise ApplicationError("invalid", message, errors=[FieldError("reason", "required", message)])
    generation.status = GenerationStatus.REJECTED
    generation.rejection_reason = reason
    generation.reviewed_by, generation.reviewed_at = by, timezone.now()
    generation.save()
    return generation
