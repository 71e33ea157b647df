"""Admin of notifications: templates with a preview, the inbox with delivery results, test sends."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from kinetix.accounts.models import Locale, User
from kinetix.errors import ApplicationError
from notifications.events import EVENTS
from notifications.models import Notification, NotificationPreference, NotificationTemplate, PushDelivery
from notifications.rendering import render, template_field_problems
from notifications.services import notification_send_test

EVENT_CHOICES = [(key, f"{key} ({event.category}, to the {event.recipient})") for key, event in EVENTS.items()]


def _placeholders_help(event_key: str) -> str:
    event = EVENTS.get(event_key)
    return ", ".join(f"{{{name}}}" for name in event.placeholders) if event else "—"


class NotificationTemplateForm(forms.ModelForm):
    event = forms.ChoiceField(choices=EVENT_CHOICES)

    class Meta:
        model = NotificationTemplate
        fields = ["event", "locale", "title", "body", "data", "deep_link"]

    def clean(self) -> dict:
        cleaned = super().clean()
        event = EVENTS.get(cleaned.get("event", ""))
        if event is None or self.errors:
            return cleaned
        problems = template_field_problems(
            placeholders=event.placeholders,
            title=cleaned.get("title", ""),
            body=cleaned.get("body", ""),
            deep_link=cleaned.get("deep_link", ""),
            data=cleaned.get("data"),
        )
        for field, messages_ in problems.items():
            for message in messages_:
                self.add_error(field, message)
        return cleaned


@admin.register(NotificationTemplate)
class NotificationTemplateAdmin(admin.ModelAdmin):
    form = NotificationTemplateForm
    list_display = ["event", "locale", "title", "updated_at"]
    list_filter = ["locale", "event"]
    search_fields = ["event", "title", "body"]
    readonly_fields = ["placeholders", "preview", "updated_at"]
    fields = ["event", "locale", "placeholders", "title", "body", "data", "deep_link", "preview", "updated_at"]

    @admin.display(description="Placeholders this event offers")
    def placeholders(self, template: NotificationTemplate) -> str:
        return _placeholders_help(template.event)

    @admin.display(description="Preview with sample values")
    def preview(self, template: NotificationTemplate) -> str:
        event = EVENTS.get(template.event)
        if template.pk is None or event is None:
            return "Save the template to see it rendered."
        try:
            rows = [
                ("Title", render(template.title, event.placeholders)),
                ("Body", render(template.body, event.placeholders)),
                ("Deep link", render(template.deep_link, event.placeholders)),
                *((f"data.{key}", render(value, event.placeholders)) for key, value in template.data.items()),
            ]
        except ValueError as exc:
            return f"Cannot render: {exc}"
        return format_html("<dl>{}</dl>", format_html_join("", "<dt><b>{}</b></dt><dd>{}</dd>", rows))

    def has_delete_permission(self, request: HttpRequest, obj: NotificationTemplate | None = None) -> bool:
        # English is every event's fallback: edit it, never delete it.
        return super().has_delete_permission(request, obj) and (obj is None or obj.locale != Locale.EN)


class SendTestForm(forms.Form):
    email = forms.EmailField(help_text="The user who receives it, in their own language and on their devices.")
    event = forms.ChoiceField(choices=EVENT_CHOICES)

    def clean_email(self) -> User:
        user = User.objects.filter(email__iexact=self.cleaned_data["email"]).first()
        if user is None:
            raise forms.ValidationError("No user has this e-mail address.")
        return user


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    change_list_template = "admin/notifications/notification/change_list.html"
    list_display = ["id", "user", "event", "title", "created_at", "read_at", "push_status", "push_note"]
    list_filter = ["push_status", "category", "event", "created_at"]
    search_fields = ["user__email", "title", "event"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    raw_id_fields = ["user"]
    readonly_fields = [field.name for field in Notification._meta.fields] + ["deliveries_link"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # notifications come from events, or from "Send test notification"

    @admin.display(description="Delivery results")
    def deliveries_link(self, notification: Notification) -> str:
        url = reverse("admin:notifications_pushdelivery_changelist") + f"?notification__id__exact={notification.pk}"
        return format_html('<a href="{}">{} device(s)</a>', url, notification.deliveries.count())

    def get_urls(self) -> list:
        send_test = self.admin_site.admin_view(self.send_test_view)
        return [path("send-test/", send_test, name="notifications_notification_send_test"), *super().get_urls()]

    def send_test_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request) or not request.user.has_perm("notifications.add_notification"):
            return HttpResponseRedirect(reverse("admin:index"))
        form = SendTestForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                notification = notification_send_test(user=form.cleaned_data["email"], event=form.cleaned_data["event"])
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                notification.refresh_from_db()
                self.message_user(
                    request,
                    f"Sent notification #{notification.pk} to {notification.user}; push: {notification.push_status}"
                    + (f" ({notification.push_note})" if notification.push_note else "."),
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:notifications_notification_change", args=[notification.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "form": form,
            "title": "Send test notification",
        }
        return TemplateResponse(request, "admin/notifications/notification/send_test.html", context)


@admin.register(PushDelivery)
class PushDeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "notification", "registration_id_short", "status", "attempts", "error_code", "updated_at"]
    list_filter = ["status", "error_code"]
    search_fields = ["registration_id", "notification__user__email"]
    raw_id_fields = ["notification", "device"]
    readonly_fields = [field.name for field in PushDelivery._meta.fields]

    @admin.display(description="Token")
    def registration_id_short(self, delivery: PushDelivery) -> str:
        return f"{delivery.registration_id[:24]}…"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: PushDelivery | None = None) -> bool:
        return False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "muted_categories", "quiet_hours_start", "quiet_hours_end"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]
