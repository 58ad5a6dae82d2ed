"""What follows new span outputs: the one hook every span path calls, and prompt-version links.

A span may name a prompt version (Langfuse's ``langfuse.observation.prompt.name``/``version``,
OpenInference's ``llm.prompt_template.version``) before that version is registered here. The
output keeps the name and number (``prompt_ref_name``, ``prompt_ref_version``) and is linked
when the version appears. Both sides link after their own commit, each seeing the other's
committed rows, so a span stored while its version is being registered is linked by one side
or the other (each check runs after its own commit; the later commit's check sees both).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import connection, transaction

from llmops_core.models import ModelOutput, PromptVersion
from llmops_core.services.monitoring import rollups_add, rollups_relink
from llmops_core.services.routing import routing_schedule

logger = logging.getLogger(__name__)


def prompt_refs_link(*, project_id: int, name: str, number: int) -> int:
    """Link the project's outputs that named prompt ``name`` version ``number``; return how many.

    One ``UPDATE`` over the partial index of unresolved references; nothing when the version
    is not registered (yet).
    """
    version = (
        PromptVersion.objects.filter(
            template__project_id=project_id, template__name=name, number=number
        )
        .values_list("pk", flat=True)
        .first()
    )
    if version is None:
        return 0
    # One UPDATE … RETURNING: the ids are exactly the rows this call linked, so a concurrent
    # call for the same reference cannot move the same outputs' monitoring counts twice.
    quote = connection.ops.quote_name
    table = quote(ModelOutput._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {quote('prompt_version_id')} = %s "  # noqa: S608
            f"WHERE {quote('project_id')} = %s AND {quote('prompt_version_id')} IS NULL "
            f"AND {quote('prompt_ref_name')} = %s AND {quote('prompt_ref_version')} = %s "
            f"RETURNING {quote('id')}",
            [version, project_id, name, number],
        )
        linked = [row[0] for row in cursor.fetchall()]
        rollups_relink(project_id=project_id, output_ids=linked)
    return len(linked)


def _link_after_commit(project_id: int, refs: list[tuple[str, int]]) -> None:
    for name, number in refs:
        linked = prompt_refs_link(project_id=project_id, name=name, number=number)
        if linked:
            logger.info("linked %s outputs to prompt %s v%s", linked, name, number)


def outputs_ingested(*, project_id: int, output_ids: Sequence[int]) -> None:
    """Follow up model outputs just created from spans (call inside the creating transaction).

    Every path that creates outputs from spans calls this once per insert with the ids it
    created (rows that were already stored are not among them), so whatever keeps up with new
    outputs (monitoring roll-ups) hooks in here and commits with them. It schedules, after the
    commit, the linking of outputs that named a prompt version not registered when they were
    mapped.
    """
    if not output_ids:
        return
    rollups_add(project_id=project_id, output_ids=output_ids)
    routing_schedule(project_id=project_id, output_ids=output_ids)
    # A range, not a list of ids: cheaper, and an unresolved row of another insert that falls
    # inside it only gets linked a little earlier.
    refs = list(
        ModelOutput.objects.filter(
            project_id=project_id,
            pk__gte=min(output_ids),
            pk__lte=max(output_ids),
            prompt_version__isnull=True,
            prompt_ref_version__isnull=False,
        )
        .exclude(prompt_ref_name="")
        .values_list("prompt_ref_name", "prompt_ref_version")
        .distinct()
    )
    if refs:
        transaction.on_commit(
            lambda: _link_after_commit(project_id, [(n, int(v)) for n, v in refs if v is not None])
        )
