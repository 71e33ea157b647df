"""Stripe's signed events through dj-stripe's real view: verification, duplicates, order, failures."""

import json
import threading
import time
import uuid

import pytest
import stripe
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from djstripe.models import Account, Event, WebhookEventTrigger

from billing.admin import WebhookEventTriggerAdmin
from billing.models import BillingAccount
from notifications.models import Notification
from tests.admin.helpers import admin_url

pytestmark = pytest.mark.django_db


def _checkout_events(api_as, trainer, stripe_world) -> list[dict]:
    response = api_as(trainer).post("/api/v1/billing/subscription/upgrade/", {"tier": "pro"})
    stripe_world.checkout_complete(response.json()["checkout_url"])
    return stripe_world.new_events()


def _tier(trainer) -> str:
    account = BillingAccount.objects.filter(user=trainer).first()
    return account.tier if account else "free"


def test_a_bad_signature_is_refused_and_nothing_is_processed(api_as, trainer, stripe_world):
    events = _checkout_events(api_as, trainer, stripe_world)
    paid = next(e for e in events if e["type"] == "invoice.paid")

    response = stripe_world.deliver(paid, secret="whsec_not_the_endpoints_secret")

    assert response.status_code == 400
    assert not Event.objects.filter(id=paid["id"]).exists()
    assert WebhookEventTrigger.objects.get().valid is False
    assert _tier(trainer) == "free"


def test_a_missing_signature_header_is_refused_and_not_stored(stripe_world):
    response = stripe_world.browser.post(
        stripe_world.webhook_path, data={"id": "evt_1", "livemode": False}, content_type="application/json"
    )

    assert response.status_code == 400
    assert not WebhookEventTrigger.objects.exists()


def test_an_unknown_endpoint_answers_404(api_as, trainer, stripe_world):
    events = _checkout_events(api_as, trainer, stripe_world)
    path = reverse("djstripe:djstripe_webhook_by_uuid", kwargs={"uuid": uuid.uuid4()})

    response = stripe_world.deliver(events[0], path=path)

    assert response.status_code == 404
    assert not Event.objects.exists()


def test_the_same_event_five_times_has_one_effect(api_as, trainer, stripe_world):
    events = _checkout_events(api_as, trainer, stripe_world)
    for event in events:
        times = 5 if event["type"] == "invoice.paid" else 1
        for _ in range(times):
            assert stripe_world.deliver(event).status_code == 200

    paid = next(e for e in events if e["type"] == "invoice.paid")
    assert Event.objects.filter(id=paid["id"]).count() == 1
    assert WebhookEventTrigger.objects.filter(event_id=paid["id"]).count() == 5
    assert Notification.objects.filter(user=trainer, event="payment_succeeded").count() == 1
    assert _tier(trainer) == "pro"


def test_events_in_reverse_order_end_in_the_same_state(api_as, trainer, stripe_world):
    events = _checkout_events(api_as, trainer, stripe_world)
    types = [event["type"] for event in events]
    assert types.index("invoice.paid") > types.index("customer.subscription.created")

    for event in reversed(events):  # invoice.paid before customer.subscription.created, and so on
        assert stripe_world.deliver(event).status_code == 200

    summary = api_as(trainer).get("/api/v1/billing/subscription/").json()
    assert (summary["tier"], summary["status"]) == ("pro", "active")


def test_an_old_event_replayed_after_newer_ones_changes_nothing(api_as, trainer, stripe_world):
    events = _checkout_events(api_as, trainer, stripe_world)
    for event in events:
        stripe_world.deliver(event)
    api_as(trainer).post("/api/v1/billing/subscription/cancel/")
    newer = stripe_world.new_events()
    for event in newer:
        stripe_world.deliver(event)
    # The subscription as first created: incomplete, not cancelling. A retry of it arrives late.
    created = next(e for e in events if e["type"] == "customer.subscription.created")
    created_late = {**created, "id": "evt_replayed_" + uuid.uuid4().hex[:12]}

    assert stripe_world.deliver(created).status_code == 200
    assert stripe_world.deliver(created_late).status_code == 200

    account = BillingAccount.objects.get(user=trainer)
    assert (account.tier, account.status, account.cancel_at_period_end) == ("pro", "active", True)


