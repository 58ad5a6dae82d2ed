"""Generation runs against the local OpenAI-compatible server: outputs, retries, cache, cost."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from celery import current_app
from django.utils import timezone

from annotate.services.generation_hooks import generation_outputs_to_queue
from llmops_core.llm.retry import RetryPolicy
from llmops_core.models import (
    GenerationRun,
    JudgeRun,
    LLMCall,
    LLMEndpoint,
    ModelOutput,
    Project,
    PromptVersion,
    Report,
)
from llmops_core.services import generation as gen
from llmops_core.services.comparisons import comparison_results
from llmops_core.services.datasets import dataset_create
from llmops_core.services.jobs import TASKS, JobKind
from llmops_core.services.jobs.sweep import jobs_resume_stale
from llmops_core.services.judges.configs import judge_create, judge_version_create
from llmops_core.services.judges.endpoints import endpoint_create
from llmops_core.services.llm_runs import StepOptions, StepOutcome
from llmops_core.services.prompts import prompt_template_create, prompt_version_create
from tests.support.openai_server import LocalOpenAIServer
from tests.versions.helpers import make_queue, rubric_version

pytestmark = pytest.mark.django_db
PRICES = {
    "local-generator": {"input": 0.5, "output": 1.5},
    "local-judge": {"input": 1, "output": 2},
}
ROWS = 12
QUEUE_TASK = TASKS[JobKind.GENERATION_QUEUE]  # what the sweep and the followups publish


@pytest.fixture
def llm_server() -> Iterator[LocalOpenAIServer]:
    with LocalOpenAIServer(timeout_delay=3.0) as running:
        yield running


@pytest.fixture
def endpoint(project: Project, llm_server: LocalOpenAIServer) -> LLMEndpoint:
    return endpoint_create(
        project=project,
        name="local",
        base_url=llm_server.base_url,
        api_key="sk-test-secret-key-1234",
        concurrency=4,
        timeout_seconds=30,
    )  # generous: a loaded CI box must not time out


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def fast(sleeps: list[float]) -> StepOptions:
    """In-process steps: small chunks, recorded (not slept) backoff."""
    return StepOptions(
        chunk_size=5,
        policy=RetryPolicy(max_attempts=3, base_delay=0.5),
        prices=PRICES,
        sleep=sleeps.append,
        cancel_poll_seconds=0.05,
    )


@pytest.fixture
def setup(project: Project) -> dict[str, Any]:
    template = prompt_template_create(project=project, name="support")
    version, _ = prompt_version_create(
        template=template,
        model_name="local-generator",
        parameters={"temperature": 0.2},
        template_text="Answer the question about {{ product }}: {{ question }}",
        system_message="You support {{ product }} customers.",
    )
    inputs = [
        {"question": f"How do I export data, case {i}?", "product": "Acme Notes"}
        for i in range(ROWS)
    ]
    dataset, _ = dataset_create(project=project, name="questions", inputs=inputs)
    return {"version": version, "dataset": dataset}


def run_to_end(run: GenerationRun, options: StepOptions) -> GenerationRun:
    for _ in range(100):
        if gen.generation_run_step(run_id=run.pk, options=options) is not StepOutcome.MORE:
            break
    run.refresh_from_db()
    return run


def start(setup: dict[str, Any], endpoint: LLMEndpoint, **kwargs: Any) -> GenerationRun:
    return gen.generation_run_create(
        version=setup["version"], dataset=setup["dataset"], endpoint=endpoint, **kwargs
    )


def test_a_run_stores_one_output_per_row_tied_to_version_and_row(
    setup: dict[str, Any],
    endpoint: LLMEndpoint,
    llm_server: LocalOpenAIServer,
    fast: StepOptions,
) -> None:
    run = run_to_end(start(setup, endpoint), fast)
    assert run.status == "succeeded", run.error
    assert (run.total_calls, run.done_calls, run.error_calls) == (ROWS, ROWS, 0)
    version: PromptVersion = setup["version"]
    outputs = ModelOutput.objects.filter(prompt_version=version).order_by("dataset_row__index")
    assert outputs.count() == ROWS == llm_server.request_count
    first = outputs[0]
    row = setup["dataset"].rows.get(index=0)
    assert first.external_id == f"gen-v{version.pk}-r{row.pk}"
    assert (first.dataset_row, first.input, first.input_hash) == (row, row.input, row.content_hash)
    assert first.output_text and first.metadata["generation_run_id"] == run.pk
    body = llm_server.requests[0].body
    assert body["model"] == "local-generator" and body["temperature"] == 0.2
    assert body["messages"][0] == {"role": "system", "content": "You support Acme Notes customers."}
    assert body["messages"][1]["content"].startswith("Answer the question about Acme Notes: How")


def test_tokens_cost_and_latency_are_accounted_per_output_and_run(
    setup: dict[str, Any],
    endpoint: LLMEndpoint,
    fast: StepOptions,
) -> None:
    run = run_to_end(start(setup, endpoint), fast)
    outputs = ModelOutput.objects.filter(prompt_version=setup["version"])
    tokens_in = sum(o.tokens_in for o in outputs)
    tokens_out = sum(o.tokens_out for o in outputs)
    assert (run.tokens_in, run.tokens_out) == (tokens_in, tokens_out) and tokens_in > 0
    price = Decimal(tokens_in) * Decimal("0.5") / 1000 + Decimal(tokens_out) * Decimal("1.5") / 1000
    assert run.cost == pytest.approx(price)
    assert sum(o.cost for o in outputs) == pytest.approx(price)
    assert all(o.latency_ms is not None for o in outputs)
    assert run.totals["calls"] == ROWS


def test_transient_failures_are_retried(
    setup: dict[str, Any],
    endpoint: LLMEndpoint,
    llm_server: LocalOpenAIServer,
    fast: StepOptions,
    sleeps: list[float],
) -> None:
    llm_server.script(["429", "500", "reset"])
    # Which calls meet the three scripted failures depends on scheduling: on a loaded machine one
    # call can meet all three in a row, so each call may make one attempt more than that.
    fast = replace(fast, policy=replace(fast.policy, max_attempts=4))
    run = run_to_end(start(setup, endpoint), fast)
    assert run.status == "succeeded" and run.error_calls == 0
    assert run.retries == 3 and len(sleeps) == 3
    assert llm_server.request_count == ROWS + 3
    assert ModelOutput.objects.filter(prompt_version=setup["version"]).count() == ROWS


def test_a_second_run_makes_zero_calls_and_no_new_outputs(
    setup: dict[str, Any],
    endpoint: LLMEndpoint,
    llm_server: LocalOpenAIServer,
    fast: StepOptions,
) -> None:
    run_to_end(start(setup, endpoint), fast)
    before = set(ModelOutput.objects.values_list("id", "output_text"))
    second = run_to_end(start(setup, endpoint), fast)
    assert llm_server.request_count == ROWS, "the second run paid for calls"
    assert (second.status, second.cached_calls, second.cost) == ("succeeded", ROWS, 0)
    assert set(ModelOutput.objects.values_list("id", "output_text")) == before


def test_a_row_the_prompt_cannot_render_fails_alone(
    project: Project,
    setup: dict[str, Any],
    endpoint: LLMEndpoint,
    fast: StepOptions,
) -> None:
    dataset, _ = dataset_create(
        project=project,
        name="mixed",
        inputs=[{"question": "Why?", "product": "Notes"}, {"question": "no product here"}],
    )
    run = run_to_end(
        gen.generation_run_create(version=setup["version"], dataset=dataset, endpoint=endpoint),
        fast,
    )
    assert (run.status, run.done_calls, run.error_calls) == ("succeeded", 2, 1)
    call = LLMCall.objects.get(run_kind="generation", run_id=run.pk, status="error")
    assert "row 1" in call.error and "product" in call.error
    assert ModelOutput.objects.filter(prompt_version=setup["version"]).count() == 1


def test_outputs_of_two_versions_pair_by_input(
    project: Project,
    setup: dict[str, Any],
    endpoint: LLMEndpoint,
    fast: StepOptions,
) -> None:
    run_to_end(start(setup, endpoint), fast)
    v2, _ = prompt_version_create(
        template=setup["version"].template,
        model_name="local-generator",
        template_text="Briefly: {{ question }} ({{ product }})",
    )
    run_to_end(
        gen.generation_run_create(version=v2, dataset=setup["dataset"], endpoint=endpoint), fast
    )
    hashes = {o.input_hash for o in ModelOutput.objects.filter(prompt_version=v2)}
    assert hashes == {
        o.input_hash for o in ModelOutput.objects.filter(prompt_version=setup["version"])
    }
    assert (
        comparison_results(candidate=v2, baseline=setup["version"], draws=10, seed=0)["n_pairs"]
        == 0
    )  # paired, but nobody rated them yet


def test_followups_start_a_judge_run_and_queue_the_outputs(
    project: Project,
    setup: dict[str, Any],
    endpoint: LLMEndpoint,
    fast: StepOptions,
    reviewers: list[Any],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    judge = judge_create(project=project, name="quality")
    judge_version, _ = judge_version_create(
        judge=judge,
        model_name="local-judge",
        rubric_version=rubric_version(project),
        endpoint=endpoint,
    )
    queue = make_queue(project, [], reviewers, overlap=1)
    sent: list[tuple[str, Any]] = []  # what would go to the broker (the process boundary)
    monkeypatch.setattr(
        current_app, "send_task", lambda name, args=None, *a, **kw: sent.append((name, args))
    )
    with django_capture_on_commit_callbacks(execute=True):
        run = run_to_end(
            start(setup, endpoint, queue_id=queue.pk, judge_version=judge_version), fast
        )
    judge_run = JudgeRun.objects.get(pk=run.parameters["judge_run_id"])
    assert sorted(judge_run.parameters["output_ids"]) == gen.generation_run_output_ids(run=run)
    assert (QUEUE_TASK, [run.pk]) in sent
    assert generation_outputs_to_queue(run_id=run.pk) == ROWS
    assert generation_outputs_to_queue(run_id=run.pk) == 0
    gen.generation_run_followups(run_id=run.pk)
    assert JudgeRun.objects.count() == 1
    # the version's scorecard is asked for once (there is no production to compare with)
    assert list(Report.objects.values_list("kind", "subject_version")) == [
        ("scorecard", setup["version"].pk)
    ]


def test_the_sweep_catches_up_followups_whose_queue_message_was_lost(
    project: Project,
    setup: dict[str, Any],
    endpoint: LLMEndpoint,
    fast: StepOptions,
    reviewers: list[Any],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    queue = make_queue(project, [], reviewers, overlap=1)
    sent: list[tuple[str, Any]] = []
    monkeypatch.setattr(
        current_app, "send_task", lambda name, args=None, *a, **kw: sent.append((name, args))
    )
    with django_capture_on_commit_callbacks(execute=True):
        run = run_to_end(start(setup, endpoint, queue_id=queue.pk), fast)
    queued = [args for name, args in sent if name == QUEUE_TASK]
    assert queued == [[run.pk]] and run.followups_done_at is None
    sent.clear()  # the message is lost: no worker ever queues the outputs
    later = timezone.now() + timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_resume_stale().dispatched == [], "inside the grace the sweep waits"
        swept = jobs_resume_stale(now=later)
    assert f"generation-followups:{run.pk}" in swept.dispatched
    assert [args for name, args in sent if name == QUEUE_TASK] == [[run.pk]]
    assert Report.objects.count() == 1, "the scorecard is asked for once, not again"
    assert generation_outputs_to_queue(run_id=run.pk) == ROWS
    run.refresh_from_db()
    assert run.followups_done_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        assert f"generation-followups:{run.pk}" not in jobs_resume_stale(now=later).dispatched
    assert queue.items.count() == ROWS


def test_followups_end_at_once_without_a_queue_and_note_a_queue_deleted_meanwhile(
    project: Project,
    setup: dict[str, Any],
    endpoint: LLMEndpoint,
    fast: StepOptions,
    reviewers: list[Any],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    run = run_to_end(start(setup, endpoint), fast)
    assert run.followups_done_at is not None
    queue = make_queue(project, [], reviewers, overlap=1)
    GenerationRun.objects.filter(pk=run.pk).update(
        followups_done_at=None, parameters={**run.parameters, "queue_id": queue.pk}
    )
    queue_id = queue.pk
    queue.delete()
    assert generation_outputs_to_queue(run_id=run.pk) == 0
    run.refresh_from_db()
    assert run.followups_done_at is not None
    assert f"queue {queue_id} is gone" in run.parameters["queue_note"]


def test_runs_refuse_what_belongs_elsewhere(project: Project, setup: dict[str, Any]) -> None:
    from tests.factories import ProjectFactory

    other = ProjectFactory()
    dataset, _ = dataset_create(project=other, name="q", inputs=[{"question": "x"}])
    with pytest.raises(gen.DomainError, match='field "dataset"'):
        gen.generation_run_create(version=setup["version"], dataset=dataset)
    with pytest.raises(gen.DomainError, match='field "queue_id"'):
        gen.generation_run_create(
            version=setup["version"], dataset=setup["dataset"], queue_id=999_999
        )


def test_cancel_stops_a_pending_run(
    setup: dict[str, Any], endpoint: LLMEndpoint, lead: Any
) -> None:
    run = gen.generation_run_cancel(run=start(setup, endpoint), actor=lead)
    assert run.status == "cancelled"
