"""The trainer's review queue of AI drafts: read the plan and its report, edit, approve or reject."""

import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from aiplans.models import REASON_LENGTH, GenerationStatus, PlanGeneration
from aiplans.services import generation_approve, generation_reject
from kinetix.accounts.admin_scope import TrainerScopedAdmin
from kinetix.accounts.models import User
from kinetix.accounts.selectors import trainer_clients
from kinetix.coaching.admin import plan_document_html
from kinetix.coaching.plan_document import document_upgrade
from kinetix.errors import ApplicationError


class ReviewForm(forms.Form):
    document = forms.JSONField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 24, "cols": 100, "spellcheck": "false"}),
        help_text="The draft as a WeeklyPlan document: edit it before approving, the edit is what the client gets.",
    )
    client = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    week_start = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="Default: the client's coming Monday."
    )
    reason = forms.CharField(
        required=False,
        max_length=REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 100}),
        help_text="Why the draft is rejected.",
    )

    def __init__(self, *args, generation: PlanGeneration, trainer: User, **kwargs) -> None:
        super().__init__(*args, initial={"document": generation.draft, "client": generation.client_id}, **kwargs)
        self.fields["client"].queryset = trainer_clients(trainer=trainer)
        if generation.client_id is not None:
            self.fields["client"].disabled = True


class RejectSelectedForm(forms.Form):
    reason = forms.CharField(max_length=REASON_LENGTH, widget=forms.Textarea(attrs={"rows": 3, "cols": 80}))


@admin.register(PlanGeneration)
class PlanGenerationAdmin(TrainerScopedAdmin, admin.ModelAdmin):
    """AI drafts waiting for (and past) their trainer's review; every decision goes through the aiplans services."""

    trainer_lookup = "trainer"
    list_display = ("__str__", "status", "client", "goal", "level", "days_per_week", "validation", "created_at")
    list_filter = ("status", "client", "goal", "level")
    search_fields = ("client__email", "client__full_name")
    list_select_related = ("client",)
    date_hierarchy = "created_at"
    actions = ["reject_selected"]
    review_template = "admin/aiplans/plangeneration/review.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # drafts come from ai/generate-plan/

    def has_delete_permission(self, request: HttpRequest, obj: PlanGeneration | None = None) -> bool:
        return False  # the history of drafts is training data

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description="validation")
    def validation(self, generation: PlanGeneration) -> str:
        if not generation.report:
            return "—"
        errors, warnings = len(generation.report.get("errors", [])), len(generation.report.get("warnings", []))
        return "passed" if not errors and not warnings else f"{errors} error(s), {warnings} warning(s)"

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None) -> HttpResponse:
        generation = self.get_object(request, unquote(object_id))
        if generation is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, generation):
            raise PermissionDenied
        can_review = generation.status == GenerationStatus.NEEDS_REVIEW and self.has_change_permission(
            request, generation
        )
        form = ReviewForm(request.POST or None, generation=generation, trainer=generation.trainer)
        if request.method == "POST":
            if not can_review:
                raise PermissionDenied
            if form.is_valid():
                response = self._decide(request, generation, form)
                if response is not None:
                    return response
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Review {generation}",
            "original": generation,
            "form": form,
            "can_review": can_review,
            "plan_html": plan_document_html(document_upgrade(generation.draft)) if generation.draft else None,
            "report_html": report_html(generation.report),
            "plan_url": reverse("admin:coaching_weeklyplan_change", args=[generation.plan_id])
            if generation.plan_id
            else "",
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.review_template, context)

    def _decide(self, request: HttpRequest, generation: PlanGeneration, form: ReviewForm) -> HttpResponse | None:
        data = form.cleaned_data
        try:
            if "_reject" in request.POST:
                generation_reject(generation=generation, by=request.user, reason=data["reason"])
                self.log_change(request, generation, f"Rejected: {data['reason']}")
                self.message_user(request, f"Rejected {generation}.", messages.SUCCESS)
            else:
                client = data.get("client")
                plan = generation_approve(
                    generation=generation,
                    by=request.user,
                    document=data.get("document"),
                    client_id=client.pk if client else None,
                    week_start=data.get("week_start"),
                )
                self.log_change(request, generation, f"Approved as plan {plan.pk}.")
                self.message_user(request, f"Approved: {plan} is now the client's active plan.", messages.SUCCESS)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
            for error in exc.errors:
                form.add_error(None, f"{error.path}: {error.message}" if error.path else error.message)
            return None
        return HttpResponseRedirect(reverse("admin:aiplans_plangeneration_changelist"))

    @admin.action(description="Reject selected drafts (with one reason)", permissions=["change"])
    def reject_selected(self, request: HttpRequest, queryset: QuerySet[PlanGeneration]) -> HttpResponse | None:
        form = RejectSelectedForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": "Reject drafts",
                "form": form,
                "generations": queryset,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/aiplans/plangeneration/reject_selected.html", context)
        done, refused = 0, []
        for generation in queryset.order_by("pk"):
            try:
                generation_reject(generation=generation, by=request.user, reason=form.cleaned_data["reason"])
            except ApplicationError as exc:
                refused.append(f"{generation}: {exc.message}")
            else:
                self.log_change(request, generation, f"Rejected: {form.cleaned_data['reason']}")
                done += 1
        if done:
            self.message_user(request, f"Rejected {done} draft(s).", messages.SUCCESS)
        if refused:
            self.message_user(request, "Not rejected: " + "; ".join(refused), messages.WARNING)
        return None


def report_html(report: dict) -> SafeString:
    """Render a validation report for a trainer: errors, warnings, weekly sets per group and session lengths."""
    if not report:
        return format_html("<p>{}</p>", "No report yet: the draft is still being written.")

    def issues(title: str, items: list[dict]) -> SafeString:
        if not items:
            return SafeString("")
        rows = format_html_join(
            "", "<li><code>{}</code> {}</li>", [(i["path"] or "document", i["message"]) for i in items]
        )
        return format_html("<h4>{}</h4><ul>{}</ul>", title, rows)

    status = "Passed every check." if report.get("passed") else "Did not pass."
    low_high = report.get("weekly_sets_range")
    target = f" (target {low_high[0]}-{low_high[1]})" if low_high else ""
    sets = format_html_join(
        "", "<tr><td>{}</td><td>{}</td></tr>", [(g, f"{n:g}") for g, n in report.get("weekly_sets", {}).items()]
    )
    minutes = format_html_join(
        "", "<tr><td>day {}</td><td>{} min</td></tr>", sorted(report.get("session_minutes", {}).items())
    )
    turns = len(report.get("turns", []))
    return format_html(
        "<p><strong>{}</strong> Answers from the model: {}.</p>{}{}"
        "<h4>Weekly hard sets per major group{}</h4><table>{}</table><h4>Estimated session length</h4><table>{}</table>"
        "<details><summary>Report as JSON</summary><pre>{}</pre></details>",
        status,
        turns,
        issues("Errors", report.get("errors", [])),
        issues("Warnings", report.get("warnings", [])),
        target,
        sets,
        minutes,
        json.dumps(report, indent=2, ensure_ascii=False),
    )
