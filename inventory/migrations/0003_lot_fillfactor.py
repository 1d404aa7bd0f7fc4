"""Leave room in each page of lots and balances so that posting's state updates are HOT updates
(no index entries rewritten) on PostgreSQL."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE inventory_lot SET (fillfactor = 75)")
        schema_editor.execute("ALTER TABLE inventory_balance SET (fillfactor = 75)")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE inventory_lot RESET (fillfactor)")
        schema_editor.execute("ALTER TABLE inventory_balance RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("inventory", "0002_stockmove_append_only")]
    operations = [migrations.RunPython(forwards, backwards)]
