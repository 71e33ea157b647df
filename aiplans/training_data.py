"""Training data for fine-tuning a plan model: request -> plan examples and preference pairs, pseudonymised.

Examples come from two sources:
- `trainer_plan`: plans trainers wrote themselves and published (active or archived), their request
  derived from the plan: goal, level, equipment of its exercises, days, and session minutes;
- `approved_ai`: AI drafts a trainer approved, with the request they were generated from and the
  approved (possibly edited) document as the answer.
Preference pairs are AI drafts a trainer edited before approving (the edit preferred), and rejected
drafts of a client whose next draft was approved (that one preferred, the rejection reason kept).
No names, e-mails or free-text notes leave: notes are blanked, titles have the people's names replaced.
Trainer plans stream with their content a window of ids at a time (kinetix.streaming), AI drafts from a
server-side cursor in chunks, so memory and queries per window or chunk stay constant whatever the table sizes.
"""

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from math import ceil
from typing import NamedTuple

from django.conf import settings
from django.db.models import Exists, Max, Min, OuterRef, QuerySet, Subquery
from pydantic_core import to_json

from aiplans import prompts
from aiplans.models import GenerationStatus, PlanGeneration
from aiplans.planning import PlanRequest, exercise_seconds, session_minutes, volume_range
from aiplans.pseudonymise import pseudonymise, pseudonymise_all
from aiplans.selectors import generation_request
from aiplans.validation import document_plain
from kinetix.coaching.models import Exercise, PlannedExercise, PlanStatus, WeeklyPlan
from kinetix.coaching.plan_document import PLAN_COLUMNS as DOCUMENT_PLAN_COLUMNS
from kinetix.coaching.plan_document import (
    WeeklyPlanDocument,
    document_dumped_read,
    document_upgrade,
    documents_streamed,
    json_schema,
    without_ids,
)

CHUNK_SIZE = 200
# Trainer plans are read in ranges of this many ids: a range's statement lasts as long as its plans take to export.
PLAN_WINDOW = 5000
FORMATS = ("openai-chat", "anthropic", "preference-pairs", "pseudonymised")
SESSION_STEP_MINUTES = 15
# The columns the examples read of a plan and its people, as values: model instances (a plan, its trainer and
# client) took 8% of the export's time.
PLAN_COLUMNS = (
    *DOCUMENT_PLAN_COLUMNS,
    *[f"{person}__{field}" for person in ("trainer", "client") for field in ("full_name", "email")],
)


class PlanPerson(NamedTuple):
    full_name: str
    email: str


def pseudonym(kind: str, pk: int) -> str:
    """Return a stable pseudonymous id: the same person or plan always maps to the same one, irreversibly."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{kind}:{pk}".encode(), hashlib.sha256).hexdigest()
    return f"{kind}_{digest[:16]}"


def _stored_plain(document: dict, *, validated: bool) -> dict:
    """Return a stored document (a draft, an approved one) of any supported version as validation gives it.

    One the services validated when they stored it is only upgraded and put in the schema's order: validating
    it again took 1.2 ms a document, a sixth of the export (docs/BENCHMARKS.md).
    """
    if validated:
        return document_dumped_read(document)
    return document_plain(WeeklyPlanDocument.model_validate(document_upgrade(document)))


def _rendered_plain(document: dict) -> dict:
    """Return a document rendered from a plan's rows as `_stored_plain` would, without validating it.

    The rows hold the schema's limits by their constraints and the services that wrote them, and
    plan_document renders them in the schema's order; validating them again would take over a third
    of the export's time (docs/BENCHMARKS.md).
    """
    return without_ids(document)


def _clean(document: dict, *, people: dict) -> dict:
    """Blank the plain document's free-text notes and replace the people's names in its titles."""
    days = document["days"]
    document["title"], *day_titles = pseudonymise_all(
        [document["title"], *(day["title"] for day in days)], people=people
    )
    document["notes"] = ""
    for day, title in zip(days, day_titles, strict=True):
        day["title"] = title
        day["notes"] = ""
        for item in day["exercises"]:
            item["notes"] = ""
    return document


class ExerciseFacts(NamedTuple):
    """What a derived request needs of an exercise; a tuple, hashed and compared in C by `_prescription_seconds`."""

    slug: str
    equipment: str
    category: str


def _exercise_facts(exercises: QuerySet[Exercise]) -> dict[str, ExerciseFacts]:
    return {row[0]: ExerciseFacts(*row) for row in exercises.order_by().values_list(*ExerciseFacts._fields)}


def _slugs(plans: list[tuple[tuple, dict]]) -> set[str]:
    return {item["exercise"] for _, document in plans for day in document["days"] for item in day["exercises"]}


def _plan_windows(plans: QuerySet[WeeklyPlan]) -> Iterator[QuerySet[WeeklyPlan]]:
    """Split the plans into ranges of PLAN_WINDOW ids, each read by one streamed statement.

    One statement for all would outlive `DATABASE_STATEMENT_TIMEOUT_MS` on a large export, since a stream's
    statement lasts as long as its reader takes; a small range costs a query for few plans.
    """
    ids = plans.aggregate(first=Min("pk"), last=Max("pk"))
    if ids["first"] is None:
        return
    for start in range(ids["first"], ids["last"] + 1, PLAN_WINDOW):
        yield plans.filter(pk__gte=start, pk__lt=start + PLAN_WINDOW)


@lru_cache(maxsize=4096)
def _prescription_seconds(exercise: ExerciseFacts, sets: int, reps_max: int, rest_seconds: int, tempo: str) -> int:
    # Prescriptions repeat (an exercise with its sets, reps, rest and tempo) across plans.
    return exercise_seconds(entry=exercise, sets=sets, reps_max=reps_max, rest_seconds=rest_seconds, tempo=tempo)


def _plan_request(plan: tuple, document: dict, exercises: dict[str, ExerciseFacts]) -> PlanRequest:
    """Derive the request a trainer's plan answers: its goal, level, equipment, days and session length."""
    equipment, longest = set(), 0
    for day in document["days"]:
        seconds = 0
        for item in day["exercises"]:
            exercise = exercises[item["exercise"]]
            equipment.add(exercise.equipment)
            seconds += _prescription_seconds(
                exercise, item["sets"], item["reps_max"], item["rest_seconds"], item["tempo"]
            )
        longest = max(longest, session_minutes(seconds))
    return PlanRequest(
        goal=plan.goal,
        level=plan.level,
        equipment=tuple(sorted(equipment - {"bodyweight"})),
        days_per_week=len(document["days"]),
        session_minutes=ceil(longest / SESSION_STEP_MINUTES) * SESSION_STEP_MINUTES,
    )


