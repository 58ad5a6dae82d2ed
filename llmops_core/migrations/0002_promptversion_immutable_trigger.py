"""Make prompt versions immutable in the database itself, on SQLite and PostgreSQL."""

from django.db import migrations

COLUMNS = [
    "template_text",
    "system_message",
    "model_name",
    "parameters",
    "content_hash",
    "number",
    "template_id",
]
MESSAGE = "prompt versions are immutable: create a new version instead"

SQLITE_CREATE = (
    "CREATE TRIGGER promptversion_immutable BEFORE UPDATE ON llmops_core_promptversion "
    "FOR EACH ROW WHEN "
    + " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in COLUMNS)
    + f" BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;"
)
SQLITE_DROP = "DROP TRIGGER IF EXISTS promptversion_immutable;"

POSTGRES_CREATE = f"""
CREATE OR REPLACE FUNCTION llmops_promptversion_immutable() RETURNS trigger AS $$
BEGIN
  IF {" OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in COLUMNS)} THEN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER promptversion_immutable BEFORE UPDATE ON llmops_core_promptversion
  FOR EACH ROW EXECUTE FUNCTION llmops_promptversion_immutable();
"""
POSTGRES_DROP = """
DROP TRIGGER IF EXISTS promptversion_immutable ON llmops_core_promptversion;
DROP FUNCTION IF EXISTS llmops_promptversion_immutable();
"""


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_CREATE)
    elif vendor == "postgresql":
        schema_editor.execute(POSTGRES_CREATE)
    else:
        raise RuntimeError(f"no immutability trigger written for {vendor}")


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    schema_editor.execute(SQLITE_DROP if vendor == "sqlite" else POSTGRES_DROP)


class Migration(migrations.Migration):
    dependencies = [("llmops_core", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
