"""A broker that goes away and comes back loses no job: the job rows, not Redis, are the truth.

The test runs a ``redis-server`` of its own that keeps nothing on disk (like CI's), so a
restart empties every queue; a job created while it is down is saved but never published.
The stale-job sweep (what Celery beat runs every minute; here sent through the broker the same
way) dispatches every job still pending again, and each completes exactly once.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from llmops_core.models import (
    ExportJob,
    GenerationRun,
    ImportJob,
    JobStatus,
    JudgeRun,
    LLMEndpoint,
    ModelOutput,
    Project,
    Report,
)
from llmops_core.services.datasets import dataset_create
from llmops_core.services.judges.configs import judge_create, judge_version_create
from llmops_core.services.prompts import prompt_template_create, prompt_version_create
from llmops_core.tasks.jobs import jobs_resume_stale_task
from tests.faults.redis_server import RedisServer, broker
from tests.judges.helpers import make_outputs, make_queue, rate_queue
from tests.support.db import database_url_for_subprocess
from tests.support.openai_server import LocalOpenAIServer
from tests.support.worker import WorkerProcess, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

QUEUE = settings.CELERY_TASK_DEFAULT_QUEUE
OUTPUTS, IMPORT_ROWS, DATASET_ROWS = 30, 20, 5


@pytest.fixture
def on_redis(redis_server: RedisServer) -> Iterator[RedisServer]:
    """Publish this process's tasks to the test's own Redis."""
    with broker(redis_server.url()):
        yield redis_server


def _worker(redis: RedisServer) -> WorkerProcess:
    """A worker on the test's Redis whose sweep treats jobs pending for 1 s as lost."""
    return WorkerProcess(
        database_url=database_url_for_subprocess(),
        env={
            "CELERY_BROKER_URL": redis.url(),
            "JOB_PENDING_GRACE_SECONDS": "1",
            "LLM_RUN_STALE_SECONDS": "2",
        },
    )


def _post(
    api: APIClient, name: str, project: Project, data: dict[str, Any], fmt: str = "json"
) -> int:
    """POST to a project endpoint that starts a job; return the job's id (it must be 202)."""
    started = time.monotonic()
    response = api.post(reverse(name, kwargs={"project_slug": project.slug}), data, format=fmt)
    assert response.status_code == 202, (name, response.status_code, response.content[:300])
    assert time.monotonic() - started < 5, f"{name} held the request while the broker was down"
    return int(response.json()["id"])


def _import_file() -> SimpleUploadedFile:
    rows = "\n".join(
        json.dumps({"external_id": f"imp-{i}", "output": f"answer {i}", "input": f"question {i}"})
        for i in range(IMPORT_ROWS)
    )
    return SimpleUploadedFile("rows.jsonl", rows.encode())


def _statuses(jobs: dict[str, Any]) -> dict[str, tuple[str, int]]:
    return {name: (row.status, row.attempts) for name, row in _fresh(jobs).items()}


def _fresh(jobs: dict[str, Any]) -> dict[str, Any]:
    return {name: type(row).objects.get(pk=row.pk) for name, row in jobs.items()}


def _all_finished(jobs: dict[str, Any]) -> bool:
    return all(row.is_finished for row in _fresh(jobs).values())


def _model_requests(server: LocalOpenAIServer, model: str) -> int:
    return sum(1 for r in server.requests if (r.body or {}).get("model") == model)


@pytest.fixture
def world(project: Project, team: list[Any], llm_endpoint: LLMEndpoint) -> dict[str, Any]:
    """A rated queue, a judge and a prompt version with a dataset: what the jobs run on."""
    queue = make_queue(project, make_outputs(project, OUTPUTS))
    rate_queue(queue, team)
    rubric_version = project.rubrics.get(name="default").versions.get(number=1)
    judge, _ = judge_version_create(
        judge=judge_create(project=project, name="quality"),
        model_name="local-judge",
        rubric_version=rubric_version,
        endpoint=llm_endpoint,
        parameters={"temperature": 0},
    )
    version, _ = prompt_version_create(
        template=prompt_template_create(project=project, name="support"),
        model_name="local-generator",
        template_text="Answer briefly: {{ question }}",
    )
    dataset, _ = dataset_create(
        project=project,
        name="questions",
        inputs=[{"question": f"What is case {i}?"} for i in range(DATASET_ROWS)],
    )
    return {"queue": queue, "judge": judge, "version": version, "dataset": dataset}


