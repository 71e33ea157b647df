"""Admin of coaching: a trainer's exercises, weekly plans, and their clients' workouts and body metrics."""

import json
from collections import Counter
from collections.abc import Callable
from functools import partial

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.checks import InlineModelAdminChecks
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, QuerySet
from django.forms.models import BaseModelFormSet, modelform_defines_fields, modelformset_factory
from django.http import HttpRequest
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from kinetix.accounts.admin_scope import TrainerScopedAdmin, choice_scope_register
from kinetix.accounts.models import Role, User
from kinetix.accounts.selectors import trainer_clients
from kinetix.coaching.models import (
    DAYS_PER_PLAN,
    EXERCISES_PER_DAY,
    BodyMetric,
    Exercise,
    ExerciseMuscle,
    PlanDay,
    PlannedExercise,
    PlanStatus,
    SetLog,
    WeeklyPlan,
    WorkoutSession,
)
from kinetix.coaching.plan_document import SUMMARY_FIELDS, document_from_plan
from kinetix.coaching.selectors import exercises_visible, plan_with_content
from kinetix.coaching.services import exercise_delete, plan_activate, plan_archive, plan_delete
from kinetix.errors import ApplicationError

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAY_CHOICES = list(enumerate(WEEKDAY_NAMES, start=1))
PRESCRIPTION_FIELDS = (
    "day",
    "order",
    "exercise",
    "sets",
    "reps_min",
    "reps_max",
    "rest_seconds",
    "rpe",
    "load_kg",
    "tempo",
    "notes",
)
COMPACT_TEXT = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 30})}}

# What a trainer may pick in a form: the library they can use, and days of their own plans
# (a prescription's day is narrowed further to its own plan's days by PrescriptionFormSet).
choice_scope_register(Exercise, lambda trainer: exercises_visible(user=trainer))
choice_scope_register(PlanDay, lambda trainer: PlanDay.objects.filter(plan__trainer=trainer))


def _weekday(number: int) -> str:
    return WEEKDAY_NAMES[number - 1] if 1 <= number <= len(WEEKDAY_NAMES) else str(number)


# Exercises ---------------------------------------------------------------------------------------


class LibraryFilter(admin.SimpleListFilter):
    title = "library"
    parameter_name = "library"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin):
        return [("shared", "Shared library"), ("private", "Private" if request.user.is_superuser else "My exercises")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Exercise]) -> QuerySet[Exercise]:
        if self.value() in ("shared", "private"):
            return queryset.filter(owner__isnull=self.value() == "shared")
        return queryset


class ExerciseMuscleInline(TrainerScopedAdmin, admin.TabularInline):
    model = ExerciseMuscle
    trainer_lookup = "exercise__owner"
    fields = ("muscle", "is_primary")
    extra = 0

    def visible_queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(exercise__in=exercises_visible(user=request.user))

    def get_extra(self, request: HttpRequest, obj: Exercise | None = None, **kwargs) -> int:
        return 2 if obj is None else 0


@admin.register(Exercise)
class ExerciseAdmin(TrainerScopedAdmin, admin.ModelAdmin):
    """The shared library (read-only for trainers) and each trainer's own private exercises."""

    trainer_lookup = "owner"
    owner_field = "owner"
    inlines = [ExerciseMuscleInline]
    fields = ("name", "slug", "owner", "equipment", "level", "mechanics", "category", "instructions")
    list_display = ("name", "slug", "equipment", "level", "category", "library")
    list_filter = (LibraryFilter, "equipment", "level", "category", "mechanics", "muscles__muscle")
    search_fields = ("name", "slug")
    list_select_related = ("owner",)

    def visible_queryset(self, request: HttpRequest, queryset: QuerySet[Exercise]) -> QuerySet[Exercise]:
        return queryset.filter(pk__in=exercises_visible(user=request.user).values("pk"))

    def get_readonly_fields(self, request: HttpRequest, obj: Exercise | None = None):
        # Plans and workouts name an exercise by its slug: once saved, it stays.
        return ("slug",) if obj is not None else ()

    def get_prepopulated_fields(self, request: HttpRequest, obj: Exercise | None = None):
        return {"slug": ("name",)} if obj is None else {}

    def get_list_display(self, request: HttpRequest):
        return (*self.list_display, "owner") if request.user.is_superuser else self.list_display

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "owner":  # only a superuser sees the field: the owner is a trainer, or none (shared)
            kwargs["queryset"] = User.objects.filter(role=Role.TRAINER)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="library", ordering="owner")
    def library(self, exercise: Exercise) -> str:
        return "Shared" if exercise.owner_id is None else "Private"

    def delete_model(self, request: HttpRequest, obj: Exercise) -> None:
        exercise_delete(exercise=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Exercise]) -> None:
        for exercise in queryset:
            exercise_delete(exercise=exercise)


