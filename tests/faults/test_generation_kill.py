"""A generation run whose worker is SIGKILLed mid-run is resumed by the stale-job sweep.

It completes with one output per dataset row, and no row whose output was stored before the
kill is asked of the (paid) endpoint again.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db.models import Count
from django.urls import reverse
from rest_framework.test import APIClient

from llmops_core.models import GenerationRun, LLMCall, LLMEndpoint, ModelOutput, Project
from llmops_core.services.datasets import dataset_create
from llmops_core.services.jobs.sweep import jobs_resume_stale
from llmops_core.services.prompts import prompt_template_create, prompt_version_create
from tests.support.db import database_url_for_subprocess
from tests.support.openai_server import LocalOpenAIServer
from tests.support.worker import WorkerProcess, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROWS = 160
CONCURRENCY = 4  # the endpoint's calls in flight: at most these are lost with the worker
# Chunks of 60: the kill (at 75 stored outputs) lands inside the second step, holding the lease;
# a kill between steps would leave the next step's message queued and need no resume.
WORKER_ENV = {"LLM_RUN_CHUNK_SIZE": "60"}
KILL_AFTER = 75
CASE = re.compile(r"case (\d+)\?")


def _run(pk: int) -> GenerationRun:
    return GenerationRun.objects.get(pk=pk)


def _stored_rows(version: Any) -> set[int]:
    return set(
        ModelOutput.objects.filter(prompt_version=version).values_list(
            "dataset_row__index", flat=True
        )
    )


def _asked_rows(server: LocalOpenAIServer) -> Counter[int]:
    """Return how many chat requests the server received for each dataset row."""
    asked: Counter[int] = Counter()
    for request in server.requests:
        messages = (request.body or {}).get("messages") or []
        users = [m["content"] for m in messages if m.get("role") == "user"]
        if users and (match := CASE.search(users[0])):
            asked[int(match.group(1))] += 1
    return asked


def test_a_killed_generation_run_resumes_and_pays_for_no_stored_output_again(
    project: Project,
    lead: Any,
    llm_server: LocalOpenAIServer,
    llm_endpoint: LLMEndpoint,
    api_as: Callable[..., APIClient],
    settings: Any,
) -> None:
    llm_server.latency = 0.1
    template = prompt_template_create(project=project, name="support")
    version, _ = prompt_version_create(
        template=template,
        model_name="local-generator",
        parameters={"temperature": 0.2},
        template_text="Answer the question about {{ product }}: {{ question }}",
    )
    inputs = [
        {"question": f"How do I export data, case {i}?", "product": "Acme Notes"}
        for i in range(ROWS)
    ]
    dataset, _ = dataset_create(project=project, name="questions", inputs=inputs)

    worker = WorkerProcess(database_url=database_url_for_subprocess(), env=WORKER_ENV)
    worker.start()
    try:
        response = api_as(lead).post(
            reverse("api-generation-runs", kwargs={"project_slug": project.slug}),
            {"version_id": version.pk, "dataset_id": dataset.pk, "endpoint_id": llm_endpoint.pk},
            format="json",
        )
        assert response.status_code == 202, response.content
        pk = int(response.json()["id"])
        assert wait_for(
            lambda: len(_stored_rows(version)) >= KILL_AFTER, timeout=60, interval=0.05
        ), worker.log()
    finally:
        worker.kill()
    stored_before = _stored_rows(version)
    assert KILL_AFTER <= len(stored_before) < 120, "the kill did not land in the second step"
    killed = _run(pk)
    assert killed.status == "running" and killed.lease_token, "no step held the run at the kill"

    replacement = WorkerProcess(database_url=database_url_for_subprocess(), env=WORKER_ENV)
    replacement.start()
    try:
        # What the beat task does once the dead step's heartbeat is older than the setting.
        settings.LLM_RUN_STALE_SECONDS = 1
        resumes: list[str] = []

        def resumed() -> bool:
            resumes.extend(jobs_resume_stale().resumed_runs)
            return f"generation:{pk}" in resumes

        assert wait_for(resumed, timeout=30), "the sweep never resumed the run"
        assert _run(pk).attempts in (0, 1), "the resume did not count the step's death"
        assert wait_for(lambda: _run(pk).is_finished, timeout=90), replacement.log()
    finally:
        replacement.kill()

    run = _run(pk)
    assert (run.status, run.done_calls, run.error_calls) == ("succeeded", ROWS, 0), run.error
    assert resumes.count(f"generation:{pk}") == 1, "the run was resumed more than once"
    assert run.attempts == 0, "a finished chunk must set the count of step deaths back to 0"
    per_row = (
        ModelOutput.objects.filter(prompt_version=version)
        .values("dataset_row")
        .annotate(n=Count("id"))
    )
    assert len(per_row) == ROWS and {row["n"] for row in per_row} == {1}
    keys = Counter(
        LLMCall.objects.filter(run_kind="generation", run_id=pk).values_list(
            "subject_key", flat=True
        )
    )
    assert len(keys) == ROWS and max(keys.values()) == 1
    asked = _asked_rows(llm_server)
    assert set(asked) == set(range(ROWS))
    repeated = {row for row, n in asked.items() if n > 1}
    assert not repeated & stored_before, f"rows stored before the kill were paid again: {repeated}"
    # Only calls in flight at the kill (at most the endpoint's concurrency) were asked twice.
    assert len(repeated) <= CONCURRENCY and max(asked.values()) <= 2
