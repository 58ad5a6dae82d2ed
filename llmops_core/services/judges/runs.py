"""Judge runs: start one over a queue, outputs or pairs; step it through Celery; cancel it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from annotate.selectors import queue_output_ids
from llmops_core.errors import DomainError
from llmops_core.models import JudgeMode, JudgeRun, JudgeVersion, ModelOutput, Project
from llmops_core.services.audit import audit_record
from llmops_core.services.jobs import job_enqueue
from llmops_core.services.judges.plans import judge_plan
from llmops_core.services.llm_runs import (
    StepOptions,
    StepOutcome,
    llm_run_request_cancel,
    llm_run_step,
)
from llmops_core.services.llm_runs.kinds import JUDGE_RUNS

MAX_SUBJECTS = 200_000


def _pointwise_subjects(
    project: Project, queue_id: int | None, output_ids: Sequence[int] | None
) -> dict[str, Any]:
    """Return the frozen parameters of a pointwise run: which outputs, in which order."""
    if output_ids:
        wanted = sorted(set(output_ids))
        found = list(
            ModelOutput.objects.filter(project=project, pk__in=wanted)
            .order_by("id")
            .values_list("id", flat=True)
        )
        missing = sorted(set(wanted) - set(found))
        if missing:
            raise DomainError(f'field "output_ids": no output {missing[0]} in this project')
        ids = found
        if queue_id is not None:
            in_queue = set(queue_output_ids(project_id=project.pk, queue_id=queue_id))
            ids = [pk for pk in ids if pk in in_queue]
    elif queue_id is not None:
        ids = queue_output_ids(project_id=project.pk, queue_id=queue_id)
    else:
        raise DomainError("say what to judge: a queue or a list of output ids")
    if not ids:
        raise DomainError("there is nothing to judge: the queue or selection holds no outputs")
    return {"output_ids": ids}


def pairs_by_input(
    project: Project, version_a: int, version_b: int, queue_id: int | None = None
) -> list[list[int]]:
    """Return [a, b] pairs: outputs of prompt versions a and b with the same input.

    Each input is paired once, with the first output of each version (lowest id).
    """

    in_queue = (
        set(queue_output_ids(project_id=project.pk, queue_id=queue_id))
        if queue_id is not None
        else None
    )

    def first_by_input(version_id: int) -> dict[str, int]:
        rows = ModelOutput.objects.filter(project=project, prompt_version_id=version_id)
        chosen: dict[str, int] = {}
        for input_hash, pk in rows.order_by("id").values_list("input_hash", "id"):
            if in_queue is None or pk in in_queue:
                chosen.setdefault(input_hash, pk)
        return chosen

    first, second = first_by_input(version_a), first_by_input(version_b)
    return sorted([first[h], second[h]] for h in first.keys() & second.keys())


def _pairwise_subjects(
    project: Project,
    queue_id: int | None,
    prompt_versions: tuple[int, int] | None,
    pairs: Iterable[Sequence[int]] | None,
) -> dict[str, Any]:
    """Return the frozen parameters of a pairwise run: which pairs, in which order."""
    if pairs:
        chosen = sorted({(int(a), int(b)) for a, b in pairs})
        ids = {pk for pair in chosen for pk in pair}
        found = set(
            ModelOutput.objects.filter(project=project, pk__in=ids).values_list("id", flat=True)
        )
        if ids - found:
            raise DomainError(f'field "pairs": no output {min(ids - found)} in this project')
        if any(a == b for a, b in chosen):
            raise DomainError('field "pairs": a pair needs two different outputs')
        result: dict[str, Any] = {"pairs": [list(p) for p in chosen]}
    elif prompt_versions is not None:
        a, b = prompt_versions
        if a == b:
            raise DomainError("pick two different prompt versions to compare")
        result = {
            "pairs": pairs_by_input(project, a, b, queue_id),
            "prompt_version_a": a,
            "prompt_version_b": b,
        }
    else:
        raise DomainError("say what to compare: two prompt versions or a list of pairs")
    if not result["pairs"]:
        raise DomainError("there is nothing to compare: no input has an output of both versions")
    return result


@transaction.atomic
def judge_run_create(
    *,
    project: Project,
    judge_version: JudgeVersion,
    queue_id: int | None = None,
    output_ids: Sequence[int] | None = None,
    prompt_versions: tuple[int, int] | None = None,
    pairs: Iterable[Sequence[int]] | None = None,
    budget: Decimal | None = None,
    requested_by: User | None = None,
) -> JudgeRun:
    """Create a judge run over frozen subjects and enqueue its first step.

    The outputs (or pairs) are fixed now, so outputs added to a queue later do not change
    a run that is under way, and a resumed run walks exactly the same subjects. With a
    ``budget``, the run stops once its calls have cost that much.
    """
    if judge_version.config.project_id != project.pk:
        raise DomainError("the judge belongs to another project")
    if budget is not None and budget <= 0:
        raise DomainError(f'field "budget": {budget} must be above 0')
    if judge_version.mode == JudgeMode.PAIRWISE:
        parameters = _pairwise_subjects(project, queue_id, prompt_versions, pairs)
        total = 2 * len(parameters["pairs"])
    else:
        parameters = _pointwise_subjects(project, queue_id, output_ids)
        total = len(parameters["output_ids"])
    if total > MAX_SUBJECTS:
        raise DomainError(f"{total} calls is over the {MAX_SUBJECTS} a run may make; split it")
    parameters["queue_id"] = queue_id
    if budget is not None:
        parameters["budget"] = str(budget)
    run = JudgeRun.objects.create(
        project=project,
        judge_version=judge_version,
        parameters=parameters,
        requested_by=requested_by,
        total_calls=total,
    )
    audit_record(
        actor=requested_by,
        action="judge_run.create",
        obj=run,
        project=project,
        after={"judge_version": judge_version.pk, "calls": total, "queue_id": queue_id},
    )
    job_enqueue(JUDGE_RUNS.job, run.pk)
    return run


def judge_run_step(*, run_id: int, options: StepOptions | None = None) -> StepOutcome:
    """Do the next chunk of judge run ``run_id`` (what the Celery task calls)."""
    return llm_run_step(kind=JUDGE_RUNS, run_id=run_id, plan_for=judge_plan, options=options)


def judge_run_cancel(*, run: JudgeRun, actor: User | None = None) -> JudgeRun:
    """Ask a judge run to stop; calls already recorded stay, nothing new starts."""
    cancelled = llm_run_request_cancel(kind=JUDGE_RUNS, run=run)
    audit_record(
        actor=actor,
        action="judge_run.cancel",
        obj=run,
        project=run.project,
        after={"status": cancelled.status},
    )
    return cancelled  # type: ignore[no-any-return]
