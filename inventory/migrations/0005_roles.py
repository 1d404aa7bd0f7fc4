"""The roles, as Django groups with their permissions (issue 3).

Setup runs the Django admin's set-up models; Stock clerk works the stock documents and their
allocations; Production and Cashier read stock until their apps add their own permissions;
Viewer reads everything and changes nothing. Later apps extend these groups in their own
migrations.
"""

from django.db import migrations

from inventory.roles import rights_grant

INVENTORY_MODELS = [
    "company", "membership", "location", "partner", "lotserialclass", "numbersegment", "item", "counter",
    "lot", "stockmove", "balance", "genealogylink", "document", "documentline", "allocation",
]
SETUP_MODELS = ["company", "membership", "location", "partner", "lotserialclass", "numbersegment", "item", "counter"]
DOCUMENT_MODELS = ["document", "documentline", "allocation"]

VIEW_ALL = [f"view_{m}" for m in INVENTORY_MODELS]
ROLES = {
    "Setup": VIEW_ALL + [f"{a}_{m}" for m in SETUP_MODELS for a in ("add", "change", "delete")] + ["change_lot"],
    "Stock clerk": VIEW_ALL + [f"{a}_{m}" for m in DOCUMENT_MODELS for a in ("add", "change", "delete")] + ["post_document"],
    "Production": VIEW_ALL,
    "Cashier": ["view_item", "view_lot", "view_location", "view_partner", "view_balance"],
    "Viewer": VIEW_ALL,
}


def roles_create(apps, schema_editor):
    rights_grant(apps, "inventory", ROLES)


def roles_remove(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0004_document_post_permission"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(roles_create, roles_remove)]
