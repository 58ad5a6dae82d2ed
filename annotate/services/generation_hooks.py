"""What the annotation app does when a generation run finishes: queue the outputs for review.

The LLMOps core never imports this app's services; when a run that names a queue succeeds, it
enqueues the job kind ``JobKind.GENERATION_QUEUE`` (``llmops_core.services.jobs``), whose task,
``annotate.tasks.generation_outputs_to_queue_task``, calls this module.
"""

from __future__ import annotations

import logging

from django.db import transaction

from annotate.models import Queue
from annotate.services.queues import queue_add_outputs
from llmops_core.models import GenerationRun, JobStatus, ModelOutput
from llmops_core.services.generation import generation_run_queued

logger = logging.getLogger(__name__)


@transaction.atomic
def generation_outputs_to_queue(*, run_id: int) -> int:
    """Add the outputs of a succeeded generation run to its queue; return how many were new.

    The outputs are the run's version's outputs for the run's dataset rows (so a rerun that
    made nothing new still queues them). Safe to repeat: outputs in the queue are skipped.
    The run is then marked as having its followups done (a queue deleted meanwhile is noted
    on the run instead), so the stale-job sweep stops asking.
    """
    run = GenerationRun.objects.filter(pk=run_id).first()
    if run is None or run.status != JobStatus.SUCCEEDED:
        return 0
    queue_id = run.parameters.get("queue_id")
    queue = Queue.objects.filter(pk=queue_id, project_id=run.project_id).first()
    if queue is None:
        note = f"generation run {run_id}: queue {queue_id} is gone; its outputs were not queued"
        logger.warning("%s", note)
        generation_run_queued(run_id=run_id, note=note)
        return 0
    ids = list(
        ModelOutput.objects.filter(
            prompt_version_id=run.prompt_version_id,
            dataset_row__dataset_id=run.dataset_id,
        )
        .order_by("dataset_row__index", "id")
        .values_list("id", flat=True)
    )
    added = queue_add_outputs(queue=queue, output_ids=ids)
    generation_run_queued(run_id=run_id)
    return added
