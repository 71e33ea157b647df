"""The embedded default: no Stripe keys. Tiers still list, the rest says so, the free tier applies."""

import pytest

pytestmark = pytest.mark.django_db


def test_tiers_list_without_keys_and_without_signing_in(api):
    response = api.get("/api/v1/billing/tiers/")

    assert response.status_code == 200
    tiers = {tier["code"]: tier for tier in response.json()["results"]}
    assert list(tiers) == ["free", "pro", "studio"]
    assert tiers["free"]["limits"] == {"clients": 3, "ai_drafts_per_month": 3}
    assert tiers["free"]["prices"] == []
    assert tiers["pro"]["limits"] == {"clients": 30, "ai_drafts_per_month": 100}
    assert tiers["studio"]["limits"] == {"clients": None, "ai_drafts_per_month": 1000}
    assert {(p["interval"], p["amount"], p["currency"]) for p in tiers["pro"]["prices"]} == {
        ("month", 1900, "eur"),
        ("year", 19000, "eur"),
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/billing/subscription/"),
        ("get", "/api/v1/billing/subscription/upgrade/preview/?tier=pro"),
        ("post", "/api/v1/billing/subscription/upgrade/"),
        ("post", "/api/v1/billing/subscription/cancel/"),
        ("post", "/api/v1/billing/subscription/resume/"),
        ("get", "/api/v1/billing/invoices/"),
        ("get", "/api/v1/billing/invoices/in_123/pdf/"),
        ("get", "/api/v1/billing/payments/"),
        ("post", "/api/v1/billing/portal/"),
    ],
)
def test_billing_routes_say_billing_is_not_configured(api_as, trainer, method, path):
    response = getattr(api_as(trainer), method)(path, {"tier": "pro"} if method == "post" else None)

    assert response.status_code == 503
    assert response.json()["code"] == "billing_not_configured"


def test_billing_setup_refuses_without_keys():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="not configured"):
        call_command("billing_setup")
