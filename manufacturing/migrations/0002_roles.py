"""The roles' rights on work orders (the groups are made by inventory's 0005_roles).

Production creates, releases, completes and cancels work orders and maps units; completing posts
the work order's own drafts through the manufacturing services, so Production needs no right on
stock documents in general (it keeps reading them). Stock clerk and Viewer read work orders;
Setup keeps the bills of materials in the admin.
"""

from django.db import migrations

from inventory.roles import role_rights

VIEW = ["view_workorder", "view_billofmaterials", "view_bomline", "view_completion", "view_unitgenealogy"]
ROLES = {
    "Production": VIEW + ["add_workorder", "change_workorder", "add_unitgenealogy", "change_unitgenealogy"],
    "Stock clerk": VIEW,
    "Viewer": VIEW,
    "Setup": VIEW + [f"{a}_{m}" for m in ("billofmaterials", "bomline") for a in ("add", "change", "delete")],
}


class Migration(migrations.Migration):
    dependencies = [
        ("manufacturing", "0001_initial"),
        ("inventory", "0005_roles"),
    ]

    operations = [migrations.RunPython(*role_rights("manufacturing", ROLES))]
