"""The offline plan generator: a deterministic coach built from the exercise library and programming rules.

It needs no network and is the default provider. It picks a split by days per week, fills each
day's movement slots compound-first with exercises the client's equipment, level and injuries
allow (varying them across the week), prescribes sets, reps, rest and effort by goal and level,
fits every session into its minutes, and then trims or adds sets until each major muscle group's
weekly hard sets sit in the range that `planning` sets and the validator checks.
"""

from collections import defaultdict
from dataclasses import dataclass

from aiplans.planning import (
    MAJOR_GROUPS,
    WARM_UP_MINUTES,
    CatalogueEntry,
    PlanRequest,
    allowed_entries,
    exercise_seconds,
    set_seconds,
    volume_range,
)
from kinetix.coaching.models import Category, Goal, Level, Mechanics
from kinetix.coaching.plan_document import SCHEMA_VERSION

LEVELS = (Level.BEGINNER, Level.INTERMEDIATE, Level.ADVANCED)
MAX_SETS = 6
MIN_SETS = 2


@dataclass(frozen=True)
class Slot:
    """A place in a day: an exercise whose primary muscles include one of `muscles`."""

    name: str
    muscles: frozenset[str]
    mechanics: str | None = Mechanics.COMPOUND
    category: str = Category.STRENGTH


def _slot(
    name: str, muscles: str, mechanics: str | None = Mechanics.COMPOUND, category: str = Category.STRENGTH
) -> Slot:
    return Slot(name, frozenset(muscles.split()), mechanics, category)


SQUAT = _slot("squat", "quads")
HINGE = _slot("hinge", "hamstrings")
GLUTE_BRIDGE = _slot("glutes", "glutes")
SINGLE_LEG = _slot("single leg", "quads glutes")
HORIZONTAL_PUSH = _slot("horizontal push", "chest")
VERTICAL_PUSH = _slot("vertical push", "front_delts side_delts")
HORIZONTAL_PULL = _slot("horizontal pull", "upper_back")
VERTICAL_PULL = _slot("vertical pull", "lats")
CHEST_FLY = _slot("chest isolation", "chest", Mechanics.ISOLATION)
SIDE_DELTS = _slot("side delts", "side_delts", Mechanics.ISOLATION)
REAR_DELTS = _slot("rear delts", "rear_delts", None)
BICEPS = _slot("biceps", "biceps", Mechanics.ISOLATION)
TRICEPS = _slot("triceps", "triceps", Mechanics.ISOLATION)
HAMSTRING_CURL = _slot("hamstring isolation", "hamstrings", Mechanics.ISOLATION)
QUAD_EXTENSION = _slot("quad isolation", "quads", Mechanics.ISOLATION)
CALVES = _slot("calves", "calves", Mechanics.ISOLATION)
CORE = _slot("core", "abs obliques", None)
CARDIO = _slot("cardio", "quads glutes calves upper_back hip_flexors chest abs", None, Category.CARDIO)
MOBILITY = (
    _slot("hips", "hip_flexors glutes adductors", None, Category.MOBILITY),
    _slot("upper back", "upper_back lats", None, Category.MOBILITY),
    _slot("hamstrings", "hamstrings calves", None, Category.MOBILITY),
    _slot("shoulders", "front_delts rear_delts chest", None, Category.MOBILITY),
    _slot("legs", "quads adductors", None, Category.MOBILITY),
    _slot("spine", "lower_back abs", None, Category.MOBILITY),
)

