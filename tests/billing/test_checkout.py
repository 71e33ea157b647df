import pytest
from djstripe.models import Customer

from billing.models import BillingAccount
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_new_subscriber_pays_on_checkout_and_webhooks_grant_the_tier(api_as, trainer, stripe_world):
    api = api_as(trainer)

    response = api.post("/api/v1/billing/subscription/upgrade/", {"tier": "pro", "interval": "month"})

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["result"] == "checkout"
    session = stripe_world.fake.get("checkout_session", body["checkout_url"].rsplit("/", 1)[1])
    customer = Customer.objects.get(subscriber=trainer)
    assert session["customer"] == customer.id
    assert session["mode"] == "subscription"
    assert session["metadata"] == {"djstripe_subscriber": str(trainer.pk)}

    stripe_world.checkout_complete(body["checkout_url"])
    # Paying (and the success redirect) grants nothing: only Stripe's webhooks do.
    assert api.get("/api/v1/billing/subscription/").json()["tier"] == "free"

    stripe_world.deliver_new()

    summary = api.get("/api/v1/billing/subscription/").json()
    assert summary["tier"] == "pro"
    assert summary["status"] == "active"
    assert summary["interval"] == "month"
    assert summary["current_period_end"] is not None
    assert summary["limits"] == {"clients": 30, "ai_drafts_per_month": 100}
    assert BillingAccount.objects.get(user=trainer).tier == "pro"
    assert Notification.objects.filter(user=trainer, event="payment_succeeded").count() == 1


def test_checkout_for_a_yearly_studio_subscription(api_as, trainer, stripe_world, subscribe):
    subscribe(trainer, tier="studio", interval="year")

    summary = api_as(trainer).get("/api/v1/billing/subscription/").json()
    assert (summary["tier"], summary["interval"]) == ("studio", "year")
    assert summary["limits"] == {"clients": None, "ai_drafts_per_month": 1000}


def test_a_client_cannot_buy_a_tier(api_as, client_user, stripe_world):
    response = api_as(client_user).post("/api/v1/billing/subscription/upgrade/", {"tier": "pro"})

    assert response.status_code == 403


def test_the_free_tier_is_not_bought(api_as, trainer, stripe_world):
    response = api_as(trainer).post("/api/v1/billing/subscription/upgrade/", {"tier": "free"})

    assert response.status_code == 400
    assert response.json()["code"] == "tier_not_purchasable"


def test_portal_session_opens_for_the_trainers_customer(api_as, trainer, stripe_world):
    response = api_as(trainer).post("/api/v1/billing/portal/")

    assert response.status_code == 201
    assert response.json()["url"].startswith(stripe_world.url + "/_portal/")
    assert Customer.objects.filter(subscriber=trainer).count() == 1


def test_stripe_failure_answers_502(api_as, trainer, stripe_world):
    stripe_world.fake.fail_next("POST", "/v1/checkout/sessions", status=400)

    response = api_as(trainer).post("/api/v1/billing/subscription/upgrade/", {"tier": "pro"})

    assert response.status_code == 502
    assert response.json()["code"] == "payment_provider_error"
