"""Judge runs in a real Celery worker: complete, killed and resumed, cancelled mid-run."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from llmops_core.models import JudgeRun, LLMCall, LLMEndpoint, Project, Report
from llmops_core.services.llm_runs import llm_runs_resume_stale
from tests.judges.helpers import make_outputs, make_queue, rate_queue, subject_counts
from tests.support.db import database_url_for_subprocess
from tests.support.openai_server import LocalOpenAIServer
from tests.support.worker import WorkerProcess, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _start(api: APIClient, project: Project, version: Any, queue_id: int) -> int:
    response = api.post(
        reverse("api-judge-runs", kwargs={"project_slug": project.slug}),
        {"judge_version": version.pk, "queue_id": queue_id},
        format="json",
    )
    assert response.status_code == 202, response.content
    return int(response.json()["id"])


def _run(pk: int) -> JudgeRun:
    return JudgeRun.objects.get(pk=pk)


def test_a_run_and_its_report_complete_in_a_worker_and_a_run_can_be_cancelled(
    celery_worker_process: WorkerProcess,
    project: Project,
    lead: Any,
    team: list[Any],
    make_judge: Callable[..., Any],
    llm_server: LocalOpenAIServer,
    api_as: Callable[..., APIClient],
) -> None:
    queue = make_queue(project, make_outputs(project, 40))
    rate_queue(queue, team)
    api = api_as(lead)
    pk = _start(api, project, make_judge(), queue.pk)
    assert wait_for(lambda: _run(pk).is_finished, timeout=60), celery_worker_process.log()
    run = _run(pk)
    assert (run.status, run.done_calls, llm_server.request_count) == ("succeeded", 40, 40)
    response = api.post(
        reverse("api-judge-reports", kwargs={"project_slug": project.slug}),
        {"run": pk, "bootstrap_draws": 100},
        format="json",
    )
    report_id = response.json()["id"]
    assert wait_for(lambda: Report.objects.get(pk=report_id).is_finished, timeout=60), (
        celery_worker_process.log()
    )
    report = Report.objects.get(pk=report_id)
    assert report.status == "succeeded", report.error
    assert report.results["criteria"]["fluency"]["agreement"]["n_items"] == 40

    # Cancel a slow run mid-way: the worker stops within seconds and starts no new call.
    llm_server.latency = 0.25
    LLMEndpoint.objects.update(concurrency=2)
    slow = make_queue(project, make_outputs(project, 120, seed=9, prefix="slow"), name="slow")
    pk = _start(api, project, make_judge(system_message="slow"), slow.pk)
    assert wait_for(lambda: _run(pk).done_calls >= 4, timeout=60), celery_worker_process.log()
    response = api.post(
        reverse("api-judge-run-cancel", kwargs={"project_slug": project.slug, "pk": pk})
    )
    assert response.status_code == 202
    assert wait_for(lambda: _run(pk).status == "cancelled", timeout=10), celery_worker_process.log()
    run = _run(pk)
    assert 4 <= run.done_calls < 40 and run.finished_at
    settled = llm_server.request_count
    assert not wait_for(lambda: llm_server.request_count > settled, timeout=1.5)
    celery_worker_process.kill()  # nothing left to finish; skips the slow warm shutdown


def test_a_killed_worker_is_resumed_and_no_finished_call_is_made_again(
    celery_worker_process: WorkerProcess,
    project: Project,
    lead: Any,
    make_judge: Callable[..., Any],
    llm_server: LocalOpenAIServer,
    api_as: Callable[..., APIClient],
) -> None:
    llm_server.latency = 0.05
    LLMEndpoint.objects.update(concurrency=4)
    queue = make_queue(project, make_outputs(project, 260))
    pk = _start(api_as(lead), project, make_judge(), queue.pk)
    assert wait_for(lambda: _run(pk).done_calls >= 40, timeout=60), celery_worker_process.log()
    celery_worker_process.kill()
    finished_before = set(
        LLMCall.objects.filter(run_id=pk, run_kind="judge").values_list("subject_key", flat=True)
    )
    assert 40 <= len(finished_before) < 260 and _run(pk).status == "running"

    replacement = WorkerProcess(database_url=database_url_for_subprocess())
    replacement.start()
    try:
        # What the periodic task does, once the dead step's heartbeat is a second old.
        assert wait_for(
            lambda: llm_runs_resume_stale(older_than=1.0) == [("judge", pk)], timeout=30
        )
        assert wait_for(lambda: _run(pk).is_finished, timeout=90), replacement.log()
    finally:
        replacement.kill()
    run = _run(pk)
    assert (run.status, run.done_calls, run.error_calls) == ("succeeded", 260, 0), run.error
    keys = Counter(
        LLMCall.objects.filter(run_id=pk, run_kind="judge").values_list("subject_key", flat=True)
    )
    assert len(keys) == 260 and max(keys.values()) == 1
    asked = requests_per_subject(run, llm_server)
    assert set(asked) == set(keys)
    repeated = {key for key, n in asked.items() if n > 1}
    assert not repeated & finished_before, "a call finished before the kill was made again"
    # Only calls in flight at the kill (at most the concurrency) were asked twice.
    assert len(repeated) <= 4 and max(asked.values()) <= 2
    assert run.judge_version.runs.get().scores.count() == 780


def requests_per_subject(run: JudgeRun, server: LocalOpenAIServer) -> Counter[str]:
    """Return how many first-attempt requests the server received for each subject."""
    from llmops_core.models import ModelOutput
    from tests.support.openai_server import _tag

    by_question = {
        value["question"]: pk
        for pk, value in ModelOutput.objects.filter(
            pk__in=run.parameters["output_ids"]
        ).values_list("pk", "input")
    }
    asked: Counter[str] = Counter()
    for message, n in subject_counts(server).items():
        question = (_tag(message, "input") or "").removeprefix("question: ")
        asked[f"out:{by_question[question]}"] += n
    return asked
