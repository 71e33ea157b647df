"""notify(): rendering in the user's language, the inbox entry, the push plan, and its errors."""

import datetime

import pytest
from django.utils import timezone

from kinetix.errors import ApplicationError
from notifications.events import EVENTS
from notifications.models import Notification, NotificationPreference, NotificationTemplate, PushStatus
from notifications.push import NOT_CONFIGURED
from notifications.services import notify
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

PLAN_CONTEXT = {
    "trainer_name": "Ana",
    "plan_title": "Strength base",
    "week_start": datetime.date(2026, 3, 2),
    "plan_id": 7,
}


def test_every_event_is_seeded_in_english_and_serbian_and_renders_its_samples():
    from notifications.rendering import template_field_problems

    seeded = set(NotificationTemplate.objects.values_list("event", "locale"))

    assert seeded == {(event, locale) for event in EVENTS for locale in ("en", "sr-latn")}
    for template in NotificationTemplate.objects.all():
        problems = template_field_problems(
            placeholders=EVENTS[template.event].placeholders,
            title=template.title,
            body=template.body,
            deep_link=template.deep_link,
            data=template.data,
        )
        assert problems == {}, template


def test_notify_renders_in_the_users_locale_and_stores_the_inbox_entry():
    client = ClientFactory(locale="sr-latn")

    notification = notify(user=client, event="plan_activated", context=PLAN_CONTEXT)

    notification.refresh_from_db()
    assert notification.user == client
    assert notification.locale == "sr-latn"
    assert notification.title == "Vaš novi plan je spreman"
    assert notification.body == "Ana vam šalje plan „Strength base“ za nedelju od 2026-03-02."
    assert notification.data == {"plan_id": "7"}
    assert notification.deep_link == "kinetix://plans/7"
    assert notification.category == "plans"
    assert notification.read_at is None


def test_a_missing_translation_falls_back_to_english():
    NotificationTemplate.objects.filter(event="plan_activated", locale="sr-latn").delete()
    client = ClientFactory(locale="sr-latn")

    notification = notify(user=client, event="plan_activated", context=PLAN_CONTEXT)

    assert notification.locale == "en"
    assert notification.title == "Your new plan is ready"


def test_without_fcm_credentials_the_push_is_recorded_as_skipped(django_capture_on_commit_callbacks):
    client = ClientFactory()

    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(user=client, event="plan_activated", context=PLAN_CONTEXT)

    notification.refresh_from_db()
    assert notification.push_status == PushStatus.SKIPPED
    assert notification.push_note == NOT_CONFIGURED


def test_the_push_is_queued_only_when_the_transaction_commits(django_capture_on_commit_callbacks):
    client = ClientFactory()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification = notify(user=client, event="plan_activated", context=PLAN_CONTEXT)

    notification.refresh_from_db()
    assert notification.push_status == PushStatus.SCHEDULED
    assert len(callbacks) == 1


def test_an_unknown_event_is_refused():
    with pytest.raises(ApplicationError) as caught:
        notify(user=ClientFactory(), event="plan_exploded", context={})

    assert caught.value.code == "notification_event_unknown"


def test_a_missing_or_unusable_context_value_is_refused_with_its_path():
    context = {**PLAN_CONTEXT, "plan_title": {"nested": "object"}}
    del context["trainer_name"]

    with pytest.raises(ApplicationError) as caught:
        notify(user=ClientFactory(), event="plan_activated", context=context)

    assert caught.value.code == "notification_context_invalid"
    assert {(e.path, e.code) for e in caught.value.errors} == {
        ("context.trainer_name", "required"),
        ("context.plan_title", "invalid_type"),
    }
    assert not Notification.objects.exists()


def test_a_template_broken_outside_the_admin_is_a_clear_error():
    NotificationTemplate.objects.filter(event="plan_activated", locale="en").update(body="{plan.owner.password}")

    with pytest.raises(ApplicationError) as caught:
        notify(user=ClientFactory(), event="plan_activated", context=PLAN_CONTEXT)

    assert caught.value.code == "notification_template_invalid"
    assert "not a plain name" in caught.value.message


