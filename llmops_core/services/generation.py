"""Generation runs: a prompt version over a dataset, through the shared LLM run machinery.

A generation run plugs into ``services.llm_runs`` exactly like a judge run: one subject per
dataset row (``row:<id>``), the version's prompt rendered with the row's input, the version's
model and parameters, and the run's endpoint (the site default when none). Concurrency,
retries, the call cache, leases, resume, cancel and token/cost totals are the machinery's.

Each successful reply becomes a ``ModelOutput`` tied to the version and the dataset row, with
``external_id = gen-v<version id>-r<row id>``: running the same version over the same rows
again creates nothing new (and, through the cache, calls nothing). When the run ends, its
outputs can go to a judge run (created here) and to a review queue (the annotation app does
that, see ``annotate.services.generation_hooks``; asked for by job kind,
``JobKind.GENERATION_QUEUE``, as ``llmops_core`` never imports the annotation app's services).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils import timezone

from annotate.selectors import queue_row
from llmops_core.errors import DomainError
from llmops_core.llm.calls import Parser
from llmops_core.llm.datatypes import CallRequest
from llmops_core.llm.errors import PromptError
from llmops_core.llm.hashing import request_hash
from llmops_core.llm.prompts import render_prompt
from llmops_core.models import (
    Dataset,
    DatasetRow,
    GenerationRun,
    JobStatus,
    JudgeVersion,
    LLMCall,
    LLMEndpoint,
    ModelOutput,
    OutputSource,
    PromptVersion,
)
from llmops_core.selectors.prompts import (
    label_version,
)
from llmops_core.services.audit import audit_record
from llmops_core.services.comparisons import comparison_request
from llmops_core.services.jobs import JobKind, job_enqueue
from llmops_core.services.judges.endpoints import endpoint_concurrency, endpoint_config
from llmops_core.services.judges.runs import judge_run_create
from llmops_core.services.llm_runs import (
    PreparedCall,
    StepOptions,
    StepOutcome,
    llm_run_request_cancel,
    llm_run_step,
)
from llmops_core.services.llm_runs.kinds import GENERATION_RUN_KIND as RUN_KIND
from llmops_core.services.llm_runs.kinds import GENERATION_RUNS
from llmops_core.services.monitoring import rollups_add
from llmops_core.services.scorecards import scorecard_request

MAX_ROWS = 50_000
Actor = User | AnonymousUser | None


def generation_external_id(version_id: int, row_id: int) -> str:
    """Return the external id of a version's output for a dataset row (stable across reruns)."""
    return f"gen-v{version_id}-r{row_id}"


