"""Validate an AI answer: the WeeklyPlan schema first (plan_document), then the coaching rules.

Every problem becomes an entry with the document path, a stable code and a sentence a trainer
can read. The report is stored with each draft, passing or not, and is what a repair turn sends
back to the model.
"""

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from aiplans.injuries import contraindications, injury_label
from aiplans.planning import (
    LEVEL_ORDER,
    MAJOR_GROUPS,
    CatalogueEntry,
    PlanRequest,
    allowed_entries,
    exercise_seconds,
    session_minutes,
    volume_range,
)
from kinetix.coaching.models import Exercise
from kinetix.coaching.plan_document import PlanDocumentError, WeeklyPlanDocument, document_validate, without_ids
from kinetix.errors import FieldError

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass
class Report:
    """What the validator found: errors refuse the draft, warnings only inform the reviewer."""

    errors: list[FieldError] = field(default_factory=list)
    warnings: list[FieldError] = field(default_factory=list)
    weekly_sets: dict[str, float] = field(default_factory=dict)
    weekly_sets_range: tuple[int, int] | None = None
    session_minutes: dict[str, int] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "errors": [error.as_dict() for error in self.errors],
            "warnings": [warning.as_dict() for warning in self.warnings],
            "weekly_sets": self.weekly_sets,
            "weekly_sets_range": list(self.weekly_sets_range) if self.weekly_sets_range else None,
            "session_minutes": self.session_minutes,
        }


@dataclass(frozen=True)
class CheckedAnswer:
    """A model answer with its report, and the plain document when the schema accepted it."""

    document: dict | None
    report: Report


def document_plain(document: WeeklyPlanDocument) -> dict:
    """Return a document as JSON data without the read-only ids, as a draft is stored and compared."""
    return without_ids(document.model_dump(mode="json"))


def _day_name(weekday: int) -> str:
    return WEEKDAY_NAMES[weekday - 1]


def answer_check(
    *, answer: str, request: PlanRequest, catalogue: dict[str, CatalogueEntry], exercises: QuerySet[Exercise]
) -> CheckedAnswer:
    """Check a model's answer against the WeeklyPlan schema, then against the request's coaching rules."""
    try:
        data = json.loads(answer)
    except ValueError as exc:
        message = f"The answer is not valid JSON ({exc}). Answer with the JSON document only."
        return CheckedAnswer(None, Report(errors=[FieldError("", "invalid_json", message)]))
    try:
        validated = document_validate(data, exercises=exercises)
    except PlanDocumentError as exc:
        return CheckedAnswer(None, Report(errors=list(exc.errors)))
    document = validated.document
    return CheckedAnswer(document_plain(document), rules_check(document=document, request=request, catalogue=catalogue))


def rules_check(*, document: WeeklyPlanDocument, request: PlanRequest, catalogue: dict[str, CatalogueEntry]) -> Report:
    """Check a schema-valid document against the request: library, equipment, injuries, days, volume, time."""
    report = Report()
    errors, warnings = report.errors, report.warnings
    if len(document.days) != request.days_per_week:
        errors.append(
            FieldError(
                "days",
                "wrong_day_count",
                f"The plan has {len(document.days)} training days; the request asks for exactly "
                f"{request.days_per_week}.",
            )
        )
    if document.goal != request.goal or document.level != request.level:
        errors.append(
            FieldError(
                "goal",
                "goal_mismatch",
                f"The plan is a {document.goal}/{document.level} plan; the request is {request.goal}/{request.level}.",
            )
        )

    sets_by_group: dict[str, float] = defaultdict(float)
    allowed = allowed_entries(catalogue, request)
    trainable_groups = {group for group in MAJOR_GROUPS for entry in allowed if entry.group_share(group) == 1.0}
    for day_index, day in enumerate(document.days):
        day_name = _day_name(day.weekday)
        seen: dict[str, int] = {}
        seconds = 0
        for index, item in enumerate(day.exercises):
            path = f"days.{day_index}.exercises.{index}"
            entry = catalogue.get(item.exercise)
            if entry is None:  # in the author's library, but not one the generation may use
                errors.append(
                    FieldError(
                        f"{path}.exercise",
                        "unknown_exercise",
                        f"{day_name}: {item.exercise!r} is not in the exercise library.",
                    )
                )
                continue
            label = f"{day_name}, exercise {index + 1} ({entry.name})"
            if item.exercise in seen:
                errors.append(
                    FieldError(
                        f"{path}.exercise",
                        "duplicate_exercise",
                        f"{label} already appears as exercise {seen[item.exercise] + 1} that day; "
                        "merge the sets or pick another exercise.",
                    )
                )
            seen.setdefault(item.exercise, index)
            if not request.has_equipment(entry.equipment):
                equipment = entry.equipment.replace("_", " ")
                errors.append(
                    FieldError(
                        f"{path}.exercise",
                        "equipment_unavailable",
                        f"{label} needs a {equipment}, which is not in the client's equipment.",
                    )
                )
            for injury in contraindications(slug=entry.slug, injuries=list(request.injuries)):
                errors.append(
                    FieldError(
                        f"{path}.exercise",
                        "contraindicated",
                        f"{label} loads the {injury_label(injury)}, which the request lists as injured.",
                    )
                )
            if LEVEL_ORDER[entry.level] > LEVEL_ORDER[request.level]:
                warnings.append(
                    FieldError(
                        f"{path}.exercise",
                        "above_level",
                        f"{label} is an {entry.level} exercise for a {request.level}.",
                    )
                )
            for group in MAJOR_GROUPS:
                sets_by_group[group] += item.sets * entry.group_share(group)
            seconds += exercise_seconds(
                entry=entry, sets=item.sets, reps_max=item.reps_max, rest_seconds=item.rest_seconds, tempo=item.tempo
            )
        minutes = session_minutes(seconds)
        report.session_minutes[str(day.weekday)] = minutes
        if minutes > request.session_minutes:
            errors.append(
                FieldError(
                    f"days.{day_index}",
                    "session_too_long",
                    f"{day_name} takes about {minutes} minutes (warm-up, sets and rest); the session is "
                    f"{request.session_minutes} minutes. Cut exercises, sets or rest.",
                )
            )

    report.weekly_sets = {group: sets_by_group[group] for group in MAJOR_GROUPS}
    report.weekly_sets_range = volume_range(request)
    if report.weekly_sets_range is not None:
        low, high = report.weekly_sets_range
        for group, sets in report.weekly_sets.items():
            if sets > high:
                errors.append(
                    FieldError(
                        "days",
                        "volume_too_high",
                        f"{group.capitalize()} gets {sets:g} hard sets a week; at most {high} suit a "
                        f"{request.level} {request.goal.replace('_', ' ')} plan.",
                    )
                )
            elif sets < low and group in trainable_groups:
                errors.append(
                    FieldError(
                        "days",
                        "volume_too_low",
                        f"{group.capitalize()} gets {sets:g} hard sets a week; at least {low} suit a "
                        f"{request.level} {request.goal.replace('_', ' ')} plan in "
                        f"{request.days_per_week} x {request.session_minutes} minutes.",
                    )
                )
            elif sets < low:
                warnings.append(
                    FieldError(
                        "days",
                        "volume_untrainable",
                        f"No allowed exercise trains the {group} as a prime mover with this equipment and injuries.",
                    )
                )
    return report
