from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "kinetix.accounts"
    label = "accounts"
    verbose_name = "Accounts"
    # Trainers look up their clients, and invite (and revoke: "change") new ones; coaching links
    # are made by accepting an invitation, so the admin of links is for superusers only.
    trainer_permissions = (
        "accounts.view_user",
        "accounts.view_invitation",
        "accounts.add_invitation",
        "accounts.change_invitation",
        "accounts.delete_invitation",
    )

    def ready(self) -> None:
        from kinetix.accounts.roles import trainers_group_sync_after_migrate

        post_migrate.connect(trainers_group_sync_after_migrate, dispatch_uid="trainers_group_sync")