class GenerationPlan:
    """What a generation run gives the machinery: rows, rendered requests, output rows."""

    kind = RUN_KIND
    parser: Parser | None = None  # the reply text is the output

    def __init__(self, run: GenerationRun) -> None:
        self.run, self.version = run, run.prompt_version
        self.endpoint = endpoint_config(run.endpoint)
        self.concurrency = endpoint_concurrency(run.endpoint)

    def subject_keys(self) -> Sequence[str]:
        rows = DatasetRow.objects.filter(dataset_id=self.run.dataset_id).order_by("index")
        return [f"row:{pk}" for pk in rows.values_list("pk", flat=True)]

    def prepare(self, keys: Sequence[str]) -> tuple[list[PreparedCall], dict[str, str]]:
        ids = {int(key.split(":")[1]): key for key in keys}
        rows = DatasetRow.objects.filter(dataset_id=self.run.dataset_id, pk__in=ids)
        found = {row.pk: row for row in rows}
        calls, failures = [], {}
        version = self.version
        for pk, key in ids.items():
            row = found.get(pk)
            if row is None:
                failures[key] = f"dataset row {pk} no longer exists"
                continue
            try:
                messages = render_prompt(
                    version.template_text, row.input, system=version.system_message or None
                )
            except PromptError as exc:
                failures[key] = f"row {row.index}: {exc}"
                continue
            params = dict(version.parameters)
            digest = request_hash(version.model_name, messages, params)
            calls.append(
                PreparedCall(key, CallRequest(digest, version.model_name, messages, params), row)
            )
        return calls, failures

    def record(self, call: PreparedCall, parsed: Any) -> None:
        """Store the reply as the version's output for the row (inside the call's transaction)."""
        row: DatasetRow = call.data
        made = (
            LLMCall.objects.filter(
                run_kind=RUN_KIND, run_id=self.run.pk, subject_key=call.subject_key
            )
            .values("content", "latency_ms", "tokens_in", "tokens_out", "cost")
            .first()
        )
        if made is None:
            raise DomainError(
                f"generation run {self.run.pk}: no call recorded for {call.subject_key}"
            )
        output, created = ModelOutput.objects.get_or_create(
            project_id=self.run.project_id,
            external_id=generation_external_id(self.version.pk, row.pk),
            defaults={
                "prompt_version": self.version,
                "dataset_row": row,
                "input": row.input,
                "input_hash": row.content_hash,
                "output_text": made["content"],
                "model_name": self.version.model_name,
                "source": OutputSource.GENERATION,
                "latency_ms": made["latency_ms"],
                "tokens_in": made["tokens_in"] or None,
                "tokens_out": made["tokens_out"] or None,
                "cost": made["cost"],
                "metadata": {
                    "generation_run_id": self.run.pk,
                    "row_index": row.index,
                    "dataset": self.run.dataset.name,
                    "dataset_version": self.run.dataset.version,
                    "request_hash": call.request.key,
                },
            },
        )
        if created:
            rollups_add(project_id=self.run.project_id, output_ids=[output.pk])


def _check(
    project_id: int,
    version: PromptVersion,
    dataset: Dataset,
    endpoint: LLMEndpoint | None,
    queue_id: int | None,
    judge_version: JudgeVersion | None,
) -> None:
    """Raise naming the first field that does not belong to the version's project."""
    if dataset.project_id != project_id:
        raise DomainError('field "dataset": the dataset belongs to another project')
    if endpoint is not None and endpoint.project_id != project_id:
        raise DomainError('field "endpoint": the endpoint belongs to another project')
    if queue_id is not None and queue_row(queue_id=queue_id, project_id=project_id) is None:
        raise DomainError(f'field "queue_id": no queue {queue_id} in this project')
    if judge_version is not None and judge_version.config.project_id != project_id:
        raise DomainError('field "judge_version": the judge belongs to another project')
    if not 0 < dataset.row_count <= MAX_ROWS:
        raise DomainError(f'field "dataset": {dataset.row_count} rows; a run takes 1-{MAX_ROWS}')


@transaction.atomic
def generation_run_create(
    *,
    version: PromptVersion,
    dataset: Dataset,
    requested_by: Actor = None,
    endpoint: LLMEndpoint | None = None,
    queue_id: int | None = None,
    judge_version: JudgeVersion | None = None,
) -> GenerationRun:
    """Create a run of ``version`` over every row of ``dataset`` and enqueue its first step."""
    project = version.template.project
    _check(project.pk, version, dataset, endpoint, queue_id, judge_version)
    user = requested_by if requested_by is not None and requested_by.is_authenticated else None
    parameters = {
        "queue_id": queue_id,
        "judge_version_id": judge_version.pk if judge_version else None,
    }
    run = GenerationRun.objects.create(
        project=project,
        prompt_version=version,
        dataset=dataset,
        endpoint=endpoint,
        parameters=parameters,
        requested_by=user,
        total_calls=dataset.row_count,
    )
    audit_record(
        actor=requested_by,
        action="generation_run.create",
        obj=run,
        project=project,
        after={"version": version.number, "dataset": dataset.pk, **parameters},
    )
    job_enqueue(GENERATION_RUNS.job, run.pk)
    return run


