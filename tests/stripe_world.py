"""Billing configured on the fake Stripe server, for any test that asks (loaded from tests/conftest.py).

`stripe_world` runs real stripe-python and dj-stripe against tests/fakes/stripe_server.py, with the
catalog set up and the webhook endpoint registered as `manage.py billing_setup` does them, and posts
signed webhooks into dj-stripe's view.
"""

import io
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
import stripe
from django.core.management import call_command
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from djstripe.models import WebhookEndpoint

from tests.fakes.stripe_server import FakeStripe, FakeStripeServer

# dj-stripe refuses keys with fewer than 24 characters after the prefix.
SECRET_KEY = "sk_test_kinetixFakeStripeKey0123456789"
PUBLISHABLE_KEY = "pk_test_kinetixFakeStripeKey0123456789"


@pytest.fixture(scope="session")
def stripe_server():
    """The fake Stripe API, and stripe-python pointed at it (what STRIPE_API_BASE does in billing/apps.py)."""
    server = FakeStripeServer().start()
    previous = stripe.api_base
    stripe.api_base = server.url
    yield server
    stripe.api_base = previous
    server.stop()


@dataclass
class StripeWorld:
    """The fake Stripe, the registered webhook endpoint, and what a test does with them."""

    fake: FakeStripe
    url: str
    endpoint: WebhookEndpoint
    on_commit: Callable  # pytest-django's django_capture_on_commit_callbacks
    cursor: int = 0
    browser: Client = field(default_factory=lambda: Client(raise_request_exception=False))

    @property
    def webhook_path(self) -> str:
        return reverse("djstripe:djstripe_webhook_by_uuid", kwargs={"uuid": self.endpoint.djstripe_uuid})

    def new_events(self) -> list[dict]:
        """Return the events Stripe made since the last look (oldest first), without delivering them."""
        with self.fake.lock:
            events = [json.loads(json.dumps(event)) for event in self.fake.events[self.cursor :]]
            self.cursor = len(self.fake.events)
        return events

    def deliver(self, event: dict, *, secret: str | None = None, path: str | None = None) -> HttpResponse:
        """Post one event to dj-stripe's webhook view, signed as Stripe signs it."""
        payload = json.dumps(event)
        signature = stripe.WebhookSignature.generate_signature_header(payload, secret or self.endpoint.secret)
        # Each delivery is its own request: what it queued on commit runs when it ends.
        with self.on_commit(execute=True):
            return self.browser.post(
                path or self.webhook_path,
                data=payload,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=signature,
            )

    def deliver_new(self) -> list[dict]:
        """Deliver every new event in order; each must be accepted."""
        events = self.new_events()
        for event in events:
            response = self.deliver(event)
            assert response.status_code == 200, (event["type"], response.status_code)
        return events

    def act(self, path: str, **params: str) -> dict:
        """Call one of the fake's /_test/ routes: what a person or the clock does in real Stripe."""
        data = urllib.parse.urlencode(params).encode()
        request = urllib.request.Request(f"{self.url}{path}", data=data, method="POST")  # noqa: S310 - loopback
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - loopback
                return json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"{path}: {exc.code} {exc.read().decode()}") from exc

    def checkout_complete(self, checkout_url: str, *, payment_method: str = "pm_card_visa") -> dict:
        session_id = checkout_url.rsplit("/", 1)[1]
        return self.act(f"/_test/checkout/sessions/{session_id}/complete", payment_method=payment_method)


@pytest.fixture
def stripe_world(db, settings, stripe_server, django_capture_on_commit_callbacks) -> StripeWorld:
    """Billing configured on the fake Stripe: catalog set up, webhook endpoint registered (billing_setup)."""
    stripe_server.fake.faults.clear()
    stripe_server.fake.holds.clear()
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_PUBLIC_KEY = PUBLISHABLE_KEY
    call_command("billing_setup", "--webhook-base-url", "http://testserver", stdout=io.StringIO())
    endpoint = WebhookEndpoint.objects.get(metadata__kinetix="billing_setup")
    return StripeWorld(
        fake=stripe_server.fake,
        url=stripe_server.url,
        endpoint=endpoint,
        on_commit=django_capture_on_commit_callbacks,
        cursor=len(stripe_server.fake.events),
    )
