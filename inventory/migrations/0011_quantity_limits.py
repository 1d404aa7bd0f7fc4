"""No quantity above MAX_QUANTITY in balances, moves, lines and allocations (issue 11).

Before this, SQLite stored whatever overflow it was given (a balance of 15 digits nothing could
read back). Such rows are named and the migration stops, rather than failing on a bare CHECK
error: they are corrected by posting (a reversal or an adjustment) before migrating again.
"""

import importlib
from decimal import Decimal

from django.db import migrations, models

append_only = importlib.import_module("inventory.migrations.0002_stockmove_append_only")

MAX_QUANTITY = Decimal("9999999999.9999")  # inventory.models.catalog.MAX_QUANTITY when written
TABLES = ["inventory_balance", "inventory_stockmove", "inventory_documentline", "inventory_allocation"]


def _refuse_rows_above_the_limit(apps, schema_editor):
    found = []
    with schema_editor.connection.cursor() as cursor:
        for table in TABLES:
            # Read as text: an overflowed value cannot be read back as the column's decimal.
            cursor.execute(
                f"SELECT id, CAST(quantity AS TEXT) FROM {table} WHERE quantity > %s ORDER BY id LIMIT 20",
                [str(MAX_QUANTITY)],
            )
            found += [f"{table} id {row_id}: {quantity}" for row_id, quantity in cursor.fetchall()]
    if found:
        raise RuntimeError(
            f"rows hold more than the most a quantity may be ({MAX_QUANTITY:,}); correct them first: " + "; ".join(found)
        )


def _sqlite_triggers_back(apps, schema_editor):
    # SQLite adds a CHECK constraint by rebuilding the table, which drops its triggers: the
    # ledger must stay append-only, so they are made again from the migration that made them.
    if schema_editor.connection.vendor == "sqlite":
        for statement in append_only.SQLITE_DOWN + append_only.SQLITE_UP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ("inventory", "0010_submission_key"),
    ]

    operations = [
        migrations.RunPython(_refuse_rows_above_the_limit, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="allocation",
            constraint=models.CheckConstraint(
                condition=models.Q(("quantity__lte", MAX_QUANTITY)), name="allocation_quantity_at_most_max"
            ),
        ),
        migrations.AddConstraint(
            model_name="balance",
            constraint=models.CheckConstraint(condition=models.Q(("quantity__lte", MAX_QUANTITY)), name="balance_at_most_max"),
        ),
        migrations.AddConstraint(
            model_name="documentline",
            constraint=models.CheckConstraint(
                condition=models.Q(("quantity__lte", MAX_QUANTITY)), name="line_quantity_at_most_max"
            ),
        ),
        migrations.AddConstraint(
            model_name="stockmove",
            constraint=models.CheckConstraint(
                condition=models.Q(("quantity__lte", MAX_QUANTITY)), name="move_quantity_at_most_max"
            ),
        ),
        migrations.RunPython(_sqlite_triggers_back, migrations.RunPython.noop),
    ]