DAY_TEMPLATES: dict[str, tuple[str, tuple[Slot, ...]]] = {
    "full_a": ("Full body A", (SQUAT, HORIZONTAL_PUSH, HINGE, HORIZONTAL_PULL, VERTICAL_PUSH, CORE, BICEPS, CALVES)),
    "full_b": ("Full body B", (HINGE, VERTICAL_PULL, SINGLE_LEG, HORIZONTAL_PUSH, SIDE_DELTS, TRICEPS, CORE)),
    "full_c": ("Full body C", (SQUAT, VERTICAL_PULL, GLUTE_BRIDGE, HORIZONTAL_PUSH, REAR_DELTS, HAMSTRING_CURL, CORE)),
    "upper_a": (
        "Upper A",
        (HORIZONTAL_PUSH, HORIZONTAL_PULL, VERTICAL_PUSH, VERTICAL_PULL, SIDE_DELTS, BICEPS, TRICEPS),
    ),
    "upper_b": ("Upper B", (VERTICAL_PULL, HORIZONTAL_PUSH, HORIZONTAL_PULL, CHEST_FLY, REAR_DELTS, TRICEPS, BICEPS)),
    "lower_a": ("Lower A", (SQUAT, HINGE, SINGLE_LEG, HAMSTRING_CURL, CALVES, CORE)),
    "lower_b": ("Lower B", (HINGE, SQUAT, GLUTE_BRIDGE, QUAD_EXTENSION, CALVES, CORE)),
    "push": ("Push", (HORIZONTAL_PUSH, VERTICAL_PUSH, CHEST_FLY, SIDE_DELTS, TRICEPS)),
    "pull": ("Pull", (VERTICAL_PULL, HORIZONTAL_PULL, REAR_DELTS, BICEPS, CORE)),
    "legs": ("Legs", (SQUAT, HINGE, SINGLE_LEG, HAMSTRING_CURL, CALVES)),
    "conditioning_a": ("Conditioning A", (CARDIO, SQUAT, HORIZONTAL_PUSH, HORIZONTAL_PULL, HINGE, CORE)),
    "conditioning_b": ("Conditioning B", (CARDIO, SINGLE_LEG, VERTICAL_PUSH, VERTICAL_PULL, GLUTE_BRIDGE, CORE)),
    "mobility_a": ("Mobility A", MOBILITY),
    "mobility_b": ("Mobility B", MOBILITY[3:] + MOBILITY[:3]),
}

SPLITS: dict[int, tuple[str, tuple[str, ...]]] = {
    1: ("full body", ("full_a",)),
    2: ("full body", ("full_a", "full_b")),
    3: ("full body", ("full_a", "full_b", "full_c")),
    4: ("upper/lower", ("upper_a", "lower_a", "upper_b", "lower_b")),
    5: ("upper/lower + push/pull/legs", ("upper_a", "lower_a", "push", "pull", "legs")),
    6: ("push/pull/legs", ("push", "pull", "legs", "push", "pull", "legs")),
    7: ("push/pull/legs + mobility", ("push", "pull", "legs", "mobility_a", "push", "pull", "legs")),
}
# Training days spread over the week, rest days between them where there is room.
WEEKDAYS: dict[int, tuple[int, ...]] = {
    1: (3,),
    2: (1, 4),
    3: (1, 3, 5),
    4: (1, 2, 4, 5),
    5: (1, 2, 3, 5, 6),
    6: (1, 2, 3, 4, 5, 6),
    7: (1, 2, 3, 4, 5, 6, 7),
}


@dataclass(frozen=True)
class Dose:
    sets: tuple[int, int, int]  # by level: beginner, intermediate, advanced
    reps: tuple[int, int]
    rest_seconds: int
    rpe: tuple[float | None, float | None, float | None]


# (compound, isolation) doses by goal.
DOSES: dict[str, tuple[Dose, Dose]] = {
    Goal.STRENGTH: (Dose((3, 4, 5), (3, 5), 180, (7, 8, 8.5)), Dose((2, 3, 3), (8, 10), 90, (7, 8, 8))),
    Goal.HYPERTROPHY: (Dose((3, 3, 4), (6, 10), 120, (7, 8, 8.5)), Dose((2, 3, 3), (10, 15), 60, (8, 8.5, 9))),
    Goal.FAT_LOSS: (Dose((3, 3, 3), (8, 12), 75, (7, 7.5, 8)), Dose((2, 3, 3), (12, 15), 45, (7, 8, 8))),
    Goal.GENERAL_FITNESS: (Dose((2, 3, 3), (8, 12), 90, (6, 7, 8)), Dose((2, 2, 3), (10, 15), 60, (6, 7, 8))),
    Goal.ENDURANCE: (Dose((2, 3, 3), (12, 20), 45, (6, 7, 7)), Dose((2, 3, 3), (15, 20), 30, (6, 7, 7))),
    Goal.MOBILITY: (Dose((2, 2, 2), (8, 10), 30, (None, None, None)), Dose((2, 2, 2), (8, 10), 30, (None, None, None))),
}
CARDIO_DOSE = Dose((3, 3, 4), (3, 4), 60, (6, 7, 7))
CARDIO_NOTE = "Intervals: each rep is one minute of steady work."
MOBILITY_DOSE = DOSES[Goal.MOBILITY][0]

