"""Billing against the fake Stripe server (`stripe_world`, tests/stripe_world.py): subscribing, the admin."""

import pytest
from django.test import Client

from tests.factories import SuperuserFactory


@pytest.fixture
def subscribe(api_as, stripe_world):
    """Subscribe a trainer through Checkout with a test card and deliver the webhooks; return the subscription id."""

    def make(trainer, *, tier: str = "pro", interval: str = "month", card: str = "pm_card_visa") -> str:
        response = api_as(trainer).post("/api/v1/billing/subscription/upgrade/", {"tier": tier, "interval": interval})
        assert response.status_code == 200, response.json()
        session = stripe_world.checkout_complete(response.json()["checkout_url"], payment_method=card)
        stripe_world.deliver_new()
        return session["subscription"]

    return make


@pytest.fixture
def admin_browser(db) -> Client:
    """A browser signed in to the admin as a superuser."""
    browser = Client()
    browser.force_login(SuperuserFactory())
    return browser
