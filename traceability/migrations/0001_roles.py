"""The roles' rights on lots/serials (issue 4): stock clerks create, edit, archive, delete
(unmoved) lots and put them on hold in a recall; Setup may do the same from the admin."""

from django.db import migrations

RIGHTS = {
    "Stock clerk": ["add_lot", "change_lot", "delete_lot", "view_lotholdevent"],
    "Setup": ["add_lot", "delete_lot", "view_lotholdevent"],
    "Production": ["view_lotholdevent"],
    "Viewer": ["view_lotholdevent"],
}


def rights_grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in RIGHTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="inventory", codename__in=codenames))


def rights_revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in RIGHTS.items():
        for group in Group.objects.filter(name=name):
            group.permissions.remove(*Permission.objects.filter(content_type__app_label="inventory", codename__in=codenames))


class Migration(migrations.Migration):
    dependencies = [("inventory", "0006_lot_hold_event"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(rights_grant, rights_revoke)]
