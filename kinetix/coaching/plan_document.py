"""The WeeklyPlan document: the one JSON description of a plan.

The API, the AI validator, the training-data export and the JSON Schema given to an
LLM all use the models here; plans are stored relationally and converted to and from
this document only by `document_validate` and `document_from_plan`.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from django.db.models import Prefetch, QuerySet
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from kinetix.coaching import models as m
from kinetix.errors import ApplicationError, FieldError

SCHEMA_VERSION = 1

Slug = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")]


class PlannedExerciseDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

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

    @field_validator("reps_max")
    @classmethod
    def _reps_max_not_below_min(cls, reps_max: int, info: ValidationInfo) -> int:
        reps_min = info.data.get("reps_min")
        if reps_min is not None and reps_max < reps_min:
            raise ValueError("reps_max must not be below reps_min")
        return reps_max


class PlanDayDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int | None = Field(default=None, description="Read-only; kept when a read plan is sent back.")
    weekday: int = Field(ge=m.WEEKDAYS[0], le=m.WEEKDAYS[1], description="ISO weekday: 1 is Monday, 7 Sunday.")
    title: str = Field(default="", max_length=m.DAY_TITLE_LENGTH)
    notes: str = Field(default="", max_length=m.NOTES_LENGTH)
    exercises: list[PlannedExerciseDocument] = Field(
        min_length=m.EXERCISES_PER_DAY[0], max_length=m.EXERCISES_PER_DAY[1]
    )


class WeeklyPlanDocument(BaseModel):
    """A week of training: 1 to 7 days, each with 1 to 15 prescribed exercises."""

    model_config = ConfigDict(extra="forbid", title="WeeklyPlan")

    schema_version: int = Field(default=SCHEMA_VERSION, ge=SCHEMA_VERSION, le=SCHEMA_VERSION)
    title: str = Field(min_length=1, max_length=m.TITLE_LENGTH)
    goal: m.Goal
    level: m.Level
    notes: str = Field(default="", max_length=m.NOTES_LENGTH)
    days: list[PlanDayDocument] = Field(min_length=m.DAYS_PER_PLAN[0], max_length=m.DAYS_PER_PLAN[1])

    def exercise_slugs(self) -> set[str]:
        return {exercise.exercise for day in self.days for exercise in day.exercises}


class PlanDocumentError(ApplicationError):
    def __init__(self, errors: list[FieldError], message: str = "The plan document is invalid.") -> None:
        super().__init__("invalid_document", message, errors=errors)


# Upgrades of older documents: UPGRADES[n] turns a version-n document into version n + 1.
UPGRADES: dict[int, Callable[[dict], dict]] = {}


def upgrade(data: dict) -> dict:
    """Bring a stored or submitted document up to SCHEMA_VERSION, or refuse it."""
    version = data.get("schema_version", SCHEMA_VERSION)
    if not isinstance(version, int) or isinstance(version, bool):
        raise PlanDocumentError([FieldError("schema_version", "int_type", "schema_version must be an integer.")])
    while version < SCHEMA_VERSION and version in UPGRADES:
        data = UPGRADES[version](data)
        version = data["schema_version"]
    if version != SCHEMA_VERSION:
        message = f"schema_version {version} is not supported; this server reads version {SCHEMA_VERSION}."
        raise PlanDocumentError([FieldError("schema_version", "unsupported_schema_version", message)], message=message)
    return data


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
    """Check a document against the schema and the exercises the author may use, reporting every error."""
    if not isinstance(data, dict):
        raise PlanDocumentError([FieldError("", "object_type", "The document must be a JSON object.")])
    data = upgrade(data)
    errors = list(_repeated_weekdays(data))
    document = None
    try:
        document = WeeklyPlanDocument.model_validate(data)
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


def _document(plan: m.WeeklyPlan, days: list[dict]) -> dict:
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
    *,
    id: int,
    exercise: str,
    sets: int,
    reps_min: int,
    reps_max: int,
    rest_seconds: int,
    rpe: Decimal | None,
    load_kg: Decimal | None,
    tempo: str,
    notes: str,
) -> dict:
    return {
        "id": id,
        "exercise": exercise,
        "sets": sets,
        "reps_min": reps_min,
        "reps_max": reps_max,
        "rest_seconds": rest_seconds,
        "rpe": _number(rpe),
        "load_kg": _number(load_kg),
        "tempo": tempo,
        "notes": notes,
    }


PRESCRIPTION_FIELDS = ("id", "sets", "reps_min", "reps_max", "rest_seconds", "rpe", "load_kg", "tempo", "notes")


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
                    exercise=planned.exercise.slug, **{name: getattr(planned, name) for name in PRESCRIPTION_FIELDS}
                )
                for planned in day.exercises.all()
            ],
        )
        for day in plan.days.all()
    ]
    return _document(plan, days)


def document_read(plan: m.WeeklyPlan) -> dict:
    """Render a stored plan as `document_from_plan` does, reading its content in one query with no models.

    For one plan read often (a client's `me/plan/`): two prefetch levels of model instances cost more
    than the whole rest of the request (docs/BENCHMARKS.md).
    """
    rows = (
        m.PlanDay.objects.filter(plan=plan)
        .order_by("weekday", "id", "exercises__order", "exercises__id")
        .values_list(
            "id",
            "weekday",
            "title",
            "notes",
            "exercises__exercise__slug",
            *[f"exercises__{name}" for name in PRESCRIPTION_FIELDS],
        )
    )
    days: dict[int, dict] = {}
    for day_id, weekday, title, notes, slug, *prescription in rows:
        day = days.get(day_id)
        if day is None:
            day = days[day_id] = _day(id=day_id, weekday=weekday, title=title, notes=notes, exercises=[])
        if prescription[0] is not None:  # a day without prescriptions comes back as one row of NULLs
            day["exercises"].append(
                _prescription(exercise=slug, **dict(zip(PRESCRIPTION_FIELDS, prescription, strict=True)))
            )
    return _document(plan, list(days.values()))
