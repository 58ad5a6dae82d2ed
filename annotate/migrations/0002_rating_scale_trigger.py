"""Keep every rating inside its criterion's scale and its annotation's rubric version."""

from django.db import migrations

SCALE_MESSAGE = "rating score is outside the scale of its criterion"
VERSION_MESSAGE = "rating criterion is not part of the rubric version of its annotation"

SQLITE_CONDITION_SCALE = (
    "NEW.score < (SELECT scale_min FROM llmops_core_criterion WHERE id = NEW.criterion_id) "
    "OR NEW.score > (SELECT scale_max FROM llmops_core_criterion WHERE id = NEW.criterion_id)"
)
SQLITE_CONDITION_VERSION = (
    "(SELECT rubric_version_id FROM llmops_core_criterion WHERE id = NEW.criterion_id) "
    "IS NOT (SELECT rubric_version_id FROM annotate_annotation WHERE id = NEW.annotation_id)"
)


def sqlite_statements():
    for event in ("INSERT", "UPDATE"):
        suffix = event.lower()
        yield (
            f"CREATE TRIGGER rating_in_scale_{suffix} BEFORE {event} ON annotate_rating "
            f"FOR EACH ROW WHEN {SQLITE_CONDITION_SCALE} "
            f"BEGIN SELECT RAISE(ABORT, '{SCALE_MESSAGE}'); END;"
        )
        yield (
            f"CREATE TRIGGER rating_same_version_{suffix} BEFORE {event} ON annotate_rating "
            f"FOR EACH ROW WHEN {SQLITE_CONDITION_VERSION} "
            f"BEGIN SELECT RAISE(ABORT, '{VERSION_MESSAGE}'); END;"
        )


POSTGRES_CREATE = f"""
CREATE OR REPLACE FUNCTION annotate_rating_check() RETURNS trigger AS $$
DECLARE
  c_min smallint; c_max smallint; c_version bigint; a_version bigint;
BEGIN
  SELECT scale_min, scale_max, rubric_version_id INTO c_min, c_max, c_version
    FROM llmops_core_criterion WHERE id = NEW.criterion_id;
  SELECT rubric_version_id INTO a_version FROM annotate_annotation WHERE id = NEW.annotation_id;
  IF NEW.score < c_min OR NEW.score > c_max THEN
    RAISE EXCEPTION '{SCALE_MESSAGE}: % not in %-%', NEW.score, c_min, c_max
      USING ERRCODE = 'check_violation';
  END IF;
  IF c_version IS DISTINCT FROM a_version THEN
    RAISE EXCEPTION '{VERSION_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER rating_check BEFORE INSERT OR UPDATE ON annotate_rating
  FOR EACH ROW EXECUTE FUNCTION annotate_rating_check();
"""
POSTGRES_DROP = """
DROP TRIGGER IF EXISTS rating_check ON annotate_rating;
DROP FUNCTION IF EXISTS annotate_rating_check();
"""


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for statement in sqlite_statements():
            schema_editor.execute(statement)
    elif vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(POSTGRES_CREATE)
    else:
        raise RuntimeError(f"no rating trigger written for {vendor}")


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for name in ("in_scale", "same_version"):
            for suffix in ("insert", "update"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS rating_{name}_{suffix};")
    else:
        schema_editor.execute(POSTGRES_DROP)


class Migration(migrations.Migration):
    dependencies = [("annotate", "0001_initial"), ("llmops_core", "0002_promptversion_immutable_trigger")]
    operations = [migrations.RunPython(create, drop)]
