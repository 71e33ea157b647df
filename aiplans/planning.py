"""The programming knowledge that the offline generator follows and the validator checks: one source for both.

- Weekly hard sets per major muscle group: a set counts fully for the groups of its exercise's
  primary muscles and half for those of its secondary muscles; only strength and plyometric work
  counts (cardio and mobility are not hard sets). The ranges by goal and level follow the usual
  dose-response guidance (about 10-20 weekly sets for hypertrophy at intermediate level, less for
  beginners and for strength, endurance and general fitness). The lower bound is prorated when the
  week offers less than three one-hour sessions, since less time cannot hold the full minimum.
- Session length: a warm-up, then per exercise a minute to set up and per set its work (3 s a rep,
  or the tempo's seconds; a cardio "rep" is a minute) plus the prescribed rest.
"""

from dataclasses import dataclass
from math import floor

from aiplans.injuries import contraindications
from kinetix.coaching.models import Category, Equipment, Goal, Level

WARM_UP_MINUTES = 5
SETUP_SECONDS = 60
SECONDS_PER_REP = 3
CARDIO_REP_SECONDS = 60
# Every client has a body: bodyweight exercises need no listed equipment.
ALWAYS_AVAILABLE = frozenset({Equipment.BODYWEIGHT})
HARD_SET_CATEGORIES = frozenset({Category.STRENGTH, Category.PLYOMETRIC})

MAJOR_GROUPS: dict[str, frozenset[str]] = {
    "chest": frozenset({"chest"}),
    "back": frozenset({"lats", "upper_back"}),
    "shoulders": frozenset({"front_delts", "side_delts", "rear_delts"}),
    "quads": frozenset({"quads"}),
    "hamstrings": frozenset({"hamstrings"}),
    "glutes": frozenset({"glutes"}),
}

# Weekly hard sets per major group: (at least, at most). Mobility plans have no volume target.
VOLUME_RANGES: dict[str, dict[str, tuple[int, int]] | None] = {
    Goal.STRENGTH: {Level.BEGINNER: (4, 12), Level.INTERMEDIATE: (6, 16), Level.ADVANCED: (8, 20)},
    Goal.HYPERTROPHY: {Level.BEGINNER: (6, 14), Level.INTERMEDIATE: (10, 20), Level.ADVANCED: (12, 24)},
    Goal.FAT_LOSS: {Level.BEGINNER: (4, 12), Level.INTERMEDIATE: (6, 16), Level.ADVANCED: (8, 18)},
    Goal.ENDURANCE: {Level.BEGINNER: (2, 14), Level.INTERMEDIATE: (3, 16), Level.ADVANCED: (4, 18)},
    Goal.GENERAL_FITNESS: {Level.BEGINNER: (3, 12), Level.INTERMEDIATE: (4, 14), Level.ADVANCED: (6, 16)},
    Goal.MOBILITY: None,
}
FULL_WEEK_MINUTES = 4 * 60
LEVEL_ORDER = {Level.BEGINNER: 0, Level.INTERMEDIATE: 1, Level.ADVANCED: 2}


@dataclass(frozen=True)
class PlanRequest:
    """What a generation asks for, as the generator, the prompt and the validator read it."""

    goal: str
    level: str
    equipment: tuple[str, ...]
    days_per_week: int
    session_minutes: int
    injuries: tuple[str, ...] = ()
    notes: str = ""

    def has_equipment(self, equipment: str) -> bool:
        return equipment in ALWAYS_AVAILABLE or equipment in self.equipment


@dataclass(frozen=True)
class CatalogueEntry:
    """An exercise the plan may use, with what the rules need to know about it."""

    slug: str
    name: str
    equipment: str
    level: str
    mechanics: str
    category: str
    primary_muscles: tuple[str, ...]
    secondary_muscles: tuple[str, ...]

    def group_share(self, group: str) -> float:
        """Return how much one set of this exercise counts for a major group: 1, 0.5 or 0."""
        if self.category not in HARD_SET_CATEGORIES:
            return 0.0
        muscles = MAJOR_GROUPS[group]
        if muscles.intersection(self.primary_muscles):
            return 1.0
        return 0.5 if muscles.intersection(self.secondary_muscles) else 0.0


def volume_range(request: PlanRequest) -> tuple[int, int] | None:
    """Return the weekly hard sets (at least, at most) each major group should get, or None when free."""
    ranges = VOLUME_RANGES[request.goal]
    if ranges is None:
        return None
    low, high = ranges[request.level]
    share = min(1.0, request.days_per_week * request.session_minutes / FULL_WEEK_MINUTES)
    return max(1, floor(low * share)), high


def set_seconds(*, entry: CatalogueEntry, reps_max: int, tempo: str = "") -> int:
    """Return how long one set's work takes."""
    if entry.category == Category.CARDIO:
        return reps_max * CARDIO_REP_SECONDS
    digits = [int(c) for c in tempo if c.isdigit()]
    per_rep = sum(digits) if len(digits) == 4 and sum(digits) else SECONDS_PER_REP
    return reps_max * per_rep


def exercise_seconds(*, entry: CatalogueEntry, sets: int, reps_max: int, rest_seconds: int, tempo: str = "") -> int:
    """Return the time an exercise takes in a session: setting up, then each set with its rest."""
    return SETUP_SECONDS + sets * (set_seconds(entry=entry, reps_max=reps_max, tempo=tempo) + rest_seconds)


def session_minutes(seconds: int) -> int:
    """Return a session's estimated length in whole minutes, warm-up included."""
    return WARM_UP_MINUTES + round(seconds / 60)


def allowed_entries(catalogue: dict[str, CatalogueEntry], request: PlanRequest) -> list[CatalogueEntry]:
    """Return the exercises a plan for this request may use, by slug: equipment at hand, level reached, no injury."""
    return sorted(
        (
            entry
            for entry in catalogue.values()
            if request.has_equipment(entry.equipment)
            and LEVEL_ORDER[entry.level] <= LEVEL_ORDER[request.level]
            and not contraindications(slug=entry.slug, injuries=list(request.injuries))
        ),
        key=lambda entry: entry.slug,
    )
