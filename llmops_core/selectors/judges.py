"""Named reads of judges, endpoints, judge runs, their calls and judge comparison reports."""

from __future__ import annotations

from typing import Any

from django.db.models import BooleanField, Case, Count, QuerySet, Value, When

from llmops_core.models import (
    JudgeConfig,
    JudgeRun,
    JudgeVersion,
    LLMCall,
    LLMEndpoint,
    Project,
    PromptVersion,
    Report,
    ReportKind,
    RubricVersion,
)

RUN_KIND = "judge"  # LLMCall.run_kind of judge runs
CALL_LIST_FIELDS = (
    "id",
    "subject_key",
    "status",
    "error_kind",
    "attempts",
    "retries",
    "repaired",
    "latency_ms",
    "tokens_in",
    "tokens_out",
    "cost",
    "created_at",
    "model_name",
)


def endpoint_list(*, project: Project) -> QuerySet[LLMEndpoint]:
    """Return the project's endpoints; the encrypted key is never loaded, only ``has_key``."""
    return (
        LLMEndpoint.objects.filter(project=project)
        .defer("api_key_encrypted")
        .annotate(
            has_key=Case(
                When(api_key_encrypted="", then=Value(False)),
                default=Value(True),
                output_field=BooleanField(),
            )
        )
        .order_by("name")
    )


def judge_list(*, project: Project) -> QuerySet[JudgeConfig]:
    """Return the project's judges with their versions and each version's endpoint."""
    return (
        JudgeConfig.objects.filter(project=project)
        .annotate(version_count=Count("versions", distinct=True))
        .prefetch_related("versions__endpoint", "versions__rubric_version__rubric")
        .order_by("name")
    )


def judge_get(*, project: Project, name: str) -> JudgeConfig | None:
    """Return the judge ``name`` of the project, or None."""
    return JudgeConfig.objects.filter(project=project, name=name).first()


def judge_version_list(*, judge: JudgeConfig) -> QuerySet[JudgeVersion]:
    """Return a judge's versions, newest first, with what their table shows."""
    return (
        JudgeVersion.objects.filter(config=judge)
        .select_related("endpoint", "rubric_version__rubric", "created_by")
        .order_by("-number")
    )


def judge_version_get(*, project: Project, pk: int) -> JudgeVersion | None:
    """Return a judge version of the project by id, or None."""
    return (
        JudgeVersion.objects.filter(config__project=project, pk=pk)
        .select_related("config", "endpoint", "rubric_version")
        .first()
    )


def judge_run_list(*, project: Project, judge: JudgeConfig | None = None) -> QuerySet[JudgeRun]:
    """Return the project's judge runs (newest first), optionally of one judge."""
    runs = JudgeRun.objects.filter(project=project).select_related(
        "judge_version__config", "requested_by"
    )
    if judge is not None:
        runs = runs.filter(judge_version__config=judge)
    return runs.order_by("-id")


def judge_run_get(*, project: Project, pk: int) -> JudgeRun | None:
    """Return the judge run ``pk`` of the project, or None."""
    return judge_run_list(project=project).filter(pk=pk).first()


def judge_call_list(
    *,
    run: JudgeRun,
    status: str | None = None,
    subject: str | None = None,
    with_bodies: bool = True,
) -> QuerySet[LLMCall]:
    """Return the run's calls in the order they were recorded (keyset-pageable by id)."""
    calls = LLMCall.objects.filter(run_kind=RUN_KIND, run_id=run.pk)
    if status:
        calls = calls.filter(status=status)
    if subject:
        calls = calls.filter(subject_key=subject)
    if not with_bodies:
        calls = calls.only(*CALL_LIST_FIELDS)
    return calls.order_by("id")


def cached_call_raw(*, project: Project, request_hashes: list[str]) -> dict[str, Any]:
    """Return the raw reply of the paid call behind each cached request hash (one query)."""
    if not request_hashes:
        return {}
    rows = (
        LLMCall.objects.filter(project=project, request_hash__in=request_hashes, status="ok")
        .order_by("id")
        .values_list("request_hash", "raw_response")
    )
    found: dict[str, Any] = {}
    for digest, raw in rows:
        found.setdefault(digest, raw)
    return found


def judge_report_list(*, project: Project) -> QuerySet[Report]:
    """Return the project's judge comparison reports, newest first, without their results."""
    return (
        Report.objects.filter(project=project, kind=ReportKind.JUDGE_COMPARISON)
        .defer("results")
        .select_related("requested_by")
        .order_by("-id")
    )


def judge_report_get(*, project: Project, pk: int) -> Report | None:
    """Return the judge comparison report ``pk`` of the project, with its results."""
    return Report.objects.filter(project=project, kind=ReportKind.JUDGE_COMPARISON, pk=pk).first()


def judge_reports_of_run(*, run: JudgeRun) -> QuerySet[Report]:
    """Return the reports requested from a run, newest first."""
    return judge_report_list(project=run.project).filter(parameters__run_id=run.pk)


def rubric_version_choices(*, project: Project) -> QuerySet[RubricVersion]:
    """Return the project's rubric versions, newest first."""
    return (
        RubricVersion.objects.filter(rubric__project=project)
        .select_related("rubric")
        .order_by("rubric__name", "-number")
    )


def prompt_version_choices(*, project: Project) -> QuerySet[PromptVersion]:
    """Return the project's prompt versions, for choosing the two sides of a pairwise run."""
    return (
        PromptVersion.objects.filter(template__project=project)
        .select_related("template")
        .order_by("template__name", "-number")
    )
