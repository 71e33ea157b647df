from django.apps import AppConfig


class CoachingConfig(AppConfig):
    name = "kinetix.coaching"
    label = "coaching"
    verbose_name = "Coaching"
    # Trainers write their private exercises (with muscles) and their plans (days, prescriptions);
    # they read their clients' workouts, sets and body metrics, which only clients log.
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

    def ready(self) -> None:
        from kinetix.coaching import signals

        signals.connect()
