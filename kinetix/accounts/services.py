"""Writes of the accounts domain: registration, profiles, invitations and coaching links."""

import datetime
import secrets

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from billing.services import client_limit_check
from kinetix.accounts.models import CoachingLink, Invitation, Locale, Role, User, validate_timezone
from kinetix.accounts.roles import trainers_group_get
from kinetix.errors import ApplicationError, FieldError
from notifications.services import notify


def _invalid(path: str, code: str, message: str) -> ApplicationError:
    return ApplicationError(code, message, errors=[FieldError(path, code, message)])


def _validate_profile(*, locale: str | None, timezone_name: str | None) -> None:
    if locale is not None and locale not in Locale.values:
        raise _invalid("locale", "invalid_choice", f"Locale must be one of {', '.join(Locale.values)}.")
    if timezone_name is not None:
        try:
            validate_timezone(timezone_name)
        except ValidationError as exc:
            raise _invalid("timezone", "invalid_timezone", exc.messages[0]) from exc


@transaction.atomic
def user_register(
    *,
    email: str,
    password: str,
    role: str | None = None,
    invite_code: str | None = None,
    full_name: str = "",
    locale: str | None = None,
    timezone_name: str | None = None,
) -> User:
    """Create a trainer, or a client linked to the trainer whose invitation code they bring."""
    email = User.objects.normalize_email(email).lower()
    invitation = None
    if invite_code:
        if role == Role.TRAINER:
            raise _invalid("role", "invite_for_clients", "An invitation code registers a client.")
        invitation = _invitation_pending_for_update(code=invite_code, path="invite_code")
        role = Role.CLIENT
    elif role != Role.TRAINER:  # clients join through a trainer's invitation
        raise _invalid("role", "role_required", 'Give role "trainer", or an invite_code to join as a client.')
    _validate_profile(locale=locale, timezone_name=timezone_name)
    if User.objects.filter(email__iexact=email).exists():
        raise _invalid("email", "email_taken", "An account with this e-mail already exists.")
    candidate = User(email=email, full_name=full_name, role=role)
    try:
        password_validation.validate_password(password, candidate)
    except ValidationError as exc:
        errors = [FieldError("password", e.code or "invalid", e.messages[0]) for e in exc.error_list]
        raise ApplicationError("invalid", "The password is too weak.", errors=errors) from exc

    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email,
                password,
                full_name=full_name,
                role=role,
                locale=locale or Locale.EN,
                timezone=timezone_name or "UTC",
                is_staff=role == Role.TRAINER,
            )
    except IntegrityError as exc:  # a concurrent registration took the address
        raise _invalid("email", "email_taken", "An account with this e-mail already exists.") from exc
    if role == Role.TRAINER:
        user.groups.add(trainers_group_get())
    if invitation:
        _invitation_accept(invitation=invitation, client=user)
    return user


@transaction.atomic
def user_update_profile(
    *, user: User, full_name: str | None = None, locale: str | None = None, timezone_name: str | None = None
) -> User:
    """Change the user's own name, language or time zone."""
    _validate_profile(locale=locale, timezone_name=timezone_name)
    changes = {"full_name": full_name, "locale": locale, "timezone": timezone_name}
    changed = [field for field, value in changes.items() if value is not None]
    for field in changed:
        setattr(user, field, changes[field])
    if changed:
        user.save(update_fields=changed)
    return user


@transaction.atomic
def invitation_check(*, trainer: User, email: str) -> str:
    """Refuse an invitation the trainer may not send; return the address as it will be stored."""
    if not trainer.is_trainer:
        raise ApplicationError("trainer_only", "Only trainers invite clients.", status_code=403)
    email = User.objects.normalize_email(email).lower()
    if CoachingLink.objects.filter(trainer=trainer, client__email__iexact=email, ended_at__isnull=True).exists():
        raise _invalid("email", "already_client", "This person is already your client.")
    if User.objects.filter(email__iexact=email, role=Role.TRAINER).exists():
        raise _invalid("email", "email_is_trainer", "This e-mail belongs to a trainer account.")
    client_limit_check(trainer=trainer)  # 402 client_limit_reached when the tier allows no more
    return email


@transaction.atomic
def invitation_create(*, trainer: User, email: str) -> Invitation:
    """Invite a person by e-mail; an earlier pending invitation to the same address is revoked."""
    email = invitation_check(trainer=trainer, email=email)
    now = timezone.now()
    Invitation.objects.filter(
        trainer=trainer, email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    return Invitation.objects.create(
        trainer=trainer,
        email=email,
        code=secrets.token_urlsafe(12),
        created_at=now,
        expires_at=now + settings.INVITATION_TTL,
    )


@transaction.atomic
def invitation_revoke(*, invitation: Invitation) -> Invitation:
    """Withdraw a pending invitation so that its code no longer works."""
    if invitation.status != "pending":
        raise ApplicationError("invitation_not_pending", f"The invitation is {invitation.status}.", status_code=409)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    return invitation


@transaction.atomic
def invitation_accept(*, code: str, client: User) -> CoachingLink:
    """Link an existing client to the inviting trainer, ending any earlier coaching link."""
    if not client.is_client:
        raise ApplicationError("client_only", "Only clients accept invitations.", status_code=403)
    invitation = _invitation_pending_for_update(code=code, path="code")
    return _invitation_accept(invitation=invitation, client=client)


def _invitation_pending_for_update(*, code: str, path: str) -> Invitation:
    invitation = Invitation.objects.select_for_update().filter(code=code).first()
    if invitation is None:
        raise _invalid(path, "invitation_invalid", "This invitation code is not valid.")
    if invitation.status != "pending":
        raise _invalid(path, f"invitation_{invitation.status}", f"This invitation is {invitation.status}.")
    return invitation


def _invitation_accept(*, invitation: Invitation, client: User) -> CoachingLink:
    client_limit_check(trainer=invitation.trainer)  # invitations sent under the limit may outnumber it
    now = timezone.now()
    _links_end(CoachingLink.objects.filter(client=client, ended_at__isnull=True), at=now)
    link = CoachingLink.objects.create(trainer=invitation.trainer, client=client, started_at=now)
    invitation.accepted_at = now
    invitation.accepted_by = client
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    notify(
        user=invitation.trainer,
        event="invitation_accepted",
        context={"client_name": str(client), "client_email": client.email, "client_id": client.pk},
    )
    return link


@transaction.atomic
def coaching_link_end(*, trainer: User, client: User) -> None:
    """Stop coaching a client; their history stays, the trainer loses access to new data."""
    _links_end(CoachingLink.objects.filter(trainer=trainer, client=client, ended_at__isnull=True), at=timezone.now())


def _links_end(links: QuerySet[CoachingLink], *, at: datetime.datetime) -> None:
    # Saved one by one (a client has one open link), not QuerySet.update: the save signals give the
    # trainer's cached client list a new version (kinetix/coaching/signals.py).
    for link in links.select_for_update():
        link.ended_at = at
        link.save(update_fields=["ended_at"])