def test_a_failing_receiver_answers_500_and_keeps_the_trigger_for_re_processing(
    api_as, trainer, admin_browser, stripe_world
):
    events = _checkout_events(api_as, trainer, stripe_world)
    created = next(e for e in events if e["type"] == "customer.subscription.created")
    # Our receiver lists the customer's subscriptions; Stripe fails that one request.
    stripe_world.fake.fail_next("GET", "/v1/subscriptions", status=400, message="Injected failure.")

    response = stripe_world.deliver(created)

    assert response.status_code == 500
    trigger = WebhookEventTrigger.objects.get()
    assert (trigger.valid, trigger.processed) == (True, False)
    assert "Injected failure" in trigger.exception
    assert not Event.objects.filter(id=created["id"]).exists()
    assert _tier(trainer) == "free"
    stripe_world.fake.faults.clear()

    browser = admin_browser
    failed = browser.get(admin_url(WebhookEventTrigger, "changelist"), {"outcome": "failed"})
    assert failed.status_code == 200
    assert str(trigger.id) in failed.content.decode()
    response = browser.post(
        admin_url(WebhookEventTrigger, "changelist"),
        {"action": "reprocess", "_selected_action": [trigger.pk]},
        follow=True,
    )

    assert response.status_code == 200
    trigger.refresh_from_db()
    assert (trigger.processed, trigger.exception) == (True, "")
    assert Event.objects.filter(id=created["id"]).exists()
    assert _tier(trainer) == "pro"
    assert WebhookEventTriggerAdmin.list_filter[0].parameter_name == "outcome"


def _until(condition, *, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def _deliver_in_thread(stripe_world, event: dict, name: str, answers: dict[str, int]) -> threading.Thread:
    """Post the event from a thread of its own, with a database connection of its own (as a gunicorn worker)."""

    def deliver() -> None:
        payload = json.dumps(event)
        signature = stripe.WebhookSignature.generate_signature_header(payload, stripe_world.endpoint.secret)
        try:
            response = Client().post(
                stripe_world.webhook_path, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
            )
            answers[name] = response.status_code
        finally:
            connections.close_all()

    thread = threading.Thread(target=deliver, name=name)
    thread.start()
    return thread


# Committed for real: the two deliveries see each other's commits, as on two gunicorn workers.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_redelivery_arriving_while_the_first_is_processed_runs_the_receivers_once(
    api_as, trainer, stripe_world, monkeypatch
):
    events = _checkout_events(api_as, trainer, stripe_world)
    created = next(e for e in events if e["type"] == "customer.subscription.created")
    # dj-stripe looks for the event's row, then (after finding the owner account) looks again and stores it.
    # The redelivery pauses in between, until the first delivery has committed.
    redelivery_looked, first_committed = threading.Event(), threading.Event()
    owner_account = Account.get_or_retrieve_for_api_key

    def pausing(cls, api_key):
        if threading.current_thread().name == "redelivery" and not first_committed.is_set():
            redelivery_looked.set()
            first_committed.wait(timeout=10)
        return owner_account(api_key)

    monkeypatch.setattr(Account, "get_or_retrieve_for_api_key", classmethod(pausing))
    requests_before = len(stripe_world.fake.requests)
    answers: dict[str, int] = {}
    # The first delivery waits in its receiver's call to Stripe: its event stored, not committed.
    hold = stripe_world.fake.hold_next("GET", "/v1/subscriptions")
    first = _deliver_in_thread(stripe_world, created, "first", answers)
    assert hold.reached.wait(timeout=10)
    redelivery = _deliver_in_thread(stripe_world, created, "redelivery", answers)
    assert _until(lambda: redelivery_looked.is_set() or _waiting_on_a_lock())
    hold.release.set()
    first.join(timeout=10)
    first_committed.set()
    redelivery.join(timeout=10)

    assert answers == {"first": 200, "redelivery": 200}
    assert Event.objects.filter(id=created["id"]).count() == 1
    # Billing's receiver lists the customer's subscriptions from Stripe once per run.
    listed = [r for r in stripe_world.fake.requests[requests_before:] if r["path"] == "/v1/subscriptions"]
    assert len(listed) == 1
    assert _tier(trainer) == "pro"