@lru_cache(maxsize=1)
def _system_prompt() -> str:
    # The same on every record, and rendering the JSON Schema takes milliseconds.
    return prompts.CURRENT.system_prompt(schema=json_schema())


@lru_cache(maxsize=1024)
def _user_prompt(request: PlanRequest) -> str:
    # Requests repeat: derived ones differ only in goal, level, equipment, days and minutes.
    return prompts.CURRENT.user_prompt(request=request, volume=volume_range(request), catalogue=[], client_context=None)


def _prompt(request: PlanRequest) -> tuple[str, str]:
    """Return the system and user prompt as production renders them, without catalogue or client context."""
    return _system_prompt(), _user_prompt(request)


def _example(*, source: str, example_id: str, request: PlanRequest, document: dict) -> dict:
    return {"source": source, "id": example_id, "request": request, "document": document}


def examples() -> Iterator[dict]:
    """Yield every request -> plan example: trainers' own published plans, then approved AI drafts.

    Trainer plans: one query for the exercises prescriptions name, one for the range of plan ids, then per window
    of ids one query for the plans with their people and content, streamed while they are rendered
    (kinetix.streaming).
    """
    ai_plans = PlanGeneration.objects.filter(plan__isnull=False).values("plan_id")
    plans = WeeklyPlan.objects.filter(status__in=[PlanStatus.ACTIVE, PlanStatus.ARCHIVED]).exclude(pk__in=ai_plans)
    # Read before the plans: a window's stream holds the connection until its last row.
    exercises = _exercise_facts(
        Exercise.objects.filter(Exists(PlannedExercise.objects.filter(exercise=OuterRef("pk"))))
    )
    for window in _plan_windows(plans):
        named_since: list[tuple] = []
        for plan, document in documents_streamed(window, PLAN_COLUMNS):
            try:
                example = _trainer_example(plan, document, exercises)
            except KeyError:  # it names an exercise first named after they were read: read when the stream is done
                named_since.append((plan, document))
                continue
            yield example
        if named_since:
            exercises |= _exercise_facts(Exercise.objects.filter(slug__in=_slugs(named_since)))
            yield from (_trainer_example(plan, document, exercises) for plan, document in named_since)
    generations = (
        PlanGeneration.objects.filter(status=GenerationStatus.APPROVED, approved_document__isnull=False)
        .select_related("trainer", "client")
        .defer("draft", "report")
        .order_by("pk")
    )
    for generation in generations.iterator(chunk_size=CHUNK_SIZE):
        people = {"the client": generation.client, "the trainer": generation.trainer}
        yield _example(
            source="approved_ai",
            example_id=pseudonym("generation", generation.pk),
            request=_anonymous_request(generation),
            document=_clean(
                _stored_plain(generation.approved_document, validated=generation.documents_validated), people=people
            ),
        )


def _trainer_example(plan: tuple, document: dict, exercises: dict[str, ExerciseFacts]) -> dict:
    people = {
        "the client": PlanPerson(plan.client__full_name, plan.client__email),
        "the trainer": PlanPerson(plan.trainer__full_name, plan.trainer__email),
    }
    return _example(
        source="trainer_plan",
        example_id=pseudonym("plan", plan.pk),
        request=_plan_request(plan, document, exercises),
        document=_clean(_rendered_plain(document), people=people),
    )


