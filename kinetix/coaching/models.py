"""The coaching domain: exercise library, weekly plans, workouts and body metrics.

The bounds below are the single source of the limits that the WeeklyPlan document,
the workout API and the database constraints all enforce.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

WEEKDAYS = (1, 7)
DAYS_PER_PLAN = (1, 7)
EXERCISES_PER_DAY = (1, 15)
SETS = (1, 10)
REPS = (1, 50)
REST_SECONDS = (0, 600)
RPE = (1, 10)
LOAD_KG = (0, 1000)
LOGGED_REPS = (0, 100)
SET_NUMBER = (1, 50)
SETS_PER_WORKOUT = (1, 100)
TITLE_LENGTH = 120
DAY_TITLE_LENGTH = 80
NOTES_LENGTH = 2000
TEMPO_LENGTH = 16


def bounded(bounds: tuple[float, float]) -> list:
    low, high = bounds
    return [MinValueValidator(low), MaxValueValidator(high)]


class Goal(models.TextChoices):
    STRENGTH = "strength", "Strength"
    HYPERTROPHY = "hypertrophy", "Hypertrophy"
    FAT_LOSS = "fat_loss", "Fat loss"
    ENDURANCE = "endurance", "Endurance"
    GENERAL_FITNESS = "general_fitness", "General fitness"
    MOBILITY = "mobility", "Mobility"


class Level(models.TextChoices):
    BEGINNER = "beginner", "Beginner"
    INTERMEDIATE = "intermediate", "Intermediate"
    ADVANCED = "advanced", "Advanced"


class Equipment(models.TextChoices):
    BARBELL = "barbell", "Barbell"
    DUMBBELL = "dumbbell", "Dumbbell"
    KETTLEBELL = "kettlebell", "Kettlebell"
    MACHINE = "machine", "Machine"
    CABLE = "cable", "Cable"
    BAND = "band", "Resistance band"
    BODYWEIGHT = "bodyweight", "Bodyweight"
    SMITH_MACHINE = "smith_machine", "Smith machine"
    EZ_BAR = "ez_bar", "EZ bar"
    TRAP_BAR = "trap_bar", "Trap bar"
    PULL_UP_BAR = "pull_up_bar", "Pull-up bar"
    SUSPENSION = "suspension", "Suspension trainer"
    MEDICINE_BALL = "medicine_ball", "Medicine ball"
    STABILITY_BALL = "stability_ball", "Stability ball"
    SLED = "sled", "Sled"
    CARDIO_MACHINE = "cardio_machine", "Cardio machine"
    FOAM_ROLLER = "foam_roller", "Foam roller"


class Muscle(models.TextChoices):
    CHEST = "chest", "Chest"
    LATS = "lats", "Lats"
    UPPER_BACK = "upper_back", "Upper back"
    TRAPS = "traps", "Traps"
    LOWER_BACK = "lower_back", "Lower back"
    FRONT_DELTS = "front_delts", "Front delts"
    SIDE_DELTS = "side_delts", "Side delts"
    REAR_DELTS = "rear_delts", "Rear delts"
    BICEPS = "biceps", "Biceps"
    TRICEPS = "triceps", "Triceps"
    FOREARMS = "forearms", "Forearms"
    ABS = "abs", "Abs"
    OBLIQUES = "obliques", "Obliques"
    QUADS = "quads", "Quads"
    HAMSTRINGS = "hamstrings", "Hamstrings"
    GLUTES = "glutes", "Glutes"
    ADDUCTORS = "adductors", "Adductors"
    ABDUCTORS = "abductors", "Abductors"
    CALVES = "calves", "Calves"
    HIP_FLEXORS = "hip_flexors", "Hip flexors"
    NECK = "neck", "Neck"


class Mechanics(models.TextChoices):
    COMPOUND = "compound", "Compound"
    ISOLATION = "isolation", "Isolation"


class Category(models.TextChoices):
    STRENGTH = "strength", "Strength"
    CARDIO = "cardio", "Cardio"
    MOBILITY = "mobility", "Mobility"
    PLYOMETRIC = "plyometric", "Plyometric"


class Exercise(models.Model):
    """An exercise of the shared library, or a trainer's private one when `owner` is set."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=120)
    equipment = models.CharField(max_length=32, choices=Equipment.choices)
    level = models.CharField(max_length=16, choices=Level.choices, default=Level.BEGINNER)
    mechanics = models.CharField(max_length=16, choices=Mechanics.choices, default=Mechanics.COMPOUND)
    category = models.CharField(max_length=16, choices=Category.choices, default=Category.STRENGTH)
    instructions = models.TextField(blank=True, max_length=NOTES_LENGTH)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="private_exercises",
        help_text="The trainer who owns this private exercise; empty for the shared library.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["equipment"]), models.Index(fields=["owner", "name"])]

    def __str__(self) -> str:
        return self.name


class ExerciseMuscle(models.Model):
    """A muscle an exercise trains, as prime mover or in support."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="muscles")
    muscle = models.CharField(max_length=16, choices=Muscle.choices)
    is_primary = models.BooleanField(default=True)

    class Meta:
        ordering = ["-is_primary", "id"]
        constraints = [models.UniqueConstraint(fields=["exercise", "muscle"], name="exercisemuscle_unique")]
        indexes = [models.Index(fields=["muscle"])]

    def __str__(self) -> str:
        return self.muscle


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    ARCHIVED = "archived", "Archived"


class WeeklyPlan(models.Model):
    """A trainer's plan for one client for the seven days from `week_start`."""

    trainer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="authored_plans")
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="plans")
    week_start = models.DateField()
    status = models.CharField(max_length=16, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    title = models.CharField(max_length=TITLE_LENGTH)
    goal = models.CharField(max_length=32, choices=Goal.choices)
    level = models.CharField(max_length=16, choices=Level.choices)
    notes = models.TextField(blank=True, max_length=NOTES_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-week_start", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "week_start"],
                condition=Q(status="active"),
                name="weeklyplan_one_active_per_client_week",
            )
        ]
        indexes = [
            models.Index(fields=["client", "status", "week_start"]),
            models.Index(fields=["trainer", "-week_start"]),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.week_start})"


