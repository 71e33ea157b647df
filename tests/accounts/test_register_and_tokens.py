import datetime

import pytest
from django.utils import timezone

from kinetix.accounts.models import CoachingLink, Invitation, User
from kinetix.accounts.roles import TRAINERS_GROUP
from tests.factories import PASSWORD, ClientFactory, InvitationFactory, TrainerFactory, UserFactory

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"
TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
ME = "/api/v1/me/"


def register(api, **body):
    return api.post(REGISTER, {"password": PASSWORD, **body}, format="json")


def error_paths(response) -> dict[str, str]:
    return {error["path"]: error["code"] for error in response.json()["errors"]}


def sign_in(api, email, password=PASSWORD):
    """Obtain a token pair and use its access token on `api`; return the pair."""
    response = api.post(TOKEN, {"email": email, "password": password}, format="json")
    assert response.status_code == 200, response.json()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    return response.json()


# Registration ----------------------------------------------------------------------------------


def test_trainer_registers_with_profile_and_admin_access(api):
    response = register(
        api, email="Coach.Ana@Example.com", role="trainer", locale="sr-latn", timezone="Europe/Belgrade"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert {"id", "email", "role", "locale", "timezone", "trainer"} <= body.keys()
    assert "password" not in body
    assert body["email"] == "coach.ana@example.com"
    assert body["role"] == "trainer"
    assert body["locale"] == "sr-latn"
    assert body["timezone"] == "Europe/Belgrade"
    assert body["trainer"] is None
    user = User.objects.get(pk=body["id"])
    assert user.is_staff
    assert list(user.groups.values_list("name", flat=True)) == [TRAINERS_GROUP]
    assert user.check_password(PASSWORD)


def test_trainer_profile_defaults_to_english_and_utc(api):
    body = register(api, email="plain@example.com", role="trainer").json()

    assert (body["locale"], body["timezone"]) == ("en", "UTC")


def test_client_registers_with_invite_code_and_is_linked_to_the_trainer(api, trainer):
    invitation = InvitationFactory(trainer=trainer, email="newclient@example.com")

    response = register(api, email="newclient@example.com", invite_code=invitation.code)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["role"] == "client"
    assert body["trainer"]["id"] == trainer.id
    client = User.objects.get(pk=body["id"])
    assert not client.is_staff
    assert not client.groups.exists()
    invitation.refresh_from_db()
    assert invitation.status == "accepted"
    assert invitation.accepted_by == client

    sign_in(api, "newclient@example.com")
    me = api.get(ME).json()
    assert me["trainer"] == {"id": trainer.id, "email": trainer.email, "full_name": trainer.full_name}


def test_invite_code_works_only_once(api, trainer):
    invitation = InvitationFactory(trainer=trainer)
    assert register(api, email="first@example.com", invite_code=invitation.code).status_code == 201

    response = register(api, email="second@example.com", invite_code=invitation.code)

    assert response.status_code == 400
    assert error_paths(response) == {"invite_code": "invitation_accepted"}
    assert not User.objects.filter(email="second@example.com").exists()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"role": "client"},
        {"invite_code": ""},
    ],
    ids=["nothing", "client-without-code", "blank-code"],
)
def test_registration_needs_trainer_role_or_invite_code(api, body):
    response = register(api, email="someone@example.com", **body)

    assert response.status_code == 400
    assert "role" in error_paths(response)
    assert not User.objects.filter(email="someone@example.com").exists()


def test_invite_code_cannot_register_a_trainer(api):
    invitation = InvitationFactory()

    response = register(api, email="sneaky@example.com", role="trainer", invite_code=invitation.code)

    assert response.status_code == 400
    assert "role" in error_paths(response)
    assert Invitation.objects.get(pk=invitation.pk).status == "pending"


@pytest.mark.parametrize(
    "password",
    ["short1", "12345678901234", "password123", "weakling@example.com"],
    ids=["too-short", "numeric", "common", "like-email"],
)
def test_weak_password_is_refused_at_password(api, password):
    response = api.post(
        REGISTER, {"email": "weakling@example.com", "password": password, "role": "trainer"}, format="json"
    )

    assert response.status_code == 400
    assert set(error_paths(response)) == {"password"}
    assert not User.objects.filter(email="weakling@example.com").exists()


def test_missing_email_and_password_are_reported_by_name(api):
    response = api.post(REGISTER, {"role": "trainer"}, format="json")

    assert response.status_code == 400
    assert error_paths(response) == {"email": "required", "password": "required"}


@pytest.mark.parametrize("email", ["taken@example.com", "TAKEN@Example.COM", "Taken@example.com"])
def test_email_already_registered_is_refused_in_any_case(api, email):
    UserFactory(email="taken@example.com")

    response = register(api, email=email, role="trainer")

    assert response.status_code == 400
    assert response.json()["code"] == "email_taken"
    assert error_paths(response) == {"email": "email_taken"}
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1