def _anonymous_request(generation: PlanGeneration) -> PlanRequest:
    request = generation_request(generation)
    return PlanRequest(**{**request.__dict__, "notes": ""})


def preference_pairs() -> Iterator[dict]:
    """Yield (prompt, preferred, non-preferred) triples from trainers' edits and rejections of AI drafts."""
    next_approved = PlanGeneration.objects.filter(
        client=OuterRef("client"), status=GenerationStatus.APPROVED, created_at__gt=OuterRef("created_at")
    ).order_by("created_at", "pk")  # one row, the same for both columns read from it, whatever the ties
    generations = (
        PlanGeneration.objects.filter(
            status__in=[GenerationStatus.APPROVED, GenerationStatus.REJECTED], draft__isnull=False
        )
        .annotate(
            next_approved_document=Subquery(next_approved.values("approved_document")[:1]),
            next_approved_validated=Subquery(next_approved.values("documents_validated")[:1]),
        )
        .select_related("trainer", "client")
        .order_by("pk")
    )
    for generation in generations.iterator(chunk_size=CHUNK_SIZE):
        people = {"the client": generation.client, "the trainer": generation.trainer}
        if generation.status == GenerationStatus.APPROVED:
            if not generation.was_edited:
                continue
            preferred, reason = generation.approved_document, "The trainer edited the draft before approving it."
            preferred_validated = generation.documents_validated
        else:
            if generation.next_approved_document is None:
                continue
            preferred = generation.next_approved_document
            preferred_validated = generation.next_approved_validated
            reason = pseudonymise(generation.rejection_reason, people=people)
        yield {
            "id": pseudonym("generation", generation.pk),
            "request": _anonymous_request(generation),
            "preferred": _clean(_stored_plain(preferred, validated=preferred_validated), people=people),
            "non_preferred": _clean(
                _stored_plain(generation.draft, validated=generation.documents_validated), people=people
            ),
            "reason": reason,
        }


# The export's bytes are json.dumps(ensure_ascii=False, compact) of each record; records are trees, with no
# cycles to look for.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)
# pydantic-core's encoder writes the same bytes 2 to 3 times faster, except for floats under 1e-4, which it
# writes as 0.0000... or 1e-7 where Python writes 1e-05 and 1e-07 (tests/aiplans/test_training_data.py):
# output showing either is encoded again by Python's. (A regex for both takes longer than the encoding.)
_EXPONENT = re.compile(rb"e-(?<=[0-9]e-)")
# Where a chat record's answer goes while the rest of its line is encoded; no prompt holds a NUL character.
ANSWER_MARK = "\x00answer\x00"


def _json_bytes(data: dict | str) -> bytes:
    encoded = to_json(data, inf_nan_mode="constants")
    if b"0.0000" in encoded or _EXPONENT.search(encoded):
        return _ENCODER.encode(data).encode()
    return encoded


def _json(data: dict | str) -> str:
    return _json_bytes(data).decode()


def _json_line(data: dict) -> str:
    return (_json_bytes(data) + b"\n").decode()


def _json_in_string(data: dict) -> bytes:
    """Return `_json_bytes(_json(data))`: the data's JSON as a JSON string."""
    # That JSON holds no control character (each is escaped), so as a string only its \ and " are escaped.
    encoded = _json_bytes(data)
    return b'"' + encoded.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def _openai_chat(request: PlanRequest, answer: str) -> dict:
    system, user = _prompt(request)
    return {
        "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
            {"role": "assistant", "content": answer},
        ]
    }


def _anthropic(request: PlanRequest, answer: str) -> dict:
    system, user = _prompt(request)
    return {"system": system, "messages": [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]}


@lru_cache(maxsize=1024)
def _chat_line_around(shape: Callable[[PlanRequest, str], dict], request: PlanRequest) -> tuple[bytes, bytes]:
    # The prompts are half of a chat line (the system prompt alone 5.9 KB) and the same for a request:
    # they are encoded once, and each answer is encoded into its place.
    before, after = _json_bytes(shape(request, ANSWER_MARK)).split(_json_bytes(ANSWER_MARK))
    return before, after + b"\n"


def _chat_line(shape: Callable[[PlanRequest, str], dict], example: dict) -> str:
    # Assembled as bytes and decoded once: the line is 14 KB, each str step a copy and a UTF-8 pass.
    before, after = _chat_line_around(shape, example["request"])
    return (before + _json_in_string(example["document"]) + after).decode()


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


def training_data_lines(*, export_format: str) -> Iterator[str]:
    """Yield the export as JSON Lines, one record a line."""
    if export_format == "preference-pairs":
        yield from map(_json_line, map(_preference_pair, preference_pairs()))
    elif export_format == "pseudonymised":
        yield from map(_json_line, map(_record, examples()))
    else:
        shape = {"openai-chat": _openai_chat, "anthropic": _anthropic}[export_format]
        yield from (_chat_line(shape, example) for example in examples())
