"""The WeeklyPlan document: the one JSON description of a plan.

The API, the AI validator, the training-data export and the JSON Schema given to an
LLM all use the models here; plans are stored relationally and converted to and from
this document only by `document_validate` and `document_from_plan`.
"""

import copy
from collections import namedtuple
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from itertools import groupby
from operator import itemgetter
from typing import Annotated, Any, Protocol

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import FloatField, JSONField, Prefetch, QuerySet
from django.db.models.functions import Cast
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from kinetix.coaching import models as m
from kinetix.errors import ApplicationError, FieldError
from kinetix.streaming import rows_streamed

SCHEMA_VERSION = 2
# Versions that clients may still send and ask for; each older one is upgraded (UPGRADES) on the way in
# and downgraded (DOWNGRADES) on the way out.
SUPPORTED_VERSIONS = (1, 2)
# A document that names no version is one written before versions existed.
UNVERSIONED = 1

Slug = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")]


class RepRange(BaseModel):
    @field_validator("reps_max", check_fields=False)
    @classmethod
    def _reps_max_not_below_min(cls, reps_max: int | None, info: ValidationInfo) -> int | None:
        reps_min = info.data.get("reps_min")
        if reps_min is not None and reps_max is not None and reps_max < reps_min:
            raise ValueError("reps_max must not be below reps_min")
        return reps_max


# Version 1 -------------------------------------------------------------------------------------------
# Kept as it was published: v1 documents are validated against it before they are upgraded, so that a v1
# client's errors name v1 fields, and v1 answers are described by it.


class PlannedExerciseDocumentV1(RepRange):
    model_config = ConfigDict(extra="forbid", title="PlannedExerciseV1")

    id: int | None = Field(default=None, description="Read-only; kept when a read plan is sent back.")
    exercise: Slug = Field(description="Slug of an exercise in the library.")
    sets: int = Field(ge=m.SETS[0], le=m.SETS[1])
    reps_min: int = Field(ge=m.REPS[0], le=m.REPS[1])
    reps_max: int = Field(ge=m.REPS[0], le=m.REPS[1])
    rest_seconds: int = Field(default=90, ge=m.REST_SECONDS[0], le=m.REST_SECONDS[1])
    rpe: float | None = Field(default=None, ge=m.RPE[0], le=m.RPE[1], description="Target effort, 1 to 10.")
    load_kg: float | None = Field(default=None, ge=m.LOAD_KG[0], le=m.LOAD_KG[1])
    tempo: str = Field(default="", max_length=m.TEMPO_LENGTH)
    notes: str = Field(default="", max_length=m.NOTES_LENGTH)


class PlanDayDocumentV1(BaseModel):
    model_config = ConfigDict(extra="forbid", title="PlanDayV1")

    id: int | None = Field(default=None, description="Read-only; kept when a read plan is sent back.")
    weekday: int = Field(ge=m.WEEKDAYS[0], le=m.WEEKDAYS[1], description="ISO weekday: 1 is Monday, 7 Sunday.")
    title: str = Field(default="", max_length=m.DAY_TITLE_LENGTH)
    notes: str = Field(default="", max_length=m.NOTES_LENGTH)
    exercises: list[PlannedExerciseDocumentV1] = Field(
        min_length=m.EXERCISES_PER_DAY[0], max_length=m.EXERCISES_PER_DAY[1]
    )


class WeeklyPlanDocumentV1(BaseModel):
    """Version 1: every set of a prescription alike (`sets` x `reps_min`-`reps_max` at `load_kg`/`rpe`)."""

    model_config = ConfigDict(extra="forbid", title="WeeklyPlanV1")

    schema_version: int = Field(default=1, ge=1, le=1)
    title: str = Field(min_length=1, max_length=m.TITLE_LENGTH)
    goal: m.Goal
    level: m.Level
    notes: str = Field(default="", max_length=m.NOTES_LENGTH)
    days: list[PlanDayDocumentV1] = Field(min_length=m.DAYS_PER_PLAN[0], max_length=m.DAYS_PER_PLAN[1])


