"""Training data for fine-tuning a plan model: request -> plan examples and preference pairs, pseudonymised.

Examples come from two sources:
- `trainer_plan`: plans trainers wrote themselves and published (active or archived), their request
  derived from the plan: goal, level, equipment of its exercises, days, and session minutes;
- `approved_ai`: AI drafts a trainer approved, with the request they were generated from and the
  approved (possibly edited) document as the answer.
Preference pairs are AI drafts a trainer edited before approving (the edit preferred), and rejected
drafts of a client whose next draft was approved (that one preferred, the rejection reason kept).
No names, e-mails or free-text notes leave: notes are blanked, titles have the people's names replaced.
Every query streams with `.iterator(chunk_size)`, so memory stays constant whatever the table sizes.
"""

import hashlib
import hmac
import json
from collections.abc import Iterator
from math import ceil

from django.conf import settings
from django.db.models import OuterRef, Prefetch, Subquery

from aiplans import prompts
from aiplans.models import GenerationStatus, PlanGeneration
from aiplans.planning import PlanRequest, exercise_seconds, session_minutes, volume_range
from aiplans.pseudonymise import pseudonymise
from aiplans.selectors import generation_request
from aiplans.validation import document_plain
from kinetix.coaching.models import PlanDay, PlannedExercise, PlanStatus, WeeklyPlan
from kinetix.coaching.plan_document import WeeklyPlanDocument, document_from_plan, json_schema

CHUNK_SIZE = 200
FORMATS = ("openai-chat", "anthropic", "preference-pairs", "pseudonymised")
SESSION_STEP_MINUTES = 15


def pseudonym(kind: str, pk: int) -> str:
    """Return a stable pseudonymous id: the same person or plan always maps to the same one, irreversibly."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{kind}:{pk}".encode(), hashlib.sha256).hexdigest()
    return f"{kind}_{digest[:16]}"


def _clean(document: dict, *, people: dict) -> dict:
    """Return the document without ids and free-text notes, with names in titles replaced."""
    document = document_plain(WeeklyPlanDocument.model_validate(document))
    document["title"] = pseudonymise(document["title"], people=people)
    document["notes"] = ""
    for day in document["days"]:
        day["title"] = pseudonymise(day["title"], people=people)
        day["notes"] = ""
        for item in day["exercises"]:
            item["notes"] = ""
    return document


def _content_with_exercises() -> Prefetch:
    # document_from_plan's content, with whole exercises: the derived request needs their equipment and category.
    exercises = PlannedExercise.objects.select_related("exercise")
    return Prefetch("days", queryset=PlanDay.objects.prefetch_related(Prefetch("exercises", queryset=exercises)))


def _plan_request(plan: WeeklyPlan) -> PlanRequest:
    """Derive the request a trainer's plan answers: its goal, level, equipment, days and session length."""
    equipment, longest = set(), 0
    for day in plan.days.all():
        seconds = 0
        for planned in day.exercises.all():
            equipment.add(planned.exercise.equipment)
            seconds += exercise_seconds(
                entry=planned.exercise, sets=planned.sets, reps_max=planned.reps_max,
                rest_seconds=planned.rest_seconds, tempo=planned.tempo,
            )  # fmt: skip
        longest = max(longest, session_minutes(seconds))
    return PlanRequest(
        goal=plan.goal,
        level=plan.level,
        equipment=tuple(sorted(equipment - {"bodyweight"})),
        days_per_week=len(plan.days.all()),
        session_minutes=ceil(longest / SESSION_STEP_MINUTES) * SESSION_STEP_MINUTES,
    )


def _prompt(request: PlanRequest) -> tuple[str, str]:
    """Return the system and user prompt as production renders them, without catalogue or client context."""
    template = prompts.CURRENT
    user = template.user_prompt(request=request, volume=volume_range(request), catalogue=[], client_context=None)
    return template.system_prompt(schema=json_schema()), user


def _example(*, source: str, example_id: str, request: PlanRequest, document: dict) -> dict:
    return {"source": source, "id": example_id, "request": request, "document": document}