def generation_run_step(*, run_id: int, options: StepOptions | None = None) -> StepOutcome:
    """Do the next chunk of run ``run_id``; when it has finished, start what follows it."""
    outcome = llm_run_step(
        kind=GENERATION_RUNS, run_id=run_id, plan_for=GenerationPlan, options=options
    )
    if outcome is StepOutcome.DONE:
        generation_run_followups(run_id=run_id)
    return outcome


def generation_run_output_ids(*, run: GenerationRun) -> list[int]:
    """Return the ids of the outputs of the run's version for the run's dataset rows."""
    return list(
        ModelOutput.objects.filter(
            prompt_version_id=run.prompt_version_id,
            dataset_row__dataset_id=run.dataset_id,
        )
        .order_by("id")
        .values_list("id", flat=True)
    )


@transaction.atomic
def generation_run_followups(*, run_id: int) -> bool:
    """Once a run succeeded: judge its outputs, queue them, and ask for the version's reports.

    Safe to call twice: the judge run and the reports are asked for once (noted on the run),
    and adding outputs to a queue skips the ones already there. Return whether anything was
    left to do. ``followups_done_at`` is set once everything is done: here, or by
    ``generation_run_queued`` when the annotation app has queued the outputs; until then the
    stale-job sweep calls this again, so a lost queue message or a worker that died between
    finishing the run and its followups is caught up.
    """
    run = GenerationRun.objects.select_for_update().filter(pk=run_id).first()
    if run is None or run.status != JobStatus.SUCCEEDED or run.followups_done_at is not None:
        return False
    params = dict(run.parameters)
    output_ids = generation_run_output_ids(run=run)
    if params.get("judge_version_id") and not params.get("judge_run_id") and output_ids:
        judge_version = JudgeVersion.objects.select_related("config").get(
            pk=params["judge_version_id"]
        )
        judge = judge_run_create(
            project=run.project,
            judge_version=judge_version,
            output_ids=output_ids,
            requested_by=run.requested_by,
        )
        params["judge_run_id"] = judge.pk
        run.parameters = params
        run.save(update_fields=["parameters"])
    if not params.get("reports_requested"):
        _request_reports(run)
    if params.get("queue_id") and output_ids:
        job_enqueue(JobKind.GENERATION_QUEUE, run.pk)
    else:
        run.followups_done_at = timezone.now()
        run.save(update_fields=["followups_done_at"])
    return True


def generation_run_queued(*, run_id: int, note: str = "") -> None:
    """Note that the run's outputs are in its queue (``note``: why they could not be)."""
    run = GenerationRun.objects.select_for_update().filter(pk=run_id).first()
    if run is None or run.followups_done_at is not None:
        return
    run.followups_done_at = timezone.now()
    if note:
        run.parameters = {**run.parameters, "queue_note": note}
    run.save(update_fields=["followups_done_at", "parameters"])


def generation_runs_followups_due(*, finished_before: datetime, limit: int) -> list[int]:
    """Return the succeeded runs, finished before ``finished_before``, with followups not done."""
    return list(
        GenerationRun.objects.filter(
            status=JobStatus.SUCCEEDED,
            followups_done_at__isnull=True,
            finished_at__lt=finished_before,
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def _request_reports(run: GenerationRun) -> None:
    """Ask for the version's scorecard and its comparison with production (once per run)."""
    version = run.prompt_version
    scorecard_request(version=version, requested_by=run.requested_by, trigger="generation")
    production = label_version(template=version.template)
    if production is not None and production.pk != version.pk:
        comparison_request(
            candidate=version,
            baseline=production,
            requested_by=run.requested_by,
            trigger="generation",
        )
    run.parameters = {**run.parameters, "reports_requested": True}
    run.save(update_fields=["parameters"])


def generation_run_cancel(*, run: GenerationRun, actor: Actor = None) -> GenerationRun:
    """Ask a generation run to stop; outputs already stored stay."""
    cancelled = llm_run_request_cancel(kind=GENERATION_RUNS, run=run)
    audit_record(
        actor=actor,
        action="generation_run.cancel",
        obj=run,
        project=run.project,
        after={"status": cancelled.status},
    )
    return cancelled  # type: ignore[no-any-return]
