"""Webhook metrics, counted as signed events go through dj-stripe's real view (tests/stripe_world.py)."""

import pytest
from djstripe.models import WebhookEventTrigger
from prometheus_client import REGISTRY

from billing.services import webhook_trigger_reprocess

pytestmark = pytest.mark.django_db


def sample(event_type: str, outcome: str) -> float:
    labels = {"source": "stripe", "event_type": event_type, "outcome": outcome}
    return REGISTRY.get_sample_value("kinetix_webhooks_processed_total", labels) or 0.0


def counts(event_type: str) -> dict[str, float]:
    return {outcome: sample(event_type, outcome) for outcome in ("ok", "failed", "rejected")}


def _created_event(api_as, trainer, stripe_world) -> dict:
    response = api_as(trainer).post("/api/v1/billing/subscription/upgrade/", {"tier": "pro"})
    stripe_world.checkout_complete(response.json()["checkout_url"])
    return next(e for e in stripe_world.new_events() if e["type"] == "customer.subscription.created")


def test_a_processed_webhook_is_counted_ok_by_type(api_as, trainer, stripe_world):
    created = _created_event(api_as, trainer, stripe_world)
    before = counts("customer.subscription.created")

    assert stripe_world.deliver(created).status_code == 200

    assert counts("customer.subscription.created") == {**before, "ok": before["ok"] + 1}


def test_a_failing_webhook_counts_one_failure_and_its_reprocessing_ok(
    api_as, trainer, stripe_world, django_capture_on_commit_callbacks
):
    created = _created_event(api_as, trainer, stripe_world)
    stripe_world.fake.fail_next("GET", "/v1/subscriptions", status=400, message="Injected failure.")
    before = counts("customer.subscription.created")

    assert stripe_world.deliver(created).status_code == 500

    assert counts("customer.subscription.created") == {**before, "failed": before["failed"] + 1}
    stripe_world.fake.faults.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_trigger_reprocess(trigger=WebhookEventTrigger.objects.get()) is True
    assert counts("customer.subscription.created") == {
        **before,
        "failed": before["failed"] + 1,
        "ok": before["ok"] + 1,
    }


def test_a_bad_signature_counts_rejected(api_as, trainer, stripe_world):
    created = _created_event(api_as, trainer, stripe_world)
    before = counts("customer.subscription.created")

    assert stripe_world.deliver(created, secret="whsec_not_the_endpoints_secret").status_code == 400

    assert counts("customer.subscription.created") == {**before, "rejected": before["rejected"] + 1}


def test_an_event_type_outside_the_endpoints_list_is_counted_as_other(api_as, trainer, stripe_world):
    created = _created_event(api_as, trainer, stripe_world)
    before = counts("other")

    stripe_world.deliver({**created, "type": "made.up"}, secret="whsec_not_the_endpoints_secret")

    assert counts("other") == {**before, "rejected": before["rejected"] + 1}
    assert sample("made.up", "rejected") == 0
