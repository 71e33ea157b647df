from django.apps import AppConfig


class AiplansConfig(AppConfig):
    name = "aiplans"
    verbose_name = "AI plans"
