from django.apps import AppConfig


class ManufacturingConfig(AppConfig):
    name = "manufacturing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import choices  # noqa: F401  (registers its choice sources: inventory/web/choices.py)
