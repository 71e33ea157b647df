import datetime

import pytest
from django.utils import timezone

from kinetix.accounts.models import CoachingLink, Invitation
from kinetix.accounts.selectors import trainer_clients
from tests.factories import PASSWORD, ClientFactory, InvitationFactory, TrainerFactory

pytestmark = pytest.mark.django_db

INVITATIONS = "/api/v1/invitations/"
ACCEPT = "/api/v1/invitations/accept/"
REGISTER = "/api/v1/auth/register/"


def register_with(api, code, email="invitee@example.com"):
    return api.post(REGISTER, {"email": email, "password": PASSWORD, "invite_code": code}, format="json")


def error_paths(response) -> dict[str, str]:
    return {error["path"]: error["code"] for error in response.json()["errors"]}


def test_trainer_invites_by_email_and_gets_a_code(api_as, trainer):
    before = timezone.now()

    response = api_as(trainer).post(INVITATIONS, {"email": "New.Client@Example.com"}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["email"] == "new.client@example.com"
    assert body["status"] == "pending"
    assert len(body["code"]) >= 16
    expires_at = datetime.datetime.fromisoformat(body["expires_at"])
    assert before + datetime.timedelta(days=13) < expires_at < timezone.now() + datetime.timedelta(days=15)
    assert Invitation.objects.get(code=body["code"]).trainer == trainer


def test_invitation_codes_are_unguessable_and_distinct(api_as, trainer):
    api = api_as(trainer)

    codes = {api.post(INVITATIONS, {"email": f"c{n}@example.com"}, format="json").json()["code"] for n in range(5)}

    assert len(codes) == 5


def test_trainer_lists_only_own_invitations_paginated(api_as, trainer, other_trainer):
    mine = [InvitationFactory(trainer=trainer) for _ in range(3)]
    InvitationFactory(trainer=other_trainer)
    api = api_as(trainer)

    response = api.get(INVITATIONS, {"page_size": 2})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3
    assert body["previous"] is None
    assert len(body["results"]) == 2
    second = api.get(body["next"]).json()
    listed = [item["code"] for item in body["results"] + second["results"]]
    assert sorted(listed) == sorted(invitation.code for invitation in mine)
    assert second["next"] is None


def test_invalid_email_is_refused_at_email(api_as, trainer):
    response = api_as(trainer).post(INVITATIONS, {"email": "not-an-address"}, format="json")

    assert response.status_code == 400
    assert error_paths(response) == {"email": "invalid"}
    assert not Invitation.objects.exists()


def test_revoked_invitation_code_no_longer_registers(api, api_as, trainer):
    trainer_api = api_as(trainer)
    invitation = trainer_api.post(INVITATIONS, {"email": "invitee@example.com"}, format="json").json()

    response = trainer_api.delete(f"{INVITATIONS}{invitation['id']}/")

    assert response.status_code == 204
    listed = trainer_api.get(INVITATIONS).json()["results"]
    assert [(item["id"], item["status"]) for item in listed] == [(invitation["id"], "revoked")]
    refused = register_with(api, invitation["code"])
    assert refused.status_code == 400
    assert error_paths(refused) == {"invite_code": "invitation_revoked"}


def test_revoking_twice_or_after_acceptance_is_a_conflict(api, api_as, trainer):
    trainer_api = api_as(trainer)
    revoked = InvitationFactory(trainer=trainer)
    accepted = InvitationFactory(trainer=trainer)
    assert trainer_api.delete(f"{INVITATIONS}{revoked.id}/").status_code == 204
    assert register_with(api, accepted.code).status_code == 201

    again = trainer_api.delete(f"{INVITATIONS}{revoked.id}/")
    too_late = trainer_api.delete(f"{INVITATIONS}{accepted.id}/")

    assert (again.status_code, again.json()["code"]) == (409, "invitation_not_pending")
    assert too_late.status_code == 409
    assert Invitation.objects.get(pk=accepted.pk).status == "accepted"


def test_reinviting_an_address_revokes_the_older_pending_invitation(api, api_as, trainer):
    trainer_api = api_as(trainer)
    first = trainer_api.post(INVITATIONS, {"email": "invitee@example.com"}, format="json").json()

    second = trainer_api.post(INVITATIONS, {"email": "INVITEE@example.com"}, format="json").json()

    assert second["code"] != first["code"]
    statuses = {item["id"]: item["status"] for item in trainer_api.get(INVITATIONS).json()["results"]}
    assert statuses == {first["id"]: "revoked", second["id"]: "pending"}
    assert error_paths(register_with(api, first["code"])) == {"invite_code": "invitation_revoked"}
    assert register_with(api, second["code"]).status_code == 201


def test_reinviting_leaves_other_trainers_invitation_to_the_same_address(api_as, trainer, other_trainer):
    theirs = InvitationFactory(trainer=other_trainer, email="shared@example.com")

    api_as(trainer).post(INVITATIONS, {"email": "shared@example.com"}, format="json")

    assert Invitation.objects.get(pk=theirs.pk).status == "pending"


def test_client_cannot_invite(api_as, client_user):
    response = api_as(client_user).post(INVITATIONS, {"email": "friend@example.com"}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert response.json()["errors"] == []
    assert not Invitation.objects.exists()


def test_client_cannot_list_invitations(api_as, client_user):
    assert api_as(client_user).get(INVITATIONS).status_code == 403


def test_anonymous_cannot_invite(api):
    response = api.post(INVITATIONS, {"email": "friend@example.com"}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_inviting_an_existing_own_client_is_refused(api_as, trainer, client_user):
    response = api_as(trainer).post(INVITATIONS, {"email": client_user.email.upper()}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "already_client"
    assert error_paths(response) == {"email": "already_client"}
    assert not Invitation.objects.exists()


def test_inviting_a_trainer_is_refused(api_as, trainer, other_trainer):
    response = api_as(trainer).post(INVITATIONS, {"email": other_trainer.email}, format="json")

    assert response.status_code == 400
    assert error_paths(response) == {"email": "email_is_trainer"}


def test_existing_client_accepts_another_trainers_code_and_switches_trainer(api_as, trainer, client_user):
    new_trainer = TrainerFactory()
    invitation = InvitationFactory(trainer=new_trainer, email=client_user.email)
    api = api_as(client_user)

    response = api.post(ACCEPT, {"code": invitation.code}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["trainer"]["id"] == new_trainer.id
    assert api.get("/api/v1/me/").json()["trainer"]["id"] == new_trainer.id
    old_link = CoachingLink.objects.get(trainer=trainer, client=client_user)
    assert old_link.ended_at is not None
    assert CoachingLink.objects.get(client=client_user, ended_at__isnull=True).trainer == new_trainer
    assert client_user not in trainer_clients(trainer=trainer)
    assert client_user in trainer_clients(trainer=new_trainer)
    invitation.refresh_from_db()
    assert (invitation.status, invitation.accepted_by) == ("accepted", client_user)


def test_accepted_code_cannot_be_accepted_again(api_as, trainer):
    invitation = InvitationFactory()
    first, second = ClientFactory(trainer=trainer), ClientFactory(trainer=trainer)
    assert api_as(first).post(ACCEPT, {"code": invitation.code}, format="json").status_code == 200

    response = api_as(second).post(ACCEPT, {"code": invitation.code}, format="json")

    assert response.status_code == 400
    assert error_paths(response) == {"code": "invitation_accepted"}
    assert CoachingLink.objects.get(client=second, ended_at__isnull=True).trainer == trainer


@pytest.mark.parametrize(
    ("invitation_fields", "code"),
    [
        ({"expires_at": timezone.now() - datetime.timedelta(seconds=1)}, "invitation_expired"),
        ({"revoked_at": timezone.now()}, "invitation_revoked"),
        (None, "invitation_invalid"),
    ],
    ids=["expired", "revoked", "unknown"],
)
def test_accepting_an_unusable_code_keeps_the_current_trainer(api_as, trainer, client_user, invitation_fields, code):
    invite_code = InvitationFactory(**invitation_fields).code if invitation_fields is not None else "nope"

    response = api_as(client_user).post(ACCEPT, {"code": invite_code}, format="json")

    assert response.status_code == 400
    assert error_paths(response) == {"code": code}
    assert CoachingLink.objects.get(client=client_user, ended_at__isnull=True).trainer == trainer


def test_trainer_cannot_accept_an_invitation(api_as, trainer):
    invitation = InvitationFactory()

    response = api_as(trainer).post(ACCEPT, {"code": invitation.code}, format="json")

    assert response.status_code == 403
    assert Invitation.objects.get(pk=invitation.pk).status == "pending"


def test_trainer_cannot_revoke_another_trainers_invitation(api_as, trainer, other_trainer):
    theirs = InvitationFactory(trainer=trainer)

    response = api_as(other_trainer).delete(f"{INVITATIONS}{theirs.id}/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert Invitation.objects.get(pk=theirs.pk).status == "pending"


def test_revoking_an_unknown_invitation_is_404(api_as, trainer):
    assert api_as(trainer).delete(f"{INVITATIONS}999999/").status_code == 404