def examples() -> Iterator[dict]:
    """Yield every request -> plan example: trainers' own published plans, then approved AI drafts."""
    ai_plans = PlanGeneration.objects.filter(plan__isnull=False).values("plan_id")
    plans = (
        WeeklyPlan.objects.filter(status__in=[PlanStatus.ACTIVE, PlanStatus.ARCHIVED])
        .exclude(pk__in=ai_plans)
        .select_related("trainer", "client")
        .prefetch_related(_content_with_exercises())
        .order_by("pk")
    )
    for plan in plans.iterator(chunk_size=CHUNK_SIZE):
        people = {"the client": plan.client, "the trainer": plan.trainer}
        yield _example(
            source="trainer_plan",
            example_id=pseudonym("plan", plan.pk),
            request=_plan_request(plan),
            document=_clean(document_from_plan(plan), people=people),
        )
    generations = (
        PlanGeneration.objects.filter(status=GenerationStatus.APPROVED, approved_document__isnull=False)
        .select_related("trainer", "client")
        .order_by("pk")
    )
    for generation in generations.iterator(chunk_size=CHUNK_SIZE):
        people = {"the client": generation.client, "the trainer": generation.trainer}
        yield _example(
            source="approved_ai",
            example_id=pseudonym("generation", generation.pk),
            request=_anonymous_request(generation),
            document=_clean(generation.approved_document, people=people),
        )


def _anonymous_request(generation: PlanGeneration) -> PlanRequest:
    request = generation_request(generation)
    return PlanRequest(**{**request.__dict__, "notes": ""})


def preference_pairs() -> Iterator[dict]:
    """Yield (prompt, preferred, non-preferred) triples from trainers' edits and rejections of AI drafts."""
    next_approved = PlanGeneration.objects.filter(
        client=OuterRef("client"), status=GenerationStatus.APPROVED, created_at__gt=OuterRef("created_at")
    ).order_by("created_at")
    generations = (
        PlanGeneration.objects.filter(
            status__in=[GenerationStatus.APPROVED, GenerationStatus.REJECTED], draft__isnull=False
        )
        .annotate(next_approved_document=Subquery(next_approved.values("approved_document")[:1]))
        .select_related("trainer", "client")
        .order_by("pk")
    )
    for generation in generations.iterator(chunk_size=CHUNK_SIZE):
        people = {"the client": generation.client, "the trainer": generation.trainer}
        if generation.status == GenerationStatus.APPROVED:
            if not generation.was_edited:
                continue
            preferred, reason = generation.approved_document, "The trainer edited the draft before approving it."
        else:
            if generation.next_approved_document is None:
                continue
            preferred = generation.next_approved_document
            reason = pseudonymise(generation.rejection_reason, people=people)
        yield {
            "id": pseudonym("generation", generation.pk),
            "request": _anonymous_request(generation),
            "preferred": _clean(preferred, people=people),
            "non_preferred": _clean(generation.draft, people=people),
            "reason": reason,
        }


def _json(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def _openai_chat(example: dict) -> dict:
    system, user = _prompt(example["request"])
    return {
        "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
            {"role": "assistant", "content": _json(example["document"])},
        ]
    }


def _anthropic(example: dict) -> dict:
    system, user = _prompt(example["request"])
    return {
        "system": system,
        "messages": [{"role": "user", "content": user}, {"role": "assistant", "content": _json(example["document"])}],
    }


def _preference_pair(pair: dict) -> dict:
    system, user = _prompt(pair["request"])
    return {
        "input": {"messages": [{"role": "system", "content": system}, {"role": "user", "content": user}]},
        "preferred_output": [{"role": "assistant", "content": _json(pair["preferred"])}],
        "non_preferred_output": [{"role": "assistant", "content": _json(pair["non_preferred"])}],
        "metadata": {"id": pair["id"], "reason": pair["reason"]},
    }


def _record(example: dict) -> dict:
    request = example["request"]
    return {
        "id": example["id"],
        "source": example["source"],
        "request": {**request.__dict__, "equipment": list(request.equipment), "injuries": list(request.injuries)},
        "document": example["document"],
    }


def training_records(*, export_format: str) -> Iterator[dict]:
    """Yield the records of one export format."""
    if export_format == "preference-pairs":
        yield from map(_preference_pair, preference_pairs())
        return
    shape = {"openai-chat": _openai_chat, "anthropic": _anthropic, "pseudonymised": _record}[export_format]
    yield from map(shape, examples())


def training_data_lines(*, export_format: str) -> Iterator[str]:
    """Yield the export as JSON Lines, one record a line."""
    for record in training_records(export_format=export_format):
        yield _json(record) + "\n"
