"""Production chooses the lots and serials of its work orders' drafts in the allocations dialog,
without rights on deliveries, transfers and the other stock documents."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAME = "allocate_production"


def grant(apps, schema_editor):
    app_config = apps.get_app_config("inventory")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Production")
    group.permissions.add(*Permission.objects.filter(content_type__app_label="inventory", codename=CODENAME))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name="Production"):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="inventory", codename=CODENAME))


class Migration(migrations.Migration):
    dependencies = [("manufacturing", "0002_roles"), ("inventory", "0008_allocate_production_permission")]

    operations = [migrations.RunPython(grant, revoke)]
