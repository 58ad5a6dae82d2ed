"""Project slugs and prompt labels become lower case and unique whatever their case.

Existing names are lower-cased. Where names differ only in case (``DEMO`` and ``demo``; the
labels ``Production`` and ``production`` of one template), one keeps the name (the one already
lower case, else the oldest) and each other gets its id appended (``demo-17``), so no row is
lost and the new unique constraints hold. Promotion history keeps the labels as they were.
"""

from collections import defaultdict

import django.db.models.functions.text
from django.db import migrations, models

SLUG_MAX = 64


def _final_names(rows):
    """Return {pk: new name} for (pk, scope, name) rows whose name must change."""
    groups = defaultdict(list)
    for pk, scope, name in sorted(rows):
        groups[(scope, name.lower())].append((pk, name))
    taken = set(groups)
    renamed = {}
    for (scope, lower), members in sorted(groups.items()):
        keeper = next((m for m in members if m[1] == lower), members[0])
        for pk, name in members:
            if (pk, name) == keeper:
                if name != lower:
                    renamed[pk] = lower
                continue
            suffix, n = f"-{pk}", 1
            while (scope, lower[: SLUG_MAX - len(suffix)] + suffix) in taken:
                n += 1
                suffix = f"-{pk}-{n}"
            final = lower[: SLUG_MAX - len(suffix)] + suffix
            taken.add((scope, final))
            renamed[pk] = final
    return renamed


def _apply(model, field, renamed):
    # Two passes, so that no intermediate state breaks the old (case-sensitive) uniqueness.
    for pk in renamed:
        model.objects.filter(pk=pk).update(**{field: f"~{pk}"})
    for pk, name in renamed.items():
        model.objects.filter(pk=pk).update(**{field: name})


def lower_case_names(apps, schema_editor):
    Project = apps.get_model("llmops_core", "Project")
    PromptLabel = apps.get_model("llmops_core", "PromptLabel")
    projects = [(pk, None, slug) for pk, slug in Project.objects.values_list("pk", "slug")]
    _apply(Project, "slug", _final_names(projects))
    labels = PromptLabel.objects.values_list("pk", "template_id", "name")
    _apply(PromptLabel, "name", _final_names(list(labels)))
    if schema_editor.connection.vendor == "postgresql":
        # The updates queued the deferred foreign-key checks, and PostgreSQL does not alter a
        # table with pending trigger events in the same transaction: run the checks now.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


class Migration(migrations.Migration):
    dependencies = [
        ("llmops_core", "0013_langfuse_prompts"),
    ]

    operations = [
        migrations.RunPython(lower_case_names, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="promptlabel",
            name="promptlabel_unique_name",
        ),
        migrations.AlterField(
            model_name="project",
            name="slug",
            field=models.SlugField(help_text="Lower case; unique whatever the case.", max_length=64),
        ),
        migrations.AlterField(
            model_name="promptlabel",
            name="name",
            field=models.SlugField(help_text="Lower case; unique per template.", max_length=64),
        ),
        migrations.AddConstraint(
            model_name="project",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("slug"),
                name="project_slug_unique_ci",
                violation_error_message="A project with this slug (in any case) already exists.",
            ),
        ),
        migrations.AddConstraint(
            model_name="project",
            constraint=models.CheckConstraint(
                condition=models.Q(("slug", django.db.models.functions.text.Lower("slug"))),
                name="project_slug_lower",
                violation_error_message="A slug is lower case.",
            ),
        ),
        migrations.AddConstraint(
            model_name="promptlabel",
            constraint=models.UniqueConstraint(
                models.F("template"),
                django.db.models.functions.text.Lower("name"),
                name="promptlabel_unique_name_ci",
            ),
        ),
        migrations.AddConstraint(
            model_name="promptlabel",
            constraint=models.CheckConstraint(
                condition=models.Q(("name", django.db.models.functions.text.Lower("name"))),
                name="promptlabel_name_lower",
            ),
        ),
    ]
