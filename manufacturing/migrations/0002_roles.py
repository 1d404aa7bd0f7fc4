"""The roles' rights on work orders (the groups are made by inventory's 0005_roles).

Production creates, releases, completes and cancels work orders and maps units; completing posts
the work order's own drafts through the manufacturing services, so Production needs no right on
stock documents in general (it keeps reading them). Stock clerk and Viewer read work orders;
Setup keeps the bills of materials in the admin.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW = ["view_workorder", "view_billofmaterials", "view_bomline", "view_completion", "view_unitgenealogy"]
ROLES = {
    "Production": VIEW + ["add_workorder", "change_workorder", "add_unitgenealogy", "change_unitgenealogy"],
    "Stock clerk": VIEW,
    "Viewer": VIEW,
    "Setup": VIEW + [f"{a}_{m}" for m in ("billofmaterials", "bomline") for a in ("add", "change", "delete")],
}


def roles_extend(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    app_config = apps.get_app_config("manufacturing")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="manufacturing", codename__in=codenames))


def roles_shrink(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.remove(*Permission.objects.filter(content_type__app_label="manufacturing", codename__in=codenames))


class Migration(migrations.Migration):
    dependencies = [
        ("manufacturing", "0001_initial"),
        ("inventory", "0005_roles"),
    ]

    operations = [migrations.RunPython(roles_extend, roles_shrink)]