@pytest.mark.parametrize(
    ("invitation_fields", "code"),
    [
        ({"expires_at": timezone.now() - datetime.timedelta(minutes=1)}, "invitation_expired"),
        ({"revoked_at": timezone.now()}, "invitation_revoked"),
        (None, "invitation_invalid"),
    ],
    ids=["expired", "revoked", "unknown"],
)
def test_unusable_invite_code_is_refused_at_invite_code(api, invitation_fields, code):
    invite_code = InvitationFactory(**invitation_fields).code if invitation_fields is not None else "no-such-code"

    response = register(api, email="hopeful@example.com", invite_code=invite_code)

    assert response.status_code == 400
    assert error_paths(response) == {"invite_code": code}
    assert not User.objects.filter(email="hopeful@example.com").exists()
    assert not CoachingLink.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("timezone", "Mars/Olympus_Mons"), ("timezone", "+02:00"), ("locale", "de"), ("locale", "sr")],
)
def test_invalid_timezone_or_locale_is_refused_at_its_field(api, field, value):
    response = register(api, email="profile@example.com", role="trainer", **{field: value})

    assert response.status_code == 400
    assert set(error_paths(response)) == {field}
    assert not User.objects.filter(email="profile@example.com").exists()


# Tokens ----------------------------------------------------------------------------------------


def test_token_pair_from_email_and_password_opens_the_api_and_refreshes(api, trainer):
    tokens = sign_in(api, trainer.email)

    assert set(tokens) == {"access", "refresh"}
    assert api.get(ME).json()["email"] == trainer.email

    refreshed = api.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert refreshed.status_code == 200, refreshed.json()
    fresh = refreshed.json()["access"]
    assert fresh != tokens["access"]
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {fresh}")
    assert api.get(ME).json()["id"] == trainer.id


def test_user_signs_in_with_the_address_as_typed_at_registration(api):
    assert register(api, email="Mixed.Case@Example.com", role="trainer").status_code == 201

    sign_in(api, "Mixed.Case@Example.com")

    assert api.get(ME).json()["email"] == "mixed.case@example.com"


@pytest.mark.parametrize(
    ("email", "password"),
    [("known@example.com", "not-the-password"), ("unknown@example.com", PASSWORD)],
    ids=["wrong-password", "unknown-email"],
)
def test_bad_credentials_answer_401_json_with_a_code(api, email, password):
    TrainerFactory(email="known@example.com")

    response = api.post(TOKEN, {"email": email, "password": password}, format="json")

    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "authentication_failed"
    assert body["message"]
    assert body["errors"] == []
    assert "access" not in body


def test_inactive_user_gets_no_token(api):
    TrainerFactory(email="gone@example.com", is_active=False)

    response = api.post(TOKEN, {"email": "gone@example.com", "password": PASSWORD}, format="json")

    assert response.status_code == 401


def test_invalid_refresh_token_answers_401_json(api):
    response = api.post(REFRESH, {"refresh": "not-a-token"}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_token_request_without_password_names_the_field(api):
    response = api.post(TOKEN, {"email": "someone@example.com"}, format="json")

    assert response.status_code == 400
    assert error_paths(response) == {"password": "required"}


# Profile ---------------------------------------------------------------------------------------


def test_client_profile_shows_current_trainer(api_as, trainer, client_user):
    response = api_as(client_user).get(ME)

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == client_user.id
    assert body["role"] == "client"
    assert body["trainer"]["id"] == trainer.id


def test_client_without_trainer_has_null_trainer(api_as):
    loner = ClientFactory(trainer=False)

    assert api_as(loner).get(ME).json()["trainer"] is None


def test_patch_changes_locale_timezone_and_name(api_as, client_user):
    api = api_as(client_user)

    response = api.patch(
        ME, {"locale": "sr-latn", "timezone": "America/Argentina/Buenos_Aires", "full_name": "Mila"}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["locale"], body["timezone"], body["full_name"]) == (
        "sr-latn",
        "America/Argentina/Buenos_Aires",
        "Mila",
    )
    assert api.get(ME).json() == body


def test_patch_leaves_unsent_fields_and_ignores_role_and_email(api_as, client_user):
    client_user.timezone = "Europe/Belgrade"
    client_user.save()

    response = api_as(client_user).patch(
        ME, {"locale": "sr-latn", "role": "trainer", "email": "hijack@example.com"}, format="json"
    )

    assert response.status_code == 200
    client_user.refresh_from_db()
    assert (client_user.locale, client_user.timezone) == ("sr-latn", "Europe/Belgrade")
    assert client_user.role == "client"
    assert client_user.email != "hijack@example.com"


@pytest.mark.parametrize(("field", "value"), [("timezone", "Europe/Atlantis"), ("locale", "fr")])
def test_patch_with_invalid_value_is_refused_and_changes_nothing(api_as, client_user, field, value):
    response = api_as(client_user).patch(ME, {field: value, "full_name": "Changed"}, format="json")

    assert response.status_code == 400
    assert set(error_paths(response)) == {field}
    client_user.refresh_from_db()
    assert client_user.full_name != "Changed"
    assert (client_user.locale, client_user.timezone) == ("en", "UTC")


def test_anonymous_profile_is_401_json(api):
    response = api.get(ME)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_authenticated"
    assert response.json()["errors"] == []
    assert response.has_header("WWW-Authenticate")


def test_garbage_bearer_token_is_401_json(api):
    api.credentials(HTTP_AUTHORIZATION="Bearer not.a.jwt")

    response = api.get(ME)

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"
