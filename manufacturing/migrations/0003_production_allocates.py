"""Production chooses the lots and serials of its work orders' drafts in the allocations dialog,
without rights on deliveries, transfers and the other stock documents."""

from django.db import migrations

from inventory.roles import role_rights

CODENAME = "allocate_production"


class Migration(migrations.Migration):
    dependencies = [("manufacturing", "0002_roles"), ("inventory", "0008_allocate_production_permission")]

    operations = [migrations.RunPython(*role_rights("inventory", {"Production": [CODENAME]}))]