# Version 2: per-set targets -----------------------------------------------------------------------------


class SetTargetDocument(RepRange):
    """What one set asks for: a pyramid, a top set with back-off sets, a warm-up set."""

    model_config = ConfigDict(extra="forbid", title="SetTarget")

    reps_min: int = Field(ge=m.REPS[0], le=m.REPS[1])
    reps_max: int = Field(ge=m.REPS[0], le=m.REPS[1])
    rpe: float | None = Field(default=None, ge=m.RPE[0], le=m.RPE[1])
    load_kg: float | None = Field(default=None, ge=m.LOAD_KG[0], le=m.LOAD_KG[1])


def _highest(values: Iterable[float | None]) -> float | None:
    return max((value for value in values if value is not None), default=None)


def targets_summary(targets: list[SetTargetDocument]) -> dict[str, Any]:
    """The v1 fields of a prescription: how many sets, the widest rep range, the highest effort and load."""
    return {
        "sets": len(targets),
        "reps_min": min(target.reps_min for target in targets),
        "reps_max": max(target.reps_max for target in targets),
        "rpe": _highest(target.rpe for target in targets),
        "load_kg": _highest(target.load_kg for target in targets),
    }


SUMMARY_FIELDS = ("sets", "reps_min", "reps_max", "rpe", "load_kg")
TARGET_FIELDS = ("reps_min", "reps_max", "rpe", "load_kg")
SUMMARY_DESCRIPTION = (
    "Summary of `set_targets` (as version 1 has it). Sent without `set_targets`, or changed from what was "
    "read, it prescribes as in version 1: that many sets alike."
)


