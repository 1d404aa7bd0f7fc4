from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import lookups  # noqa: F401  (registers the __any lookup)
        from .templatetags.fast_tables import remember_signatures
        from .web import choices  # noqa: F401  (registers the partner and item choice sources)

        remember_signatures()
