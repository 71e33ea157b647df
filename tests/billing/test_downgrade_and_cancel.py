"""Downgrades and cancellations take effect at the end of the paid period; resuming undoes a cancellation."""

import pytest

from notifications.models import Notification

pytestmark = pytest.mark.django_db

SUBSCRIPTION = "/api/v1/billing/subscription/"


def _period_end(stripe_world, subscription_id: str) -> None:
    stripe_world.act(f"/_test/subscriptions/{subscription_id}/period_end")
    stripe_world.deliver_new()


def test_downgrade_keeps_the_paid_tier_until_period_end(api_as, trainer, stripe_world, subscribe):
    subscription_id = subscribe(trainer, tier="studio")
    api = api_as(trainer)

    preview = api.get("/api/v1/billing/subscription/upgrade/preview/", {"tier": "pro"}).json()
    response = api.post("/api/v1/billing/subscription/upgrade/", {"tier": "pro"})

    assert preview["change"] == "downgrade"
    assert preview["amount_due"] == 0
    assert response.json()["result"] == "downgrade_scheduled"
    summary = response.json()["subscription"]
    assert (summary["tier"], summary["scheduled_tier"]) == ("studio", "pro")
    assert preview["effective_at"] == summary["current_period_end"]
    stripe_world.deliver_new()

    _period_end(stripe_world, subscription_id)

    summary = api.get(SUBSCRIPTION).json()
    assert (summary["tier"], summary["scheduled_tier"], summary["status"]) == ("pro", None, "active")
    assert Notification.objects.filter(user=trainer, event="subscription_renewed").count() == 1


def test_choosing_the_current_tier_drops_a_scheduled_downgrade(api_as, trainer, stripe_world, subscribe):
    subscribe(trainer, tier="studio")
    api = api_as(trainer)
    api.post("/api/v1/billing/subscription/upgrade/", {"tier": "pro"})

    response = api.post("/api/v1/billing/subscription/upgrade/", {"tier": "studio"})

    assert response.json()["result"] == "downgrade_cancelled"
    assert response.json()["subscription"]["scheduled_tier"] is None


def test_cancel_at_period_end_then_resume(api_as, trainer, stripe_world, subscribe, django_capture_on_commit_callbacks):
    subscribe(trainer, tier="pro")
    api = api_as(trainer)

    with django_capture_on_commit_callbacks(execute=True):
        cancelled = api.post("/api/v1/billing/subscription/cancel/")
    stripe_world.deliver_new()

    assert cancelled.status_code == 200
    assert (cancelled.json()["tier"], cancelled.json()["cancel_at_period_end"]) == ("pro", True)
    assert Notification.objects.filter(user=trainer, event="subscription_cancelled").count() == 1
    assert api.post("/api/v1/billing/subscription/upgrade/", {"tier": "studio"}).json()["code"] == (
        "subscription_cancelling"
    )

    resumed = api.post("/api/v1/billing/subscription/resume/")

    assert (resumed.json()["tier"], resumed.json()["cancel_at_period_end"]) == ("pro", False)
    assert api.post("/api/v1/billing/subscription/resume/").json()["code"] == "subscription_not_cancelling"


def test_a_cancelled_subscription_ends_at_period_end(
    api_as, trainer, stripe_world, subscribe, django_capture_on_commit_callbacks
):
    subscription_id = subscribe(trainer, tier="pro")
    api = api_as(trainer)
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/api/v1/billing/subscription/cancel/")
    stripe_world.deliver_new()

    _period_end(stripe_world, subscription_id)

    summary = api.get(SUBSCRIPTION).json()
    assert (summary["tier"], summary["status"], summary["cancel_at_period_end"]) == ("free", "", False)
    # Told once, when cancelled; the end itself was announced then.
    assert Notification.objects.filter(user=trainer, event="subscription_cancelled").count() == 1


def test_cancel_without_a_subscription_is_a_conflict(api_as, trainer, stripe_world):
    response = api_as(trainer).post("/api/v1/billing/subscription/cancel/")

    assert response.status_code == 409
    assert response.json()["code"] == "no_subscription"


def test_failed_renewal_keeps_the_tier_while_stripe_retries(api_as, trainer, stripe_world, subscribe):
    from tests.billing.test_upgrade import _card_on_file

    subscription_id = subscribe(trainer, tier="pro")
    _card_on_file(stripe_world, subscription_id, "pm_card_chargeDeclined")

    _period_end(stripe_world, subscription_id)

    summary = api_as(trainer).get(SUBSCRIPTION).json()
    assert (summary["tier"], summary["status"]) == ("pro", "past_due")
    assert summary["payment_failure_reason"] == "Your card was declined."