# Weekly plans ------------------------------------------------------------------------------------


class WeeklyPlanForm(forms.ModelForm):
    class Meta:
        model = WeeklyPlan
        fields = ("trainer", "client", "week_start", "title", "goal", "level", "notes")

    def clean(self) -> dict:
        cleaned = super().clean()
        # A trainer picks from their own clients; a superuser picks both, so check that they belong together.
        trainer, client = cleaned.get("trainer"), cleaned.get("client")
        if trainer and client and not trainer_clients(trainer=trainer).filter(pk=client.pk).exists():
            self.add_error("client", "Pick a current client of the plan's trainer.")
        return cleaned


class PlanDayForm(forms.ModelForm):
    weekday = forms.TypedChoiceField(choices=WEEKDAY_CHOICES, coerce=int)

    class Meta:
        model = PlanDay
        fields = ("weekday", "title", "notes")


class PlanDayInline(TrainerScopedAdmin, admin.TabularInline):
    model = PlanDay
    form = PlanDayForm
    trainer_lookup = "plan__trainer"
    fields = ("weekday", "title", "notes")
    min_num, max_num, extra = DAYS_PER_PLAN[0], DAYS_PER_PLAN[1], 0
    formfield_overrides = COMPACT_TEXT


class PlannedExerciseForm(forms.ModelForm):
    class Meta:
        model = PlannedExercise
        fields = PRESCRIPTION_FIELDS

    def clean(self) -> dict:
        cleaned = super().clean()
        reps_min, reps_max = cleaned.get("reps_min"), cleaned.get("reps_max")
        if reps_min is not None and reps_max is not None and reps_min > reps_max:
            self.add_error("reps_max", "Must not be below the minimum reps.")
        return cleaned

    def save(self, commit: bool = True) -> PlannedExercise:
        # As in the API (plan_document): a summary changed by hand prescribes that many sets alike.
        if set(self.changed_data) & set(SUMMARY_FIELDS):
            self.instance.set_targets = []
        return super().save(commit)