# Free weights first for strength, then the rest; isolation work is easiest to dose on cables and machines.
COMPOUND_EQUIPMENT = (
    "barbell", "trap_bar", "dumbbell", "pull_up_bar", "kettlebell", "smith_machine", "machine", "cable",
    "suspension", "band", "bodyweight", "sled", "medicine_ball", "stability_ball", "ez_bar",
)  # fmt: skip
ISOLATION_EQUIPMENT = (
    "cable", "dumbbell", "machine", "ez_bar", "barbell", "band", "kettlebell", "bodyweight", "pull_up_bar",
    "stability_ball", "suspension", "smith_machine", "trap_bar", "medicine_ball", "sled",
)  # fmt: skip


@dataclass
class Prescription:
    entry: CatalogueEntry
    sets: int
    reps: tuple[int, int]
    rest_seconds: int
    rpe: float | None
    notes: str = ""

    @property
    def seconds(self) -> int:
        return exercise_seconds(entry=self.entry, sets=self.sets, reps_max=self.reps[1], rest_seconds=self.rest_seconds)

    @property
    def set_seconds(self) -> int:
        """Return what one more set adds: its work and its rest."""
        return set_seconds(entry=self.entry, reps_max=self.reps[1]) + self.rest_seconds

    def as_document(self) -> dict:
        # Sets alike: the summary fields say it all (the schema makes them that many set targets).
        return {
            "exercise": self.entry.slug,
            "sets": self.sets,
            "reps_min": self.reps[0],
            "reps_max": self.reps[1],
            "rest_seconds": self.rest_seconds,
            "rpe": self.rpe,
            "load_kg": None,
            "tempo": "",
            "notes": self.notes,
        }


def _day_keys(request: PlanRequest) -> tuple[str, tuple[str, ...]]:
    days = request.days_per_week
    if request.goal == Goal.MOBILITY:
        return "mobility", tuple("mobility_a" if n % 2 == 0 else "mobility_b" for n in range(days))
    if request.goal == Goal.ENDURANCE:
        return "conditioning", tuple("conditioning_a" if n % 2 == 0 else "conditioning_b" for n in range(days))
    if days == 3 and request.level == Level.ADVANCED:
        return "push/pull/legs", ("push", "pull", "legs")
    return SPLITS[days]


