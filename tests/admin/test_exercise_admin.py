import pytest

from kinetix.coaching.models import Exercise
from tests.admin.helpers import admin_url, form_data, form_errors
from tests.factories import ExerciseFactory, PlannedExerciseFactory

pytestmark = pytest.mark.django_db


def test_trainer_adds_a_private_exercise_with_its_muscles(browser_as, trainer):
    browser = browser_as(trainer)
    page = browser.get(admin_url(Exercise, "add"))
    assert "owner" not in page.context["adminform"].form.fields
    data = form_data(page)
    data.update(name="Landmine Press", slug="landmine-press", equipment="barbell")
    data.update({"muscles-0-muscle": "front_delts", "muscles-1-muscle": "triceps"})
    data.pop("muscles-1-is_primary")

    response = browser.post(admin_url(Exercise, "add"), data)

    assert response.status_code == 302, form_errors(response)
    exercise = Exercise.objects.get(slug="landmine-press")
    assert exercise.owner == trainer
    assert sorted(exercise.muscles.values_list("muscle", "is_primary")) == [("front_delts", True), ("triceps", False)]


def test_a_taken_slug_is_a_form_error(browser_as, trainer):
    ExerciseFactory(slug="taken")
    browser = browser_as(trainer)
    data = form_data(browser.get(admin_url(Exercise, "add")))
    data.update(name="Taken", slug="taken", equipment="barbell")

    response = browser.post(admin_url(Exercise, "add"), data)

    assert "slug" in form_errors(response)


def test_trainer_edits_own_exercise_but_not_its_slug(browser_as, trainer):
    mine = ExerciseFactory(owner=trainer, slug="my-move", name="My move")
    browser = browser_as(trainer)
    data = form_data(browser.get(admin_url(Exercise, "change", mine.pk)))
    data.update(name="My better move", slug="renamed")

    response = browser.post(admin_url(Exercise, "change", mine.pk), data)

    assert response.status_code == 302, form_errors(response)
    mine.refresh_from_db()
    assert (mine.name, mine.slug, mine.owner) == ("My better move", "my-move", trainer)


def test_muscles_of_a_shared_exercise_are_read_only(browser_as, trainer):
    shared = ExerciseFactory(owner=None)

    page = browser_as(trainer).get(admin_url(Exercise, "change", shared.pk))

    (muscles,) = page.context["inline_admin_formsets"]
    assert not muscles.has_add_permission
    assert not muscles.has_change_permission
    assert not muscles.has_delete_permission


def test_an_exercise_a_plan_uses_is_protected_from_deletion(browser_as, trainer):
    mine = ExerciseFactory(owner=trainer)
    PlannedExerciseFactory(exercise=mine)

    response = browser_as(trainer).post(admin_url(Exercise, "delete", mine.pk), {"post": "yes"})

    assert response.status_code == 200
    assert response.context["protected"]
    assert Exercise.objects.filter(pk=mine.pk).exists()


def test_trainer_deletes_an_unused_private_exercise(browser_as, trainer):
    mine = ExerciseFactory(owner=trainer)

    response = browser_as(trainer).post(admin_url(Exercise, "delete", mine.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not Exercise.objects.filter(pk=mine.pk).exists()