def equal_sets(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The set targets that a version 1 prescription means: `sets` sets, each with its reps, rpe and load."""
    return [{name: summary.get(name) for name in TARGET_FIELDS} for _ in range(summary["sets"])]


class PlannedExerciseDocument(PlannedExerciseDocumentV1):
    model_config = ConfigDict(title="PlannedExercise")

    sets: int | None = Field(default=None, ge=m.SETS[0], le=m.SETS[1], description=SUMMARY_DESCRIPTION)
    reps_min: int | None = Field(default=None, ge=m.REPS[0], le=m.REPS[1], description=SUMMARY_DESCRIPTION)
    reps_max: int | None = Field(default=None, ge=m.REPS[0], le=m.REPS[1], description=SUMMARY_DESCRIPTION)
    rpe: float | None = Field(default=None, ge=m.RPE[0], le=m.RPE[1], description=SUMMARY_DESCRIPTION)
    load_kg: float | None = Field(default=None, ge=m.LOAD_KG[0], le=m.LOAD_KG[1], description=SUMMARY_DESCRIPTION)
    set_targets: list[SetTargetDocument] | None = Field(
        default=None,
        min_length=m.SETS[0],
        max_length=m.SETS[1],
        description="One target per set, in the order they are done.",
    )

    @model_validator(mode="after")
    def _targets_and_summary(self) -> "PlannedExerciseDocument":
        # Clients of version 1 read version 2 answers (the default) and send them back edited: a summary
        # that no longer matches the targets was changed on purpose and prescribes sets alike, as in v1.
        sent = {name: getattr(self, name) for name in SUMMARY_FIELDS if name in self.model_fields_set}
        read = targets_summary(self.set_targets) if self.set_targets else {}
        if not read or any(read[name] != value for name, value in sent.items()):
            summary = {**read, **sent}
            if not all(summary.get(name) is not None for name in ("sets", "reps_min", "reps_max")):
                raise PydanticCustomError(
                    "set_targets_missing", "Give set_targets, or sets, reps_min and reps_max as in version 1."
                )
            self.set_targets = [SetTargetDocument.model_validate(target) for target in equal_sets(summary)]
        for name, value in targets_summary(self.set_targets).items():
            setattr(self, name, value)
        return self

    def stored_set_targets(self) -> list[dict[str, Any]]:
        """The targets as stored: none when every set is alike, since the summary then says it all."""
        first = self.set_targets[0]
        return [] if all(target == first for target in self.set_targets) else [t.model_dump() for t in self.set_targets]


class PlanDayDocument(PlanDayDocumentV1):
    model_config = ConfigDict(title="PlanDay")

    exercises: list[PlannedExerciseDocument] = Field(
        min_length=m.EXERCISES_PER_DAY[0], max_length=m.EXERCISES_PER_DAY[1]
    )


class WeeklyPlanDocument(WeeklyPlanDocumentV1):
    """A week of training: 1 to 7 days, each with 1 to 15 prescribed exercises, each set with its target."""

    model_config = ConfigDict(title="WeeklyPlan")

    schema_version: int = Field(
        ge=SCHEMA_VERSION,
        le=SCHEMA_VERSION,
        description=f"Required from version 2 on: a document without it is read as version {UNVERSIONED}.",
    )
    days: list[PlanDayDocument] = Field(min_length=m.DAYS_PER_PLAN[0], max_length=m.DAYS_PER_PLAN[1])

    def exercise_slugs(self) -> set[str]:
        return {exercise.exercise for day in self.days for exercise in day.exercises}


SCHEMAS: dict[int, type[BaseModel]] = {1: WeeklyPlanDocumentV1, 2: WeeklyPlanDocument}


class PlanDocumentError(ApplicationError):
    def __init__(self, errors: list[FieldError], message: str = "The plan document is invalid.") -> None:
        super().__init__("invalid_document", message, errors=errors)


# Changes between versions. UPGRADES[n] turns a valid version-n document into version n + 1;
# DOWNGRADES[n] turns a version-n document into version n - 1 for clients that ask for it.


def _prescriptions(data: dict) -> Iterable[dict]:
    for day in data["days"]:
        yield from day["exercises"]


def _sets_as_targets(data: dict) -> dict:
    """v1 -> v2: a v1 prescription's sets are that many sets with the same target."""
    # New dicts down to the prescriptions (the rest are strings and numbers): no deep copy, the input unchanged.
    days = [
        {**day, "exercises": [{**item, "set_targets": equal_sets(item)} for item in day["exercises"]]}
        for day in data["days"]
    ]
    return {**data, "days": days, "schema_version": 2}


def _targets_as_summary(data: dict) -> dict:
    """v2 -> v1: the summary fields stay, the per-set targets go."""
    data = copy.deepcopy(data)
    for item in _prescriptions(data):
        item.pop("set_targets", None)
    return {**data, "schema_version": 1}


UPGRADES: dict[int, Callable[[dict], dict]] = {1: _sets_as_targets}
DOWNGRADES: dict[int, Callable[[dict], dict]] = {2: _targets_as_summary}


def _version_of(data: dict) -> int:
    version = data.get("schema_version", UNVERSIONED)
    if not isinstance(version, int) or isinstance(version, bool):
        raise PlanDocumentError([FieldError("schema_version", "int_type", "schema_version must be an integer.")])
    if version not in SUPPORTED_VERSIONS:
        supported = ", ".join(map(str, SUPPORTED_VERSIONS))
        message = f"schema_version {version} is not supported; this server reads versions {supported}."
        raise PlanDocumentError([FieldError("schema_version", "unsupported_schema_version", message)], message=message)
    return version


def document_upgrade(data: dict) -> dict:
    """Bring a valid document of a supported version (a stored draft, say) up to SCHEMA_VERSION."""
    version = _version_of(data)
    data = {**data, "schema_version": version}
    while version < SCHEMA_VERSION:
        data = UPGRADES[version](data)
        version = data["schema_version"]
    return data


def document_in_version(document: dict, version: int) -> dict:
    """Render a document of SCHEMA_VERSION in an older supported version, for clients that ask for one."""
    current = document["schema_version"]
    while current > version:
        document = DOWNGRADES[current](document)
        current = document["schema_version"]
    return document


@dataclass(frozen=True)
class ValidatedPlan:
    """A valid document together with the library ids of the exercises it names."""

    document: WeeklyPlanDocument
    exercise_ids: dict[str, int]


# The raw input is walked as well, so that cross-item errors (unknown slugs, repeated
# weekdays) are reported together with the schema's own errors.


def _raw_days(data: dict) -> list:
    days = data.get("days")
    return days if isinstance(days, list) else []


def _raw_slugs(data: dict) -> Iterable[tuple[str, str]]:
    for day_index, day in enumerate(_raw_days(data)):
        exercises = day.get("exercises") if isinstance(day, dict) else None
        for index, exercise in enumerate(exercises if isinstance(exercises, list) else []):
            if isinstance(exercise, dict) and isinstance(exercise.get("exercise"), str):
                yield f"days.{day_index}.exercises.{index}.exercise", exercise["exercise"]


def _repeated_weekdays(data: dict) -> Iterable[FieldError]:
    seen: set = set()
    for index, day in enumerate(_raw_days(data)):
        weekday = day.get("weekday") if isinstance(day, dict) else None
        if weekday in seen:
            yield FieldError(f"days.{index}.weekday", "duplicate_weekday", "Each weekday may appear once.")
        if isinstance(weekday, int):
            seen.add(weekday)


def _schema_errors(exc: ValidationError) -> list[FieldError]:
    return [
        FieldError(".".join(str(part) for part in error["loc"]), error["type"], error["msg"])
        for error in exc.errors(include_url=False)
    ]


def document_validate(data: Any, *, exercises: QuerySet[m.Exercise]) -> ValidatedPlan:
    """Check a document against its version's schema and the exercises the author may use, reporting every
    error in the terms of that version; a valid older document is upgraded to SCHEMA_VERSION."""
    if not isinstance(data, dict):
        raise PlanDocumentError([FieldError("", "object_type", "The document must be a JSON object.")])
    version = _version_of(data)
    errors = list(_repeated_weekdays(data))
    document = None
    try:
        sent = SCHEMAS[version].model_validate(data)
        if version != SCHEMA_VERSION:
            sent = WeeklyPlanDocument.model_validate(document_upgrade(sent.model_dump(mode="json")))
        document = sent
    except ValidationError as exc:
        errors += _schema_errors(exc)

    raw_slugs = list(_raw_slugs(data))
    known = dict(exercises.filter(slug__in={slug for _, slug in raw_slugs}).values_list("slug", "id"))
    errors += [
        FieldError(path, "unknown_exercise", f"No exercise {slug!r} in the library.")
        for path, slug in raw_slugs
        if slug not in known
    ]
    if errors or document is None:
        raise PlanDocumentError(sorted(errors, key=lambda e: e.path))
    return ValidatedPlan(document=document, exercise_ids=known)


def json_schema() -> dict:
    """The JSON Schema of the document, as given to an LLM and published in the API docs."""
    return WeeklyPlanDocument.model_json_schema()


def plan_content_prefetch() -> Prefetch:
    """The prefetch that `document_from_plan` needs, in two queries whatever the plan's size."""
    exercises = m.PlannedExercise.objects.select_related("exercise").only(
        *[f.name for f in m.PlannedExercise._meta.concrete_fields], "exercise__slug"
    )
    return Prefetch("days", queryset=m.PlanDay.objects.prefetch_related(Prefetch("exercises", queryset=exercises)))


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


class PlanHeading(Protocol):
    """What a document says of the plan itself: a WeeklyPlan, or a row of its values (the export reads those)."""

    pk: int
    title: str
    goal: str
    level: str
    notes: str


def _document(plan: PlanHeading, days: list[dict]) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "title": plan.title,
        "goal": plan.goal,
        "level": plan.level,
        "notes": plan.notes,
        "days": days,
    }


