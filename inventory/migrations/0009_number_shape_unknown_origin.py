"""Class number shapes, and returns of unknown origin on allocations and moves."""

import importlib

from django.db import migrations, models

append_only = importlib.import_module("inventory.migrations.0002_stockmove_append_only")


def _sqlite_triggers_back(apps, schema_editor):
    # SQLite adds a NOT NULL column by rebuilding the table, which drops its triggers: the
    # ledger must stay append-only, so they are made again from the migration that made them.
    if schema_editor.connection.vendor == "sqlite":
        for statement in append_only.SQLITE_DOWN + append_only.SQLITE_UP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('inventory', '0008_allocate_production_permission'),
    ]

    operations = [
        migrations.AddField(
            model_name='allocation',
            name='unknown_origin',
            field=models.BooleanField(default=False, db_default=False, help_text='A return the clerk confirmed although this customer was never delivered it.'),
        ),
        migrations.AddField(
            model_name='lotserialclass',
            name='number_check',
            field=models.CharField(choices=[('none', 'Any number'), ('template', 'The shape of the numbering template'), ('pattern', 'The number pattern below')], default='none', help_text='Refuses a typo wherever a number is typed, scanned or imported.', max_length=10, verbose_name='typed and scanned numbers must have'),
        ),
        migrations.AddField(
            model_name='lotserialclass',
            name='number_pattern',
            field=models.CharField(blank=True, help_text="A regular expression the manufacturer's numbers match whole, e.g. [A-Z]{2}\\d{9}.", max_length=200),
        ),
        migrations.AddField(
            model_name='stockmove',
            name='unknown_origin',
            field=models.BooleanField(default=False, db_default=False, help_text='Returned by a customer it was never delivered to, confirmed by the clerk.'),
        ),
        migrations.RunPython(_sqlite_triggers_back, migrations.RunPython.noop),
    ]
