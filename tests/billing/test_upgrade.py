"""Upgrades with payment: prorated, applied only once paid; declines and 3-D Secure keep the old tier."""

import pytest

from billing.models import BillingAccount
from notifications.models import Notification

pytestmark = pytest.mark.django_db

UPGRADE = "/api/v1/billing/subscription/upgrade/"
PREVIEW = "/api/v1/billing/subscription/upgrade/preview/"


def _card_on_file(stripe_world, subscription_id: str, test_card: str) -> None:
    """Play the trainer replacing their card (in the customer portal) with another test card."""
    import stripe

    from billing.stripe_api import stripe_options

    subscription = stripe.Subscription.retrieve(subscription_id, **stripe_options())
    card = stripe.PaymentMethod.attach(test_card, customer=subscription["customer"], **stripe_options())
    stripe.Subscription.modify(subscription_id, default_payment_method=card["id"], **stripe_options())


def test_upgrade_charges_exactly_the_previewed_prorated_amount(api_as, trainer, stripe_world, subscribe):
    subscription_id = subscribe(trainer, tier="pro")
    api = api_as(trainer)

    preview = api.get(PREVIEW, {"tier": "studio"}).json()
    response = api.post(UPGRADE, {"tier": "studio", "proration_date": preview["proration_date"]})

    assert response.status_code == 200, response.json()
    assert response.json()["result"] == "upgraded"
    assert response.json()["subscription"]["tier"] == "studio"
    assert preview["change"] == "upgrade"
    assert 0 < preview["amount_due"] <= 4900 - 1900
    assert [line["amount"] < 0 for line in preview["lines"]] == [True, False]
    invoice = stripe_world.fake.get("invoice", stripe_world.fake.get("subscription", subscription_id)["latest_invoice"])
    assert invoice["billing_reason"] == "subscription_update"
    assert invoice["status"] == "paid"
    assert invoice["amount_paid"] == preview["amount_due"]
    writes = [r for r in stripe_world.fake.writes() if r["path"] == f"/v1/subscriptions/{subscription_id}"]
    assert writes[-1]["params"]["proration_behavior"] == "always_invoice"
    assert writes[-1]["params"]["payment_behavior"] == "pending_if_incomplete"
    assert writes[-1]["params"]["proration_date"] == str(preview["proration_date"])
    assert writes[-1]["idempotency_key"].startswith("kinetix:upgrade:")

    stripe_world.deliver_new()

    payments = api.get("/api/v1/billing/payments/").json()["results"]
    assert payments[0]["amount"] == preview["amount_due"]
    assert payments[0]["status"] == "succeeded"
    assert BillingAccount.objects.get(user=trainer).tier == "studio"


def test_the_same_upgrade_sent_twice_charges_once(api_as, trainer, stripe_world, subscribe):
    subscribe(trainer, tier="pro")
    api = api_as(trainer)
    preview = api.get(PREVIEW, {"tier": "studio"}).json()
    charges_before = len(stripe_world.fake.objects.get("charge", {}))

    for _ in range(2):
        response = api.post(UPGRADE, {"tier": "studio", "proration_date": preview["proration_date"]})
        assert response.status_code == 200, response.json()

    assert len(stripe_world.fake.objects["charge"]) == charges_before + 1


def test_monthly_to_yearly_is_an_upgrade_billed_now(api_as, trainer, stripe_world, subscribe):
    subscribe(trainer, tier="pro", interval="month")
    api = api_as(trainer)

    preview = api.get(PREVIEW, {"tier": "pro", "interval": "year"}).json()
    response = api.post(UPGRADE, {"tier": "pro", "interval": "year", "proration_date": preview["proration_date"]})

    assert response.status_code == 200, response.json()
    assert preview["change"] == "upgrade"
    assert 19000 - 1900 <= preview["amount_due"] <= 19000
    assert response.json()["subscription"]["interval"] == "year"


def test_declined_upgrade_answers_402_and_keeps_the_old_tier(api_as, trainer, stripe_world, subscribe):
    subscription_id = subscribe(trainer, tier="pro")
    _card_on_file(stripe_world, subscription_id, "pm_card_chargeDeclined")
    stripe_world.deliver_new()
    api = api_as(trainer)

    response = api.post(UPGRADE, {"tier": "studio"})

    assert response.status_code == 402
    body = response.json()
    assert body["code"] == "payment_declined"
    assert "declined" in body["message"]
    assert body["client_secret"].startswith(body["payment_intent"] + "_secret_")
    assert body["hosted_invoice_url"].startswith(stripe_world.url)
    assert stripe_world.fake.get("subscription", subscription_id)["pending_update"] is not None

    stripe_world.deliver_new()

    summary = api.get("/api/v1/billing/subscription/").json()
    assert summary["tier"] == "pro"
    assert summary["payment_failure_reason"] == "Your card was declined."
    assert summary["payment_failed_at"] is not None
    assert Notification.objects.filter(user=trainer, event="payment_failed").count() == 1
    failed = [p for p in api.get("/api/v1/billing/payments/").json()["results"] if p["status"] == "failed"]
    assert failed[0]["failure_reason"] == "Your card was declined."
    assert failed[0]["failure_code"] == "card_declined"


def test_upgrade_needing_3d_secure_answers_402_then_applies_once_authenticated(
    api_as, trainer, stripe_world, subscribe
):
    subscription_id = subscribe(trainer, tier="pro")
    _card_on_file(stripe_world, subscription_id, "pm_card_authenticationRequired")
    stripe_world.deliver_new()
    api = api_as(trainer)

    response = api.post(UPGRADE, {"tier": "studio"})

    assert response.status_code == 402
    body = response.json()
    assert body["code"] == "payment_action_required"
    assert body["client_secret"]
    assert body["publishable_key"].startswith("pk_test_")
    stripe_world.deliver_new()
    assert api.get("/api/v1/billing/subscription/").json()["tier"] == "pro"

    stripe_world.act(f"/_test/payment_intents/{body['payment_intent']}/authenticate")
    stripe_world.deliver_new()

    assert api.get("/api/v1/billing/subscription/").json()["tier"] == "studio"


def test_an_out_of_date_preview_is_refused(api_as, trainer, stripe_world, subscribe):
    subscribe(trainer, tier="pro")

    response = api_as(trainer).post(UPGRADE, {"tier": "studio", "proration_date": 1})

    assert response.status_code == 400
    assert response.json()["code"] == "proration_date_invalid"
    assert response.json()["errors"][0]["path"] == "proration_date"


def test_preview_for_a_new_subscriber_is_the_full_price(api_as, trainer, stripe_world):
    preview = api_as(trainer).get(PREVIEW, {"tier": "studio", "interval": "year"}).json()

    assert (preview["change"], preview["amount_due"], preview["currency"]) == ("new", 49000, "eur")