def _day(*, id: int, weekday: int, title: str, notes: str, exercises: list[dict]) -> dict:
    return {"id": id, "weekday": weekday, "title": title, "notes": notes, "exercises": exercises}


def _prescription(
    id: int,
    exercise: str,
    sets: int,
    reps_min: int,
    reps_max: int,
    rest_seconds: int,
    rpe: float | None,
    load_kg: float | None,
    tempo: str,
    notes: str,
    set_targets: list[dict],
) -> dict:
    # Keys in the schema's order, so that a rendered document is what validating it would dump.
    return {
        "id": id,
        "exercise": exercise,
        "sets": sets,
        "reps_min": reps_min,
        "reps_max": reps_max,
        "rest_seconds": rest_seconds,
        "rpe": rpe,
        "load_kg": load_kg,
        "tempo": tempo,
        "notes": notes,
        # Stored only when the sets differ: an empty list means every set has the summary's target.
        # (jsonb keeps its own key order: the schema's is restored.)
        "set_targets": [
            {"reps_min": t["reps_min"], "reps_max": t["reps_max"], "rpe": t["rpe"], "load_kg": t["load_kg"]}
            for t in set_targets
        ]
        or [{"reps_min": reps_min, "reps_max": reps_max, "rpe": rpe, "load_kg": load_kg} for _ in range(sets)],
    }


