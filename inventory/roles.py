"""The one way the apps' migrations give the roles (Django groups) their rights, and take them back.

Each app names, per role, the codenames of its own permissions (``{"Production": ["add_workorder",
…]}``) and runs ``RunPython(*role_rights(app_label, rights))``. Migrations already applied call
these functions: what a call does must never change (add a new function for new behaviour).
"""

from collections.abc import Callable

from django.contrib.auth.management import create_permissions

Rights = dict[str, list[str]]


def _permissions_create(apps) -> None:
    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None


def rights_grant(apps, app_label: str, rights: Rights) -> None:
    """Give each role (made when missing) these permissions of ``app_label``."""
    _permissions_create(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in rights.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))


def rights_revoke(apps, app_label: str, rights: Rights) -> None:
    """Take these permissions of ``app_label`` back from each role; the roles stay."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in rights.items():
        for group in Group.objects.filter(name=name):
            group.permissions.remove(*Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))


def role_rights(app_label: str, rights: Rights) -> tuple[Callable, Callable]:
    """The forward and backward functions of a ``RunPython`` that grants ``rights``."""

    def forward(apps, schema_editor):
        rights_grant(apps, app_label, rights)

    def backward(apps, schema_editor):
        rights_revoke(apps, app_label, rights)

    return forward, backward
