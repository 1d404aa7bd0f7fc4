"""The roles' rights on lots/serials (issue 4): stock clerks create, edit, archive, delete
(unmoved) lots and put them on hold in a recall; Setup may do the same from the admin."""

from django.db import migrations

from inventory.roles import role_rights

RIGHTS = {
    "Stock clerk": ["add_lot", "change_lot", "delete_lot", "view_lotholdevent"],
    "Setup": ["add_lot", "delete_lot", "view_lotholdevent"],
    "Production": ["view_lotholdevent"],
    "Viewer": ["view_lotholdevent"],
}


class Migration(migrations.Migration):
    dependencies = [("inventory", "0006_lot_hold_event"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(*role_rights("inventory", RIGHTS))]
