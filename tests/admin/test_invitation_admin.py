import datetime

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from kinetix.accounts.models import Invitation
from tests.admin.helpers import admin_url, changelist_pks, form_errors
from tests.factories import ClientFactory, InvitationFactory

pytestmark = pytest.mark.django_db


def test_trainer_invites_by_email_and_the_service_issues_the_code(browser_as, trainer):
    browser = browser_as(trainer)
    assert list(browser.get(admin_url(Invitation, "add")).context["adminform"].form.fields) == ["email"]

    response = browser.post(admin_url(Invitation, "add"), {"email": "New.Client@Example.com"})

    assert response.status_code == 302, form_errors(response)
    invitation = Invitation.objects.get()
    assert (invitation.trainer, invitation.email, invitation.status) == (trainer, "new.client@example.com", "pending")
    assert len(invitation.code) >= 16
    assert response.url == admin_url(Invitation, "changelist")


def test_inviting_again_revokes_the_earlier_pending_invitation(browser_as, trainer):
    earlier = InvitationFactory(trainer=trainer, email="again@example.com")

    browser_as(trainer).post(admin_url(Invitation, "add"), {"email": "again@example.com"})

    earlier.refresh_from_db()
    assert earlier.status == "revoked"
    assert Invitation.objects.filter(trainer=trainer, email="again@example.com").count() == 2


@pytest.mark.parametrize("whom", ["own_client", "a_trainer"])
def test_the_services_refusals_show_on_the_form(browser_as, trainer, client_user, other_trainer, whom):
    email = client_user.email if whom == "own_client" else other_trainer.email

    response = browser_as(trainer).post(admin_url(Invitation, "add"), {"email": email.upper()})

    assert response.status_code == 200
    assert "email" in form_errors(response)
    assert not Invitation.objects.exists()


def test_a_trainer_at_the_client_limit_sees_it_on_the_form(browser_as, trainer):
    for _ in range(3):  # the free tier's limit
        ClientFactory(trainer=trainer)

    response = browser_as(trainer).post(admin_url(Invitation, "add"), {"email": "one.more@example.com"})

    assert response.status_code == 200
    assert "3 active clients" in str(form_errors(response))
    assert not Invitation.objects.exists()


def test_superuser_invites_on_behalf_of_a_trainer(browser_as, superuser, trainer, client_user):
    browser = browser_as(superuser)
    trainers = browser.get(admin_url(Invitation, "add")).context["adminform"].form.fields["trainer"].queryset
    assert client_user not in trainers
    assert trainer in trainers

    response = browser.post(admin_url(Invitation, "add"), {"trainer": trainer.pk, "email": "someone@example.com"})

    assert response.status_code == 302, form_errors(response)
    assert Invitation.objects.get().trainer == trainer


def test_revoke_action_revokes_pending_and_reports_the_rest(browser_as, trainer, client_user):
    pending = InvitationFactory(trainer=trainer)
    accepted = InvitationFactory(trainer=trainer, accepted_at=timezone.now(), accepted_by=client_user)

    response = browser_as(trainer).post(
        admin_url(Invitation, "changelist"), {"action": "revoke", "_selected_action": [pending.pk, accepted.pk]}
    )

    pending.refresh_from_db()
    accepted.refresh_from_db()
    assert (pending.status, accepted.status) == ("revoked", "accepted")
    messages = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "Revoked 1 invitation(s)." in messages
    assert "The invitation is accepted." in messages


def test_an_invitation_is_read_only_once_made(browser_as, trainer):
    invitation = InvitationFactory(trainer=trainer, email="fixed@example.com")
    browser = browser_as(trainer)

    page = browser.get(admin_url(Invitation, "change", invitation.pk))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert invitation.code in page.content.decode()
    assert browser.post(admin_url(Invitation, "change", invitation.pk), {"email": "x@example.com"}).status_code == 403
    invitation.refresh_from_db()
    assert invitation.email == "fixed@example.com"


def test_status_filter(browser_as, trainer):
    pending = InvitationFactory(trainer=trainer)
    expired = InvitationFactory(trainer=trainer, expires_at=timezone.now() - datetime.timedelta(days=1))
    revoked = InvitationFactory(trainer=trainer, revoked_at=timezone.now())
    browser = browser_as(trainer)

    def listed(status):
        return changelist_pks(browser.get(admin_url(Invitation, "changelist"), {"status": status}))

    assert listed("pending") == {pending.pk}
    assert listed("expired") == {expired.pk}
    assert listed("revoked") == {revoked.pk}
    assert listed("accepted") == set()
