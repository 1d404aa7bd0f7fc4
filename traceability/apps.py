from django.apps import AppConfig


class TraceabilityConfig(AppConfig):
    name = "traceability"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import choices  # noqa: F401  (registers its choice sources: inventory/web/choices.py)
