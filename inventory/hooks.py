"""The modules the apps above inventory offer it, found by name without importing them here.

Inventory sits at the bottom of the apps (``pos | manufacturing -> traceability -> inventory``):
it never imports them. Where a command of inventory covers every app (``manage.py bench``, the
demo of ``manage.py seed_demo``), each installed app may offer a module of an agreed name
(``<app>.bench``, ``<app>.demo``) and the command asks for it here.
"""

import importlib
import importlib.util
from types import ModuleType

from django.apps import apps


def app_modules(name: str) -> list[ModuleType]:
    """Every installed app's ``<app>.<name>`` module that exists, in INSTALLED_APPS order."""
    found = []
    for config in apps.get_app_configs():
        module = f"{config.name}.{name}"
        if importlib.util.find_spec(module) is not None:
            found.append(importlib.import_module(module))
    return found
