"""Reads of the accounts domain, each scoped to what the asking user may see."""

from django.db.models import QuerySet

from kinetix.accounts.models import CoachingLink, Invitation, Role, User
from kinetix.errors import NotFoundError


def trainer_clients(*, trainer: User) -> QuerySet[User]:
    """Return the trainer's current clients."""
    return User.objects.filter(role=Role.CLIENT, trainer_links__trainer=trainer, trainer_links__ended_at__isnull=True)


def client_get_for_trainer(*, trainer: User, client_id: int | str) -> User:
    """Return one of the trainer's current clients, or answer 404."""
    try:
        return trainer_clients(trainer=trainer).get(pk=int(client_id))
    except (User.DoesNotExist, ValueError, TypeError):
        raise NotFoundError("Client") from None


def _current_links(*, client: User) -> QuerySet[CoachingLink]:
    return CoachingLink.objects.filter(client=client, ended_at__isnull=True)


def client_trainer(*, client: User) -> User | None:
    """Return the client's current trainer, if any."""
    link = _current_links(client=client).select_related("trainer").first()
    return link.trainer if link else None


def invitation_list(*, trainer: User) -> QuerySet[Invitation]:
    return Invitation.objects.filter(trainer=trainer)


def invitation_get_for_user(*, user: User, invitation_id: int) -> Invitation:
    try:
        return invitation_list(trainer=user).get(pk=invitation_id)
    except Invitation.DoesNotExist:
        raise NotFoundError("Invitation") from None