def test_a_redis_restart_loses_no_job_queued_before_it_or_created_while_it_was_down(
    on_redis: RedisServer,
    project: Project,
    lead: Any,
    world: dict[str, Any],
    llm_server: LocalOpenAIServer,
    llm_endpoint: LLMEndpoint,
    api_as: Callable[..., APIClient],
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = api_as(lead)
    queue_id = world["queue"].pk
    # 1. With no worker running, one job of each kind: their messages wait in Redis.
    jobs = {
        "export": ExportJob(
            pk=_post(api, "api-exports", project, {"kind": "ratings", "format": "csv"})
        ),
        "report": Report(
            pk=_post(api, "api-reports", project, {"queue_id": queue_id, "bootstrap_draws": 50})
        ),
        "import": ImportJob(
            pk=_post(api, "api-imports", project, {"file": _import_file()}, fmt="multipart")
        ),
        "judge run": JudgeRun(
            pk=_post(
                api,
                "api-judge-runs",
                project,
                {"judge_version": world["judge"].pk, "queue_id": queue_id},
            )
        ),
        "generation run": GenerationRun(
            pk=_post(
                api,
                "api-generation-runs",
                project,
                {
                    "version_id": world["version"].pk,
                    "dataset_id": world["dataset"].pk,
                    "endpoint_id": llm_endpoint.pk,
                },
            )
        ),
    }
    assert on_redis.queue_length(QUEUE) == len(jobs), "the jobs' messages are not in Redis"

    on_redis.kill()
    on_redis.start()
    assert on_redis.queue_length(QUEUE) == 0, "the restarted Redis kept its queues"
    assert {status for status, _ in _statuses(jobs).values()} == {JobStatus.PENDING}

    worker = _worker(on_redis)
    worker.start()
    try:
        jobs_resume_stale_task.delay()  # what beat sends every minute
        assert wait_for(lambda: _all_finished(jobs), timeout=90), (
            f"{_statuses(jobs)}\n{worker.log()}"
        )
        done = _fresh(jobs)
        # Started once each; an LLM run's count is of step deaths in a row, and none died.
        once = {name: (JobStatus.SUCCEEDED, 0 if name.endswith(" run") else 1) for name in jobs}
        assert _statuses(jobs) == once, {name: row.error for name, row in done.items()}

        # 2. Redis goes down under the running worker: new jobs are still accepted (202).
        on_redis.kill()
        with caplog.at_level(logging.ERROR, logger="llmops_core.services.jobs.dispatch"):
            late = {
                "export": ExportJob(
                    pk=_post(api, "api-exports", project, {"kind": "consensus", "format": "jsonl"})
                ),
                "report": Report(
                    pk=_post(
                        api,
                        "api-reports",
                        project,
                        {
                            "queue_id": queue_id,
                            "bootstrap_draws": 50,
                            "reviewers": ["rater1", "rater2"],
                        },
                    )
                ),
            }
        assert _statuses(late) == {name: (JobStatus.PENDING, 0) for name in late}
        assert caplog.text.count("could not publish") == len(late), caplog.text
        on_redis.start()
        jobs_resume_stale_task.delay()
        restarts: list[str] = []

        def finished_under_a_supervisor() -> bool:
            # Celery's consumer sometimes exits on a lost Redis connection instead of
            # reconnecting (a kombu/redis-py failure, "Unrecoverable error: AttributeError");
            # in production a supervisor (systemd Restart=always, Kubernetes) starts it again.
            # The job rows make that safe: the sweep dispatches what is still pending.
            nonlocal worker
            if worker.proc is not None and worker.proc.poll() is not None:
                restarts.append(worker.log()[-3000:])
                worker = _worker(on_redis)
                worker.start()
                jobs_resume_stale_task.delay()
            return _all_finished(late)

        assert wait_for(finished_under_a_supervisor, timeout=90), (
            f"{_statuses(late)}\n{worker.log()}"
        )
        assert len(restarts) <= 1, restarts
    finally:
        worker.kill()

    assert _statuses(late) == {name: (JobStatus.SUCCEEDED, 1) for name in late}
    assert _fresh(late)["export"].rows == OUTPUTS
    assert done["export"].rows == OUTPUTS * 9
    assert (done["import"].rows_created, done["import"].rows_existing) == (IMPORT_ROWS, 0)
    assert ModelOutput.objects.filter(external_id__startswith="imp-").count() == IMPORT_ROWS
    assert done["report"].snapshot_counts["ratings"] == OUTPUTS * 9
    # Every LLM call was made once: nothing was asked twice by a duplicated message.
    assert (done["judge run"].done_calls, _model_requests(llm_server, "local-judge")) == (
        OUTPUTS,
        OUTPUTS,
    )
    assert (done["generation run"].done_calls, _model_requests(llm_server, "local-generator")) == (
        DATASET_ROWS,
        DATASET_ROWS,
    )
