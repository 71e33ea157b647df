"""Stripe's invoices and the payment history, each visible to its owner only."""

import urllib.request

import pytest
import stripe
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.stripe_api import stripe_options

pytestmark = pytest.mark.django_db

INVOICES = "/api/v1/billing/invoices/"
PAYMENTS = "/api/v1/billing/payments/"


def test_invoices_list_only_the_users_own(api_as, trainer, other_trainer, stripe_world, subscribe):
    subscribe(trainer, tier="pro")
    subscribe(other_trainer, tier="studio")

    response = api_as(trainer).get("/api/v1/billing/invoices/")

    assert response.status_code == 200
    page = response.json()
    assert page["count"] == 1
    invoice = page["results"][0]
    assert invoice["status"] == "paid"
    assert (invoice["total"], invoice["amount_paid"], invoice["currency"]) == (1900, 1900, "eur")
    assert invoice["billing_reason"] == "subscription_create"
    assert invoice["number"]
    assert invoice["period_start"] < invoice["period_end"]
    assert invoice["hosted_invoice_url"].startswith(stripe_world.url)
    assert invoice["pdf_url"] == f"/api/v1/billing/invoices/{invoice['id']}/pdf/"


def test_invoice_pdf_redirects_its_owner_to_stripes_file(api_as, trainer, other_trainer, stripe_world, subscribe):
    subscribe(trainer, tier="pro")
    invoice = api_as(trainer).get("/api/v1/billing/invoices/").json()["results"][0]

    own = api_as(trainer).get(f"/api/v1/billing/invoices/{invoice['id']}/pdf/")
    others = api_as(other_trainer).get(f"/api/v1/billing/invoices/{invoice['id']}/pdf/")
    unknown = api_as(trainer).get("/api/v1/billing/invoices/in_unknown/pdf/")

    assert own.status_code == 302
    assert own["Location"] == stripe_world.fake.get("invoice", invoice["id"])["invoice_pdf"]
    assert others.status_code == 404
    assert others.json()["code"] == "not_found"
    assert unknown.status_code == 404
    with urllib.request.urlopen(own["Location"], timeout=10) as pdf:  # noqa: S310 - the loopback fake
        assert pdf.read().startswith(b"%PDF")


def test_payment_history_shows_amounts_refunds_and_failures(api_as, trainer, other_trainer, stripe_world, subscribe):
    subscription_id = subscribe(trainer, tier="pro")
    subscribe(other_trainer, tier="pro")
    charge_id = stripe_world.fake.get("payment_intent", _latest_intent(stripe_world, subscription_id))["latest_charge"]
    stripe.Refund.create(charge=charge_id, amount=500, **stripe_options())
    stripe_world.deliver_new()

    payments = api_as(trainer).get("/api/v1/billing/payments/").json()

    assert payments["count"] == 1
    payment = payments["results"][0]
    assert (payment["id"], payment["amount"], payment["currency"], payment["status"]) == (
        charge_id,
        1900,
        "eur",
        "succeeded",
    )
    assert payment["amount_refunded"] == 500
    assert [(r["amount"], r["status"]) for r in payment["refunds"]] == [(500, "succeeded")]
    assert payment["failure_reason"] is None
    assert payment["created"]


def _latest_intent(stripe_world, subscription_id: str) -> str:
    invoice_id = stripe_world.fake.get("subscription", subscription_id)["latest_invoice"]
    with stripe_world.fake.lock:
        rows = stripe_world.fake._invoice_payment_rows(invoice_id)
    return rows[-1]["payment"]["payment_intent"]


def test_invoices_and_payments_of_a_user_without_any_are_empty(api_as, client_user, stripe_world):
    api = api_as(client_user)

    assert api.get("/api/v1/billing/invoices/").json()["count"] == 0
    assert api.get("/api/v1/billing/payments/").json()["count"] == 0
    assert api.get("/api/v1/billing/subscription/").json()["tier"] == "free"


def test_invoice_and_payment_lists_take_the_same_queries_however_long(api_as, trainer, stripe_world, subscribe):
    subscription_id = subscribe(trainer, tier="pro")
    api = api_as(trainer)

    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get(path).status_code == 200
        return len(captured)

    before = {path: queries(path) for path in (INVOICES, PAYMENTS)}
    for _ in range(2):
        stripe_world.act(f"/_test/subscriptions/{subscription_id}/period_end")
    stripe_world.deliver_new()
    charge_id = api.get(PAYMENTS).json()["results"][0]["id"]
    stripe.Refund.create(charge=charge_id, amount=100, **stripe_options())
    stripe_world.deliver_new()

    assert api.get(PAYMENTS).json()["count"] == 3
    assert {path: queries(path) for path in (INVOICES, PAYMENTS)} == before