class PrescriptionFormSet(BaseModelFormSet):
    """The prescriptions of one plan, across its days: an inline formset whose parent is two hops away.

    Takes the arguments that ModelAdmin gives an inline formset (`instance` is the plan) and limits
    each row's day to this plan's days and its exercise to what the plan's trainer may use.
    """

    def __init__(self, data=None, files=None, instance=None, save_as_new=False, prefix=None, queryset=None, **kwargs):
        self.instance = instance if instance is not None else WeeklyPlan()
        self.save_as_new = save_as_new
        if queryset is None:
            queryset = PlannedExercise._default_manager.all()
        queryset = queryset.filter(day__plan=self.instance) if self.instance.pk else queryset.none()
        queryset = queryset.select_related("day", "exercise").order_by("day__weekday", "order", "pk")
        super().__init__(data, files, prefix=prefix, queryset=queryset, **kwargs)

    @classmethod
    def get_default_prefix(cls) -> str:
        return "prescriptions"

    @cached_property
    def _days(self) -> QuerySet[PlanDay]:
        return PlanDay.objects.filter(plan=self.instance) if self.instance.pk else PlanDay.objects.none()

    @cached_property
    def _day_choices(self) -> list[tuple[str | int, str]]:
        # Listed once for the whole table rather than queried again for every row's select.
        return [("", "---------"), *((day.pk, f"{_weekday(day.weekday)}: {day}") for day in self._days)]

    def add_fields(self, form: forms.ModelForm, index: int | None) -> None:
        super().add_fields(form, index)
        if "day" in form.fields:
            form.fields["day"].queryset = self._days
            form.fields["day"].widget.choices = self._day_choices
        if "exercise" in form.fields and self.instance.pk:
            form.fields["exercise"].queryset = exercises_visible(user=self.instance.trainer)

    def clean(self) -> None:
        super().clean()
        per_day: Counter = Counter()
        for form in self.forms:
            day = getattr(form, "cleaned_data", {}).get("day")
            if day is not None and not self._should_delete_form(form):
                per_day[day] += 1
        crowded = sorted(str(day) for day, count in per_day.items() if count > EXERCISES_PER_DAY[1])
        if crowded:
            raise ValidationError(
                f"A day holds at most {EXERCISES_PER_DAY[1]} exercises: {', '.join(crowded)}.", code="too_many"
            )

    def save(self, commit: bool = True) -> list[PlannedExercise]:
        # The days inline saves first; a day deleted there took its prescriptions with it.
        self._live_days = set(PlanDay.objects.filter(plan=self.instance).values_list("pk", flat=True))
        return super().save(commit)

    def save_existing(self, form: forms.ModelForm, obj: PlannedExercise, commit: bool = True) -> PlannedExercise:
        return super().save_existing(form, obj, commit) if obj.day_id in self._live_days else obj

    def save_new(self, form: forms.ModelForm, commit: bool = True) -> PlannedExercise:
        return super().save_new(form, commit) if form.instance.day_id in self._live_days else form.instance


class PrescriptionInlineChecks(InlineModelAdminChecks):
    # Prescriptions reach the plan through their day; there is no foreign key to the plan to check.
    def _check_relation(self, obj, parent_model) -> list:
        return []

    def _check_exclude_of_parent_model(self, obj, parent_model) -> list:
        return []


class PlannedExerciseInline(TrainerScopedAdmin, admin.TabularInline):
    """Every prescription of the plan in one table, each pointing at one of the plan's days."""

    model = PlannedExercise
    form = PlannedExerciseForm
    formset = PrescriptionFormSet
    checks_class = PrescriptionInlineChecks
    trainer_lookup = "day__plan__trainer"
    fields = PRESCRIPTION_FIELDS
    autocomplete_fields = ("exercise",)
    extra = 1
    max_num = DAYS_PER_PLAN[1] * EXERCISES_PER_DAY[1]
    verbose_name = "prescribed exercise"
    formfield_overrides = COMPACT_TEXT

    def get_formset(self, request: HttpRequest, obj: WeeklyPlan | None = None, **kwargs):
        # InlineModelAdmin.get_formset builds an inline formset over a direct foreign key; this one
        # builds the same thing over PrescriptionFormSet, keeping the admin's permission guards.
        fields = kwargs.pop("fields") if "fields" in kwargs else flatten_fieldsets(self.get_fieldsets(request, obj))
        exclude = [*(self.get_exclude(request, obj) or ()), *self.get_readonly_fields(request, obj)]
        can_change = self.has_change_permission(request, obj)
        can_add = self.has_add_permission(request, obj)

        class PermittedForm(self.form):
            def has_changed(self) -> bool:
                allowed = can_add if self.instance._state.adding else can_change
                return allowed and super().has_changed()

        if fields is None and not modelform_defines_fields(PermittedForm):
            fields = forms.ALL_FIELDS
        return modelformset_factory(
            self.model,
            form=PermittedForm,
            formset=self.formset,
            fields=fields,
            exclude=exclude or None,
            formfield_callback=partial(self.formfield_for_dbfield, request=request),
            extra=self.get_extra(request, obj, **kwargs),
            min_num=self.get_min_num(request, obj, **kwargs),
            max_num=self.get_max_num(request, obj, **kwargs),
            can_delete=self.can_delete and self.has_delete_permission(request, obj),
            **kwargs,
        )


class ClientChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user: User) -> str:
        return f"{user.full_name} <{user.email}>" if user.full_name else user.email


@admin.register(WeeklyPlan)
class WeeklyPlanAdmin(TrainerScopedAdmin, admin.ModelAdmin):
    """A trainer's weekly plans: days and prescriptions inline, published and withdrawn by the plan services."""

    trainer_lookup = "trainer"
    owner_field = "trainer"
    form = WeeklyPlanForm
    fieldsets = (
        (None, {"fields": ("trainer", "client", "week_start", "status", "activated_at")}),
        ("Content", {"fields": ("title", "goal", "level", "notes")}),
        ("Plan document", {"fields": ("overview",)}),
    )
    list_display = ("title", "client", "week_start", "status", "goal", "level", "updated_at")
    list_filter = ("status", "week_start", "client", "goal", "level")
    search_fields = ("title", "client__email", "client__full_name")
    date_hierarchy = "week_start"
    list_select_related = ("client",)
    actions = ["activate", "archive"]

    def get_inlines(self, request: HttpRequest, obj: WeeklyPlan | None):
        # A prescription points at a stored day: add the days first, then their exercises.
        return [PlanDayInline] if obj is None else [PlanDayInline, PlannedExerciseInline]

    def get_fieldsets(self, request: HttpRequest, obj: WeeklyPlan | None = None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return [(name, options) for name, options in fieldsets if "overview" not in options["fields"]]
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: WeeklyPlan | None = None):
        readonly = ["status", "activated_at", "overview"]
        if obj is not None:
            readonly += ["trainer", "client"]
            if obj.status != PlanStatus.DRAFT:
                readonly.append("week_start")  # an active plan keeps its week (as plan_update says)
        return readonly

    def get_list_display(self, request: HttpRequest):
        return (*self.list_display, "trainer") if request.user.is_superuser else self.list_display

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "client":
            kwargs["form_class"] = ClientChoiceField
            if request.user.is_superuser:
                kwargs["queryset"] = User.objects.filter(role=Role.CLIENT)
        elif db_field.name == "trainer" and request.user.is_superuser:
            kwargs["queryset"] = User.objects.filter(role=Role.TRAINER)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: WeeklyPlan | None = None) -> bool:
        if obj is not None and obj.status == PlanStatus.ARCHIVED:
            return False  # an archived plan is history (plan_update refuses it too)
        return super().has_change_permission(request, obj)

    @admin.display(description="plan")
    def overview(self, plan: WeeklyPlan) -> SafeString:
        return plan_document_html(document_from_plan(plan_with_content(plan=plan)))

    def delete_model(self, request: HttpRequest, obj: WeeklyPlan) -> None:
        plan_delete(plan=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[WeeklyPlan]) -> None:
        for plan in queryset:
            plan_delete(plan=plan)

    @admin.action(description="Activate selected plans (archives an overlapping active plan)", permissions=["change"])
    def activate(self, request: HttpRequest, queryset: QuerySet[WeeklyPlan]) -> None:
        self._transition(request, queryset, plan_activate, "Activated")

    @admin.action(description="Archive selected plans", permissions=["change"])
    def archive(self, request: HttpRequest, queryset: QuerySet[WeeklyPlan]) -> None:
        self._transition(request, queryset, plan_archive, "Archived")

    def _transition(
        self,
        request: HttpRequest,
        queryset: QuerySet[WeeklyPlan],
        service: Callable[..., WeeklyPlan],
        verb: str,
    ) -> None:
        done, refused = 0, []
        for plan in queryset.order_by("week_start", "pk"):
            try:
                service(plan=plan)
            except ApplicationError as exc:
                refused.append(f"{plan}: {exc.message}")
            else:
                self.log_change(request, plan, f"{verb}.")
                done += 1
        if done:
            self.message_user(request, f"{verb} {done} plan(s).", messages.SUCCESS)
        if refused:
            self.message_user(request, f"Not {verb.lower()}: " + "; ".join(refused), messages.WARNING)


