"""The ledger is append-only: the database itself refuses UPDATE and DELETE of stock moves."""

from django.db import migrations

MESSAGE = "stock moves are append-only: post a reversal instead of changing or deleting a move"

POSTGRES_UP = f"""
CREATE FUNCTION inventory_stockmove_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER inventory_stockmove_no_update BEFORE UPDATE ON inventory_stockmove
    FOR EACH ROW EXECUTE FUNCTION inventory_stockmove_append_only();
CREATE TRIGGER inventory_stockmove_no_delete BEFORE DELETE ON inventory_stockmove
    FOR EACH ROW EXECUTE FUNCTION inventory_stockmove_append_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS inventory_stockmove_no_update ON inventory_stockmove;
DROP TRIGGER IF EXISTS inventory_stockmove_no_delete ON inventory_stockmove;
DROP FUNCTION IF EXISTS inventory_stockmove_append_only();
"""
SQLITE_UP = [
    f"""CREATE TRIGGER inventory_stockmove_no_update BEFORE UPDATE ON inventory_stockmove
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
    f"""CREATE TRIGGER inventory_stockmove_no_delete BEFORE DELETE ON inventory_stockmove
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS inventory_stockmove_no_update;",
    "DROP TRIGGER IF EXISTS inventory_stockmove_no_delete;",
]


def _run(schema_editor, postgres: str, sqlite: list[str]) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(postgres)
    elif vendor == "sqlite":
        for statement in sqlite:
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(f"no append-only trigger for database vendor {vendor!r}")


def forwards(apps, schema_editor):
    _run(schema_editor, POSTGRES_UP, SQLITE_UP)


def backwards(apps, schema_editor):
    _run(schema_editor, POSTGRES_DOWN, SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