class WeekBuilder:
    def __init__(self, request: PlanRequest, catalogue: dict[str, CatalogueEntry]) -> None:
        self.request = request
        self.level = LEVELS.index(request.level)
        self.allowed = allowed_entries(catalogue, request)
        self.used_this_week: dict[str, int] = defaultdict(int)
        self.budget = (request.session_minutes - WARM_UP_MINUTES) * 60

    def _candidates(self, slot: Slot, taken: set[str]) -> list[CatalogueEntry]:
        def fits(entry: CatalogueEntry, mechanics: str | None) -> bool:
            categories = {slot.category} | ({Category.PLYOMETRIC} if slot.category == Category.STRENGTH else set())
            return (
                entry.slug not in taken
                and entry.category in categories
                and bool(slot.muscles.intersection(entry.primary_muscles))
                and (mechanics is None or entry.mechanics == mechanics)
            )

        matching = [entry for entry in self.allowed if fits(entry, slot.mechanics)]
        return matching or [entry for entry in self.allowed if fits(entry, None)]

    def _rank(self, entry: CatalogueEntry, slot: Slot) -> tuple:
        order = ISOLATION_EQUIPMENT if entry.mechanics == Mechanics.ISOLATION else COMPOUND_EQUIPMENT
        plyometric = entry.category == Category.PLYOMETRIC and self.request.goal != Goal.ENDURANCE
        return (
            self.used_this_week[entry.slug],
            plyometric,  # jumps and swings only when nothing steadier fits the slot
            -len(slot.muscles.intersection(entry.primary_muscles)),
            order.index(entry.equipment) if entry.equipment in order else len(order),
            -LEVELS.index(entry.level),
            entry.slug,
        )

    def _dose(self, entry: CatalogueEntry, slot: Slot) -> Prescription:
        if slot.category == Category.CARDIO:
            dose, note = CARDIO_DOSE, CARDIO_NOTE
        elif slot.category == Category.MOBILITY:
            dose, note = MOBILITY_DOSE, "Slow and controlled, through a comfortable range."
        else:
            compound, isolation = DOSES[self.request.goal]
            dose, note = (isolation if entry.mechanics == Mechanics.ISOLATION else compound), ""
        return Prescription(entry, dose.sets[self.level], dose.reps, dose.rest_seconds, dose.rpe[self.level], note)

    def day(self, slots: tuple[Slot, ...]) -> list[Prescription]:
        """Fill the day's slots at the minimum dose first, so a short session still covers them, then grow the doses."""
        day: list[tuple[Prescription, int]] = []
        seconds = 0
        for slot in slots:
            taken = {p.entry.slug for p, _ in day}
            candidates = sorted(self._candidates(slot, taken), key=lambda entry: self._rank(entry, slot))
            if not candidates:
                continue
            prescription = self._dose(candidates[0], slot)
            full_sets = prescription.sets
            prescription.sets = min(full_sets, MIN_SETS)
            if seconds + prescription.seconds > self.budget and not day:
                prescription.sets = 1
            if seconds + prescription.seconds > self.budget:
                continue
            day.append((prescription, full_sets))
            seconds += prescription.seconds
        for prescription, full_sets in day:
            while prescription.sets < full_sets and seconds + prescription.set_seconds <= self.budget:
                prescription.sets += 1
                seconds += prescription.set_seconds
        for prescription, _ in day:
            self.used_this_week[prescription.entry.slug] += 1
        return [prescription for prescription, _ in day]

    def balance(self, week: list[list[Prescription]]) -> None:
        """Trim sets where a major group gets too many, add them where it gets too few and time allows."""
        target = volume_range(self.request)
        if target is None:
            return
        low, high = target

        def group_sets(group: str) -> float:
            return sum(p.sets * p.entry.group_share(group) for day in week for p in day)

        def trim_one(group: str, *, spare: str | None = None) -> bool:
            """Take one set (or a one-set exercise) off the work of `group`, leaving `spare` and lows alone."""
            candidates = [
                (p, day)
                for day in week
                for p in day
                if p.entry.group_share(group)
                and (spare is None or not p.entry.group_share(spare))
                and (p.sets > 1 or len(day) > 1)
                and (spare is None or p.sets > MIN_SETS)
                and all(
                    group_sets(g) - p.entry.group_share(g) >= low or not p.entry.group_share(g)
                    for g in MAJOR_GROUPS
                    if g != group and spare is not None
                )
            ]
            if not candidates:
                return False
            # The work that trains the group most directly goes first: isolation, then the largest dose.
            p, day = min(
                candidates,
                key=lambda c: (
                    -c[0].entry.group_share(group),
                    c[0].entry.mechanics != Mechanics.ISOLATION,
                    -c[0].sets,
                    c[0].entry.slug,
                ),
            )
            if p.sets > 1:
                p.sets -= 1
            else:
                day.remove(p)
            return True

        for group in MAJOR_GROUPS:
            while group_sets(group) > high and trim_one(group):
                pass
        for group in MAJOR_GROUPS:
            for day in week:
                for p in sorted(day, key=lambda p: -p.entry.group_share(group)):
                    if not p.entry.group_share(group):
                        break
                    while (
                        group_sets(group) < low
                        and p.sets < MAX_SETS
                        and sum(x.seconds for x in day) + p.set_seconds <= self.budget
                    ):
                        full = [g for g in MAJOR_GROUPS if group_sets(g) + p.entry.group_share(g) > high]
                        if not all(trim_one(g, spare=group) for g in full):
                            break
                        p.sets += 1


def generate_plan(*, request: PlanRequest, catalogue: dict[str, CatalogueEntry]) -> dict:
    """Return a WeeklyPlan document for the request, built only from the catalogue's exercises."""
    split, keys = _day_keys(request)
    builder = WeekBuilder(request, catalogue)
    week = [builder.day(DAY_TEMPLATES[key][1]) for key in keys]
    builder.balance(week)
    goal = Goal(request.goal).label
    notes = [f"{request.days_per_week} x {request.session_minutes} min, {split}; compound lifts first."]
    if request.injuries:
        notes.append(f"Avoids loading: {', '.join(i.replace('_', ' ') for i in request.injuries)}.")
    if request.goal not in (Goal.MOBILITY, Goal.ENDURANCE):
        notes.append("Add load when every set reaches the top of its rep range at the target RPE.")
    return {
        "schema_version": SCHEMA_VERSION,
        "title": f"{goal} {split} ({Level(request.level).label.lower()})",
        "goal": request.goal,
        "level": request.level,
        "notes": " ".join(notes),
        "days": [
            {
                "weekday": weekday,
                "title": DAY_TEMPLATES[key][0],
                "notes": "",
                "exercises": [p.as_document() for p in day],
            }
            for weekday, key, day in zip(WEEKDAYS[request.days_per_week], keys, week, strict=True)
            if day
        ],
    }
