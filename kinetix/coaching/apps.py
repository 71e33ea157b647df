from django.apps import AppConfig


class CoachingConfig(AppConfig):
    name = "kinetix.coaching"
    label = "coaching"
    verbose_name = "Coaching"
    trainer_permissions = (
        *(
            f"coaching.{action}_{model}"
            for model in ("exercise", "exercisemuscle", "weeklyplan", "planday", "plannedexercise")
            for action in ("view", "add", "change", "delete")
        ),
        "coaching.view_workoutsession",
        "coaching.view_setlog",
        "coaching.view_bodymetric",
    )
