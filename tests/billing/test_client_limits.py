"""Tier limits on active clients, enforced where clients join: invitations, registration, acceptance."""

import pytest

from billing.models import BillingAccount
from kinetix.accounts.models import CoachingLink, User
from kinetix.accounts.services import coaching_link_end
from tests.factories import PASSWORD, ClientFactory, InvitationFactory

pytestmark = pytest.mark.django_db

INVITATIONS = "/api/v1/invitations/"


def _coach(trainer, count: int) -> None:
    for _ in range(count):
        ClientFactory(trainer=trainer)


def _assert_limit_reached(response, *, tier: str, limit: int, upgrade_tier: str | None) -> None:
    assert response.status_code == 402, response.json()
    body = response.json()
    assert body["code"] == "client_limit_reached"
    assert (body["tier"], body["limit"], body["upgrade_tier"]) == (tier, limit, upgrade_tier)


def test_without_billing_the_free_tier_limits_invitations_to_three_clients(api_as, trainer):
    _coach(trainer, 2)
    api = api_as(trainer)

    assert api.post(INVITATIONS, {"email": "third@example.com"}).status_code == 201
    ClientFactory(trainer=trainer)
    response = api.post(INVITATIONS, {"email": "fourth@example.com"})

    _assert_limit_reached(response, tier="free", limit=3, upgrade_tier="pro")
    assert "Upgrade to Pro" in response.json()["message"]


def test_registering_with_a_code_over_the_limit_is_refused_and_creates_no_account(api, trainer):
    invitation = InvitationFactory(trainer=trainer)
    _coach(trainer, 3)

    response = api.post(
        "/api/v1/auth/register/", {"email": invitation.email, "password": PASSWORD, "invite_code": invitation.code}
    )

    _assert_limit_reached(response, tier="free", limit=3, upgrade_tier="pro")
    assert not User.objects.filter(email=invitation.email).exists()
    invitation.refresh_from_db()
    assert invitation.status == "pending"


def test_accepting_a_code_over_the_limit_keeps_the_current_trainer(api_as, trainer, other_client):
    invitation = InvitationFactory(trainer=trainer, email=other_client.email)
    _coach(trainer, 3)

    response = api_as(other_client).post("/api/v1/invitations/accept/", {"code": invitation.code})

    _assert_limit_reached(response, tier="free", limit=3, upgrade_tier="pro")
    assert CoachingLink.objects.get(client=other_client, ended_at__isnull=True).trainer != trainer


def test_ended_coaching_frees_a_place(api_as, trainer):
    _coach(trainer, 3)
    coaching_link_end(trainer=trainer, client=CoachingLink.objects.filter(trainer=trainer).first().client)

    assert api_as(trainer).post(INVITATIONS, {"email": "next@example.com"}).status_code == 201


def test_a_pro_subscriber_invites_beyond_three(api_as, trainer, stripe_world, subscribe):
    subscribe(trainer, tier="pro")
    _coach(trainer, 3)

    assert api_as(trainer).post(INVITATIONS, {"email": "fourth@example.com"}).status_code == 201
    assert api_as(trainer).get("/api/v1/billing/subscription/").json()["usage"] == {"clients": 3}


def test_pro_stops_at_thirty_and_offers_studio(api_as, trainer, stripe_world):
    BillingAccount.objects.create(user=trainer, tier="pro")
    _coach(trainer, 30)

    response = api_as(trainer).post(INVITATIONS, {"email": "thirty-first@example.com"})

    _assert_limit_reached(response, tier="pro", limit=30, upgrade_tier="studio")


def test_studio_has_no_client_limit(api_as, trainer, stripe_world):
    BillingAccount.objects.create(user=trainer, tier="studio")
    _coach(trainer, 31)

    assert api_as(trainer).post(INVITATIONS, {"email": "many@example.com"}).status_code == 201


def test_a_paid_tier_does_not_apply_while_billing_is_not_configured(api_as, trainer):
    BillingAccount.objects.create(user=trainer, tier="studio")
    _coach(trainer, 3)

    response = api_as(trainer).post(INVITATIONS, {"email": "fourth@example.com"})

    _assert_limit_reached(response, tier="free", limit=3, upgrade_tier="pro")
