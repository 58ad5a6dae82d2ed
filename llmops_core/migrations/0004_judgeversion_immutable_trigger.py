"""Make judge versions immutable in the database itself, like prompt versions."""

from django.db import migrations

COLUMNS = [
    "prompt_template", "system_message", "model_name", "parameters", "mode", "response_format",
    "content_hash", "number", "config_id", "rubric_version_id",
]
MESSAGE = "judge versions are immutable: create a new version instead"

SQLITE_CREATE = (
    "CREATE TRIGGER judgeversion_immutable BEFORE UPDATE ON llmops_core_judgeversion "
    "FOR EACH ROW WHEN "
    + " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in COLUMNS)
    + f" BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;"
)
POSTGRES_CREATE = f"""
CREATE OR REPLACE FUNCTION llmops_judgeversion_immutable() RETURNS trigger AS $$
BEGIN
  IF {" OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in COLUMNS)} THEN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER judgeversion_immutable BEFORE UPDATE ON llmops_core_judgeversion
  FOR EACH ROW EXECUTE FUNCTION llmops_judgeversion_immutable();
"""


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        if vendor == "sqlite":
            cursor.execute(SQLITE_CREATE)
        elif vendor == "postgresql":
            cursor.execute(POSTGRES_CREATE)
        else:
            raise RuntimeError(f"no immutability trigger written for {vendor}")


def drop(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS judgeversion_immutable;")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS judgeversion_immutable ON "
                           "llmops_core_judgeversion; "
                           "DROP FUNCTION IF EXISTS llmops_judgeversion_immutable();")


class Migration(migrations.Migration):
    dependencies = [("llmops_core", "0003_judges_reports_exports")]
    operations = [migrations.RunPython(create, drop)]
