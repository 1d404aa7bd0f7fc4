"""The roles' rights at the till (the groups are made by inventory's 0005_roles).

Cashier sells and refunds at the registers it may use (``use_register``), reads the sales and
quotations, and assigns the numbers its sales left to follow; it gets no right on the back
office's documents and sees no costs. Setup keeps the registers in the admin. Stock clerk makes
quotations and assigns numbers to follow too; Viewer reads.
"""

from django.db import migrations

from inventory.roles import role_rights

VIEW = ["view_register", "view_registersession", "view_sale", "view_saleline", "view_quotation", "view_quotationline"]
QUOTATIONS = [f"{a}_{m}" for m in ("quotation", "quotationline") for a in ("add", "change", "delete")]
ROLES = {
    "Cashier": VIEW + ["use_register"],
    "Stock clerk": VIEW + QUOTATIONS,
    "Viewer": VIEW,
    "Setup": VIEW + [f"{a}_register" for a in ("add", "change", "delete")] + ["change_price"],
}
INVENTORY = {"Cashier": ["assign_pendingnumbers", "view_pendingnumbers"], "Stock clerk": ["assign_pendingnumbers", "view_pendingnumbers"], "Viewer": ["view_pendingnumbers"], "Setup": ["view_pendingnumbers"]}


class Migration(migrations.Migration):
    dependencies = [
        ("pos", "0001_initial"),
        ("inventory", "0019_pending_numbers"),
    ]

    operations = [
        migrations.RunPython(*role_rights("pos", ROLES)),
        migrations.RunPython(*role_rights("inventory", INVENTORY)),
    ]