class PlanDay(models.Model):
    plan = models.ForeignKey(WeeklyPlan, on_delete=models.CASCADE, related_name="days")
    weekday = models.PositiveSmallIntegerField(validators=bounded(WEEKDAYS), help_text="ISO weekday: 1 is Monday.")
    title = models.CharField(max_length=DAY_TITLE_LENGTH, blank=True)
    notes = models.TextField(blank=True, max_length=NOTES_LENGTH)

    class Meta:
        ordering = ["weekday"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "weekday"], name="planday_unique_weekday"),
            models.CheckConstraint(
                condition=Q(weekday__gte=WEEKDAYS[0], weekday__lte=WEEKDAYS[1]), name="planday_weekday_range"
            ),
        ]

    def __str__(self) -> str:
        return self.title or f"Day {self.weekday}"


class PlannedExercise(models.Model):
    """One prescription of a plan day: an exercise with its sets, reps, rest and effort."""

    day = models.ForeignKey(PlanDay, on_delete=models.CASCADE, related_name="exercises")
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField(default=0)
    sets = models.PositiveSmallIntegerField(validators=bounded(SETS))
    reps_min = models.PositiveSmallIntegerField(validators=bounded(REPS))
    reps_max = models.PositiveSmallIntegerField(validators=bounded(REPS))
    rest_seconds = models.PositiveSmallIntegerField(default=90, validators=bounded(REST_SECONDS))
    rpe = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True, validators=bounded(RPE))
    load_kg = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True, validators=bounded(LOAD_KG))
    tempo = models.CharField(max_length=TEMPO_LENGTH, blank=True)
    notes = models.TextField(blank=True, max_length=NOTES_LENGTH)
    # WeeklyPlan v2's per-set targets ({reps_min, reps_max, rpe, load_kg} a set), kept only when the sets
    # differ; empty means every set has the target above, which then summarises the list when it is not.
    set_targets = models.JSONField(default=list, db_default=[], blank=True)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(reps_min__lte=F("reps_max")), name="plannedexercise_reps_order"),
            models.CheckConstraint(
                condition=Q(sets__gte=SETS[0], sets__lte=SETS[1]), name="plannedexercise_sets_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.exercise_id}: {self.sets} x {self.reps_min}-{self.reps_max}"


class WorkoutSession(models.Model):
    """A workout a client did on a date, optionally fulfilling a plan day."""

    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="workouts")
    date = models.DateField()
    plan_day = models.ForeignKey(PlanDay, on_delete=models.SET_NULL, null=True, blank=True, related_name="sessions")
    duration_minutes = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(600)])
    # Session RPE: how hard the whole workout felt; times the duration it is the session's training load.
    # A plain smallint: a Positive* field's CHECK would scan the table under lock when added (docs/MIGRATIONS.md).
    perceived_effort = models.SmallIntegerField(null=True, blank=True, validators=bounded(RPE))
    notes = models.TextField(blank=True, max_length=NOTES_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["client", "date"])]

    def __str__(self) -> str:
        return f"Workout {self.date}"


class WorkoutNotice(models.Model):
    """A logged workout whose trainer has not been told of it yet: written with the workout, deleted once told.

    The outbox that `services.workout_notices_send` drains: the notice commits or fails with its workout.
    """

    workout = models.OneToOneField(WorkoutSession, on_delete=models.CASCADE, primary_key=True, related_name="+")

    def __str__(self) -> str:
        return f"Notice of workout {self.workout_id}"


class SetLog(models.Model):
    """One set a client performed: reps at a load, with the effort felt."""

    session = models.ForeignKey(WorkoutSession, on_delete=models.CASCADE, related_name="sets")
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="+")
    planned_exercise = models.ForeignKey(
        PlannedExercise, on_delete=models.SET_NULL, null=True, blank=True, related_name="set_logs"
    )
    set_number = models.PositiveSmallIntegerField(validators=bounded(SET_NUMBER))
    reps = models.PositiveSmallIntegerField(validators=bounded(LOGGED_REPS))
    load_kg = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal(0), validators=bounded(LOAD_KG))
    rpe = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True, validators=bounded(RPE))

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.reps} x {self.load_kg} kg"


class BodyMetric(models.Model):
    """A client's body measurements on one date (one entry a day, later values replace earlier)."""

    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="body_metrics")
    date = models.DateField()
    weight_kg = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, validators=bounded((20, 400))
    )
    body_fat_pct = models.DecimalField(
        max_digits=4, decimal_places=1, null=True, blank=True, validators=bounded((2, 75))
    )
    waist_cm = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True, validators=bounded((30, 250)))
    resting_heart_rate = models.PositiveSmallIntegerField(null=True, blank=True, validators=bounded((25, 220)))
    notes = models.TextField(blank=True, max_length=NOTES_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-date"]
        constraints = [models.UniqueConstraint(fields=["client", "date"], name="bodymetric_one_per_day")]

    def __str__(self) -> str:
        return f"Body metrics {self.date}"