PRESCRIPTION_FIELDS = (
    "id",
    "sets",
    "reps_min",
    "reps_max",
    "rest_seconds",
    "rpe",
    "load_kg",
    "tempo",
    "notes",
    "set_targets",
)
# Stored as numeric, written as JSON numbers.
NUMBER_FIELDS = ("rpe", "load_kg")


def document_from_plan(plan: m.WeeklyPlan) -> dict:
    """Render a stored plan as a document, with the ids of its days and prescriptions."""
    days = [
        _day(
            id=day.id,
            weekday=day.weekday,
            title=day.title,
            notes=day.notes,
            exercises=[
                _prescription(
                    exercise=planned.exercise.slug,
                    **{name: getattr(planned, name) for name in PRESCRIPTION_FIELDS}
                    | {name: _number(getattr(planned, name)) for name in NUMBER_FIELDS},
                )
                for planned in day.exercises.all()
            ],
        )
        for day in plan.days.all()
    ]
    return _document(plan, days)


# The columns of a plan's content, from WeeklyPlan, in the order `_days` reads them.
_CONTENT_COLUMNS = (
    "days__id",
    "days__weekday",
    "days__title",
    "days__notes",
    "days__exercises__exercise__slug",
    *[
        # numeric read as float8: PostgreSQL's cast and Python's float(Decimal) both round correctly, to the same
        # double, and a float costs psycopg less than a Decimal that `_number` then converts.
        Cast(f"days__exercises__{name}", FloatField()) if name in NUMBER_FIELDS else f"days__exercises__{name}"
        for name in PRESCRIPTION_FIELDS
    ],
)
_CONTENT_ORDER = ("pk", "days__weekday", "days__id", "days__exercises__order", "days__exercises__id")
PLAN_COLUMNS = ("pk", "title", "goal", "level", "notes")


@lru_cache(maxsize=8)
def _plan_row(columns: tuple[str, ...]) -> type[tuple]:
    # Making a named tuple class takes 50 µs: once per set of columns, not once per read.
    return namedtuple("Plan", columns)