def test_a_repeat_with_the_same_dedupe_key_returns_the_first_notification():
    client = ClientFactory()

    first = notify(user=client, event="payment_succeeded", context=_payment(), dedupe_key="evt_1")
    again = notify(user=client, event="payment_succeeded", context=_payment(), dedupe_key="evt_1")
    other = notify(user=client, event="payment_succeeded", context=_payment(), dedupe_key="evt_2")

    assert again.pk == first.pk
    assert other.pk != first.pk
    assert Notification.objects.filter(user=client).count() == 2


def test_a_muted_category_reaches_the_inbox_without_a_push(django_capture_on_commit_callbacks):
    client = ClientFactory()
    NotificationPreference.objects.create(user=client, muted_categories=["billing"])

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        billing = notify(user=client, event="payment_failed", context={**_payment(), "reason": "Declined."})
        plans = notify(user=client, event="plan_activated", context=PLAN_CONTEXT)

    billing.refresh_from_db()
    assert billing.push_status == PushStatus.SKIPPED
    assert billing.push_note == "The user turned off billing notifications."
    queued = [c for c in callbacks if c.__qualname__.startswith("_push_queue_on_commit")]
    assert len(queued) == 1  # only the plans push was queued (the others count what the push did)
    plans.refresh_from_db()
    assert plans.push_note == NOT_CONFIGURED


@pytest.mark.parametrize(
    ("utc_now", "timezone_name", "expected_push_utc"),
    [
        # 23:30 in Belgrade (UTC+1 in winter): waits until 07:00 local, 06:00 UTC the next day.
        ("2026-01-14T22:30:00", "Europe/Belgrade", "2026-01-15T06:00:00"),
        # 03:00 in New York (UTC-5): the same night's end, 07:00 local is 12:00 UTC.
        ("2026-01-15T08:00:00", "America/New_York", "2026-01-15T12:00:00"),
        # 12:00 in Tokyo: outside quiet hours, pushed at once.
        ("2026-01-15T03:00:00", "Asia/Tokyo", None),
    ],
)
def test_quiet_hours_in_the_users_time_zone_delay_the_push(utc_now, timezone_name, expected_push_utc):
    from notifications.services import quiet_hours_end

    client = ClientFactory(timezone=timezone_name)
    preference = NotificationPreference.objects.create(
        user=client, quiet_hours_start=datetime.time(22), quiet_hours_end=datetime.time(7)
    )
    at = datetime.datetime.fromisoformat(utc_now).replace(tzinfo=datetime.UTC)

    end = quiet_hours_end(preference=preference, at=at)

    expected = expected_push_utc and datetime.datetime.fromisoformat(expected_push_utc).replace(tzinfo=datetime.UTC)
    assert end == expected


def test_a_notification_in_quiet_hours_is_in_the_inbox_at_once_and_pushed_after(django_capture_on_commit_callbacks):
    client = ClientFactory(timezone="UTC")
    now = timezone.now()
    # Quiet hours from an hour ago to an hour from now, whatever the time of the run.
    NotificationPreference.objects.create(
        user=client,
        quiet_hours_start=(now - datetime.timedelta(hours=1)).time().replace(second=0, microsecond=0),
        quiet_hours_end=(now + datetime.timedelta(hours=1)).time().replace(second=0, microsecond=0),
    )

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification = notify(user=client, event="plan_activated", context=PLAN_CONTEXT)

    assert callbacks == []  # nothing queued now: notifications_push_due_task picks it up later
    notification.refresh_from_db()
    assert notification.push_status == PushStatus.SCHEDULED
    assert now + datetime.timedelta(minutes=59) < notification.push_after <= now + datetime.timedelta(hours=1)
    assert Notification.objects.filter(user=client, read_at__isnull=True).count() == 1


def _payment() -> dict:
    return {"amount": "29.00", "currency": "EUR", "tier": "Pro", "payment_id": "pi_1"}
