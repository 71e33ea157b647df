"""`billing_setup`, and the admin of trainers' billing."""

import io

import pytest
from django.core.management import call_command
from djstripe.models import Price, Product, WebhookEndpoint

from billing.models import BillingAccount
from billing.receivers import RECEIVERS
from billing.stripe_api import WEBHOOK_EVENTS
from tests.admin.helpers import admin_url

pytestmark = pytest.mark.django_db


def test_billing_setup_syncs_the_catalog_and_registers_the_webhook_endpoint(stripe_world):
    assert set(Product.objects.values_list("id", flat=True)) == {"kinetix_pro", "kinetix_studio"}
    lookup_keys = {price.stripe_data["lookup_key"]: price.stripe_data["unit_amount"] for price in Price.objects.all()}
    assert lookup_keys == {
        "kinetix_pro_monthly": 1900,
        "kinetix_pro_yearly": 19000,
        "kinetix_studio_monthly": 4900,
        "kinetix_studio_yearly": 49000,
    }
    endpoint = stripe_world.endpoint
    assert endpoint.url == f"http://testserver/stripe/webhook/{endpoint.djstripe_uuid}/"
    assert endpoint.secret.startswith("whsec_")
    assert set(stripe_world.fake.get("webhook_endpoint", endpoint.id)["enabled_events"]) == set(WEBHOOK_EVENTS)


def test_billing_setup_is_safe_to_re_run(stripe_world):
    out = io.StringIO()

    call_command("billing_setup", "--webhook-base-url", "https://api.kinetix.example", stdout=out)

    report = out.getvalue()
    assert "product kinetix_pro: unchanged" in report
    assert "price kinetix_studio_yearly: unchanged" in report
    endpoint = WebhookEndpoint.objects.get()
    assert f"webhook endpoint {endpoint.id}: updated" in report
    assert endpoint.url.startswith("https://api.kinetix.example/stripe/webhook/")
    assert endpoint.secret == stripe_world.endpoint.secret
    assert Price.objects.filter(active=True).count() == 4


def test_the_endpoint_sends_every_event_the_receivers_need():
    assert set(RECEIVERS) <= set(WEBHOOK_EVENTS)


def test_billing_admin_shows_subscriptions_and_payments_and_syncs_from_stripe(
    admin_browser, trainer, stripe_world, subscribe
):
    subscription_id = subscribe(trainer, tier="pro")
    account = BillingAccount.objects.get(user=trainer)
    BillingAccount.objects.filter(pk=account.pk).update(tier="free", subscription_id="")

    page = admin_browser.get(admin_url(BillingAccount, "change", account.pk))
    listing = admin_browser.get(admin_url(BillingAccount, "changelist"))
    response = admin_browser.post(
        admin_url(BillingAccount, "changelist"),
        {"action": "sync_from_stripe", "_selected_action": [account.pk]},
        follow=True,
    )

    assert page.status_code == 200
    assert subscription_id in page.content.decode()
    assert "19.00 EUR succeeded" in page.content.decode()
    assert listing.status_code == 200
    assert "Synced 1 account(s) from Stripe." in response.content.decode()
    account.refresh_from_db()
    assert (account.tier, account.subscription_id) == ("pro", subscription_id)


def test_trainers_do_not_see_billing_in_the_admin(client, trainer):
    client.force_login(trainer)

    response = client.get(admin_url(BillingAccount, "changelist"))

    assert response.status_code == 403
