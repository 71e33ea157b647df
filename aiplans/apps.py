from django.apps import AppConfig


class AiplansConfig(AppConfig):
    name = "aiplans"
    verbose_name = "AI plans"
    # Trainers review the drafts of their queue in the admin; the services do the writing.
    trainer_permissions = ("aiplans.view_plangeneration", "aiplans.change_plangeneration")

    def ready(self) -> None:
        from aiplans import checks  # noqa: F401 - registers the LLM settings check
