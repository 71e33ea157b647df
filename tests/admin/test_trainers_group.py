import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from kinetix.accounts.roles import TRAINERS_GROUP, trainer_permission_names
from kinetix.accounts.services import user_register
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

# What trainers need in the admin, and nothing more (other apps may add their own).
ADMIN_PERMISSIONS = {
    "accounts.view_user",
    "accounts.view_invitation",
    "accounts.add_invitation",
    "accounts.change_invitation",
    "accounts.delete_invitation",
    *(
        f"coaching.{action}_{model}"
        for model in ("exercise", "exercisemuscle", "weeklyplan", "planday", "plannedexercise")
        for action in ("view", "add", "change", "delete")
    ),
    "coaching.view_workoutsession",
    "coaching.view_setlog",
    "coaching.view_bodymetric",
}


def held_permissions(group: Group) -> set[str]:
    return {
        f"{app_label}.{codename}"
        for app_label, codename in group.permissions.values_list("content_type__app_label", "codename")
    }


def test_trainers_group_holds_exactly_the_declared_permissions_after_migrate():
    # The test database was built by migrate, whose post_migrate signal synced the group.
    held = held_permissions(Group.objects.get(name=TRAINERS_GROUP))

    assert held == set(trainer_permission_names())
    assert {name for name in held if name.split(".")[0] in ("accounts", "coaching")} == ADMIN_PERMISSIONS


def test_a_registered_trainer_is_staff_with_the_group_permissions_and_sees_their_workspace(browser_as):
    trainer = user_register(email="coach@example.com", password="correct-horse-battery-staple", role="trainer")

    assert trainer.is_staff
    assert trainer.get_all_permissions() == set(trainer_permission_names())
    response = browser_as(trainer).get(reverse("admin:index"))
    assert response.status_code == 200
    models = {
        (app["app_label"], model["object_name"]) for app in response.context["app_list"] for model in app["models"]
    }
    assert {m for m in models if m[0] in ("accounts", "coaching", "auth")} == {
        ("accounts", "User"),
        ("accounts", "Invitation"),
        ("coaching", "Exercise"),
        ("coaching", "WeeklyPlan"),
        ("coaching", "WorkoutSession"),
        ("coaching", "BodyMetric"),
    }


def test_a_registered_client_cannot_sign_in_to_the_admin(browser_as, trainer):
    response = browser_as(ClientFactory(trainer=trainer)).get(reverse("admin:index"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
