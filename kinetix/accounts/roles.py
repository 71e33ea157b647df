"""The "Trainers" group: the admin permissions every trainer holds.

Each app lists what trainers may do with its models as `trainer_permissions` on its
AppConfig; the group is brought in line with those lists after every migrate.
"""

from typing import Any

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Q

TRAINERS_GROUP = "Trainers"


def trainer_permission_names() -> list[str]:
    return [name for config in apps.get_app_configs() for name in getattr(config, "trainer_permissions", ())]


def trainers_group_sync(*, using: str = DEFAULT_DB_ALIAS) -> Group:
    """Create the Trainers group if needed and give it exactly the declared permissions."""
    group, _ = Group.objects.using(using).get_or_create(name=TRAINERS_GROUP)
    wanted = Q(pk__in=[])
    for name in trainer_permission_names():
        app_label, codename = name.split(".", 1)
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    group.permissions.set(Permission.objects.using(using).filter(wanted))
    return group


def trainers_group_get() -> Group:
    group = Group.objects.filter(name=TRAINERS_GROUP).first()
    return group or trainers_group_sync()


def trainers_group_sync_after_migrate(sender: Any, **kwargs: Any) -> None:
    # post_migrate fires once per app; sync once, after the last app has its permissions.
    last_app = [config for config in apps.get_app_configs() if config.models_module][-1]
    if sender.label == last_app.label:
        # In the database just migrated, which `migrate --database` may have chosen.
        trainers_group_sync(using=kwargs["using"])