def _number(value: float | None, unit: str = "") -> str:
    return "—" if value is None else f"{value:g}{unit}"


def _reps(item: dict) -> str:
    low, high = item["reps_min"], item["reps_max"]
    return str(low) if low == high else f"{low}-{high}"


def _sets(item: dict) -> str:
    """The number of sets, followed by each set's target when they differ (reps @ load, RPE)."""
    targets = item["set_targets"]
    if all(target == targets[0] for target in targets):
        return str(item["sets"])
    each = [f"{_reps(t)} @ {_number(t['load_kg'], ' kg')}, RPE {_number(t['rpe'])}" for t in targets]
    return f"{item['sets']}: " + " · ".join(each)


def plan_document_html(document: dict) -> SafeString:
    """Render a WeeklyPlan document as a table a day, with the JSON itself beneath."""
    if not document["days"]:
        return format_html("<p>{}</p>", "No days yet: add them below and save.")
    header = format_html_join(
        "", "<th>{}</th>", [(h,) for h in ("Exercise", "Sets", "Reps", "Rest", "RPE", "Load", "Tempo", "Notes")]
    )
    days = []
    for day in document["days"]:
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} s</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            [
                (
                    item["exercise"],
                    _sets(item),
                    _reps(item),
                    item["rest_seconds"],
                    _number(item["rpe"]),
                    _number(item["load_kg"], " kg"),
                    item["tempo"] or "—",
                    item["notes"],
                )
                for item in day["exercises"]
            ],
        )
        title = f"{_weekday(day['weekday'])}: {day['title']}" if day["title"] else _weekday(day["weekday"])
        body = rows or format_html('<tr><td colspan="8">{}</td></tr>', "No exercises yet.")
        days.append(
            format_html("<h4>{}</h4><table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", title, header, body)
        )
    return format_html(
        "{}<details><summary>WeeklyPlan document (schema version {})</summary><pre>{}</pre></details>",
        format_html_join("", "{}", [(day,) for day in days]),
        document["schema_version"],
        json.dumps(document, indent=2, ensure_ascii=False),
    )


# Workouts and body metrics (trainers read them) ----------------------------------------------------


class SetLogInline(TrainerScopedAdmin, admin.TabularInline):
    model = SetLog
    client_lookup = "session__client"
    fields = ("exercise", "planned_exercise", "set_number", "reps", "load_kg", "rpe")
    autocomplete_fields = ("exercise",)
    raw_id_fields = ("planned_exercise",)
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet[SetLog]:
        return super().get_queryset(request).select_related("exercise", "planned_exercise__exercise")


@admin.register(WorkoutSession)
class WorkoutSessionAdmin(TrainerScopedAdmin, admin.ModelAdmin):
    client_lookup = "client"
    inlines = [SetLogInline]
    fields = ("client", "date", "plan_day", "duration_minutes", "perceived_effort", "notes")
    list_display = ("date", "client", "plan_day", "duration_minutes", "set_count")
    list_filter = ("date", "client")
    search_fields = ("client__email", "client__full_name", "notes")
    date_hierarchy = "date"
    raw_id_fields = ("client", "plan_day")
    list_select_related = ("client", "plan_day")

    def get_queryset(self, request: HttpRequest) -> QuerySet[WorkoutSession]:
        return super().get_queryset(request).annotate(set_count=Count("sets"))

    @admin.display(description="sets", ordering="set_count")
    def set_count(self, session: WorkoutSession) -> int:
        return session.set_count


@admin.register(BodyMetric)
class BodyMetricAdmin(TrainerScopedAdmin, admin.ModelAdmin):
    client_lookup = "client"
    list_display = ("date", "client", "weight_kg", "body_fat_pct", "waist_cm", "resting_heart_rate")
    list_filter = ("date", "client")
    search_fields = ("client__email", "client__full_name", "notes")
    date_hierarchy = "date"
    raw_id_fields = ("client",)
    list_select_related = ("client",)