def documents_streamed(plans: QuerySet[m.WeeklyPlan], columns: Sequence[str] = PLAN_COLUMNS) -> Iterator[tuple]:
    """Render the plans of a queryset as `document_from_plan` does, in the order of their ids, each with the
    `columns` of the plan it reads (a named tuple; `pk` first, then at least `title`, `goal`, `level` and `notes`).

    One query for plans and content, no models, streamed (kinetix.streaming): PostgreSQL computes the next rows
    while these are rendered, and the connection serves nothing else until the last document is read. For plans
    read often (a client's `me/plan/`) or by the thousand (the training-data export), two prefetch levels of model
    instances cost more than the whole rest of the request (docs/BENCHMARKS.md). Each document is rendered only
    when it is asked for, so that each dies young: a chunk's documents rendered at once outlived the garbage
    collector's young generations and made it sweep the whole heap (a third of the export); and so `set_targets`
    is decoded as its plan is rendered, not as the rows arrive.
    """
    Plan = _plan_row(tuple(columns))
    skip = len(columns)
    set_targets = m.PlannedExercise._meta.get_field("set_targets")
    connection = connections[plans.db]
    rows = rows_streamed(plans.order_by(*_CONTENT_ORDER).values_list(*columns, *_CONTENT_COLUMNS))
    for _, group in groupby(rows, key=itemgetter(0)):
        plan_rows = list(group)
        plan = Plan._make(plan_rows[0][:skip])
        yield plan, _document(plan, _days(plan_rows, skip, set_targets, connection))


def _days(rows: Iterable[tuple], skip: int, set_targets: JSONField, connection: BaseDatabaseWrapper) -> list[dict]:
    """Render a plan's days from its rows of content, past their first `skip` columns (`documents_streamed`)."""
    days: dict[int, dict] = {}
    for row in rows:
        day_id, weekday, title, notes, slug, id, *fields, targets = row[skip:]
        if day_id is None:  # a plan without days comes back as one row of NULLs
            break
        day = days.get(day_id)
        if day is None:
            day = days[day_id] = _day(id=day_id, weekday=weekday, title=title, notes=notes, exercises=[])
        if id is not None:  # a day without prescriptions, as one row with NULL prescription columns
            # Positional, in PRESCRIPTION_FIELDS' order: eleven keywords a prescription took a sixth of `_days`.
            # Most prescriptions have every set alike, and their targets stored as [].
            targets = [] if targets == "[]" else set_targets.from_db_value(targets, None, connection)
            day["exercises"].append(_prescription(id, slug, *fields, targets))
    return list(days.values())


def documents_read(plans: Sequence[m.WeeklyPlan]) -> dict[int, dict]:
    """Render stored plans as `documents_streamed` does, all at once, by plan id."""
    return {
        plan.pk: document
        for plan, document in documents_streamed(m.WeeklyPlan.objects.filter(pk__in=[plan.pk for plan in plans]))
    }


def document_read(plan: m.WeeklyPlan) -> dict:
    """Render one stored plan in one query (`documents_read`)."""
    return documents_read([plan])[plan.pk]


# What validating a document dumps, key by key: the models' field order, without the read-only ids.
_PLAN_KEYS = tuple(WeeklyPlanDocument.model_fields)
_DAY_KEYS = tuple(name for name in PlanDayDocument.model_fields if name != "id")
_PRESCRIPTION_KEYS = tuple(name for name in PlannedExerciseDocument.model_fields if name != "id")
_TARGET_KEYS = tuple(SetTargetDocument.model_fields)


def document_dumped_read(data: dict) -> dict:
    """Read back a document that was validated and dumped without ids when stored, of any supported version, as
    validating it again would dump it: upgraded, in the schema's key order (jsonb keeps keys in its own)."""
    document = document_upgrade(data)
    plan = {name: document[name] for name in _PLAN_KEYS}
    plan["days"] = [{name: day[name] for name in _DAY_KEYS} for day in document["days"]]
    for day in plan["days"]:
        day["exercises"] = [{name: item[name] for name in _PRESCRIPTION_KEYS} for item in day["exercises"]]
        for item in day["exercises"]:
            item["set_targets"] = [{name: target[name] for name in _TARGET_KEYS} for target in item["set_targets"]]
    return plan


def without_ids(document: dict) -> dict:
    """Drop the read-only ids of a rendered or dumped document, as drafts are stored and compared."""
    for day in document["days"]:
        day.pop("id", None)
        for item in day["exercises"]:
            item.pop("id", None)
    return document
