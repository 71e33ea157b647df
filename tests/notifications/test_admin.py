"""The notifications admin: template validation and preview, test sends, delivery results."""

import pytest
from django.test import Client
from django.urls import reverse

from notifications.models import Notification, NotificationTemplate, PushDelivery, PushStatus
from notifications.push import NOT_CONFIGURED
from tests.factories import ClientFactory, SuperuserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_browser(db) -> Client:
    browser = Client()
    browser.force_login(SuperuserFactory())
    return browser


def _template_form(template: NotificationTemplate, **changes) -> dict:
    form = {
        "event": template.event,
        "locale": template.locale,
        "title": template.title,
        "body": template.body,
        "data": '{"plan_id": "{plan_id}"}',
        "deep_link": template.deep_link,
    }
    return {**form, **changes}


def test_a_template_with_an_unknown_or_unsafe_placeholder_is_refused_at_edit_time(admin_browser):
    template = NotificationTemplate.objects.get(event="plan_activated", locale="en")
    url = reverse("admin:notifications_notificationtemplate_change", args=[template.pk])

    response = admin_browser.post(
        url,
        _template_form(template, title="Hi {client_name}", body="{plan.trainer.password}", data='{"x": "{plan_id!r}"}'),
    )

    assert response.status_code == 200  # the form again, with its errors
    errors = response.context["adminform"].form.errors
    assert "Unknown placeholder {client_name}" in errors["title"][0]
    assert "not a plain name" in errors["body"][0]
    assert "conversion or format spec" in errors["data"][0]
    template.refresh_from_db()
    assert template.title == "Your new plan is ready"


def test_a_valid_edit_is_saved_and_previewed_with_sample_values(admin_browser):
    template = NotificationTemplate.objects.get(event="plan_activated", locale="en")
    url = reverse("admin:notifications_notificationtemplate_change", args=[template.pk])

    saved = admin_browser.post(url, _template_form(template, title="{trainer_name} has a plan for you"))
    page = admin_browser.get(url)

    assert saved.status_code == 302
    assert "Ana Petrović has a plan for you" in page.content.decode()
    assert "kinetix://plans/42" in page.content.decode()


def test_english_templates_cannot_be_deleted(admin_browser):
    english = NotificationTemplate.objects.get(event="plan_activated", locale="en")
    serbian = NotificationTemplate.objects.get(event="plan_activated", locale="sr-latn")
    changelist = reverse("admin:notifications_notificationtemplate_changelist")

    refused = admin_browser.post(reverse("admin:notifications_notificationtemplate_delete", args=[english.pk]))
    admin_browser.post(
        changelist, {"action": "delete_selected", "_selected_action": [english.pk, serbian.pk], "post": "yes"}
    )
    both_kept = set(NotificationTemplate.objects.filter(event="plan_activated").values_list("locale", flat=True))
    admin_browser.post(changelist, {"action": "delete_selected", "_selected_action": [serbian.pk], "post": "yes"})

    assert refused.status_code == 403
    assert both_kept == {"en", "sr-latn"}  # a selection with an English template is refused whole
    assert set(NotificationTemplate.objects.filter(event="plan_activated").values_list("locale", flat=True)) == {"en"}


def test_send_test_notification_to_a_user(admin_browser, django_capture_on_commit_callbacks):
    client = ClientFactory(locale="sr-latn")
    url = reverse("admin:notifications_notification_send_test")

    form = admin_browser.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_browser.post(url, {"email": client.email.upper(), "event": "payment_failed"}, follow=True)

    assert form.status_code == 200
    notification = Notification.objects.get(user=client)
    assert notification.title == "Plaćanje nije uspelo"
    assert notification.body.startswith("Naplata iznosa 29.00 EUR za Kinetix Pro nije uspela: Your card was declined.")
    assert f"Sent notification #{notification.pk}" in response.content.decode()
    assert (notification.push_status, notification.push_note) == (PushStatus.SKIPPED, NOT_CONFIGURED)


def test_send_test_refuses_an_unknown_address(admin_browser):
    response = admin_browser.post(
        reverse("admin:notifications_notification_send_test"),
        {"email": "nobody@example.com", "event": "plan_activated"},
    )

    assert "No user has this e-mail address." in response.content.decode()
    assert not Notification.objects.exists()


def test_delivery_results_are_listed_per_notification(admin_browser, fcm, add_device):
    from notifications.push import notification_push
    from notifications.services import notify

    client = ClientFactory()
    add_device(client, "ok-phone")
    add_device(client, "invalid-token")
    notification = notify(
        user=client,
        event="plan_activated",
        context={"trainer_name": "Ana", "plan_title": "P", "week_start": "2026-03-02", "plan_id": "1"},
    )
    notification_push(notification_id=notification.pk)

    detail = admin_browser.get(reverse("admin:notifications_notification_change", args=[notification.pk]))
    results = admin_browser.get(
        reverse("admin:notifications_pushdelivery_changelist"), {"notification__id__exact": notification.pk}
    )

    assert "2 device(s)" in detail.content.decode()
    assert PushDelivery.objects.filter(notification=notification).count() == 2
    assert results.status_code == 200
    assert "INVALID_ARGUMENT" in results.content.decode()
