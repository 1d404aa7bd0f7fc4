"""Setup imports files in the admin (``add_importrun``) and reads the record of every import;
Viewer reads it."""

from django.db import migrations

from inventory.roles import role_rights

ROLES = {"Setup": ["add_importrun", "view_importrun"], "Viewer": ["view_importrun"], "Stock clerk": ["view_importrun"]}


class Migration(migrations.Migration):
    dependencies = [("inventory", "0021_import_runs")]

    operations = [migrations.RunPython(*role_rights("inventory", ROLES))]
