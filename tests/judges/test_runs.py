"""Judge runs through the run service, in this process, against the local OpenAI server.

The worker-process versions of resume and cancel live in ``test_worker.py``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from django.db.models import Sum
from django.utils import timezone

from llmops_core.llm.retry import RetryPolicy
from llmops_core.models import (
    JudgeRun,
    JudgeScore,
    LLMCacheEntry,
    LLMCall,
    LLMEndpoint,
    Project,
)
from llmops_core.services.judges.runs import judge_run_cancel, judge_run_create, judge_run_step
from llmops_core.services.llm_runs import (
    StepOptions,
    StepOutcome,
    llm_runs_fail_exhausted,
    llm_runs_resume_stale,
)
from tests.judges.helpers import make_outputs, make_queue, run_to_end, subject_counts
from tests.support.openai_server import Fault, LocalOpenAIServer

pytestmark = pytest.mark.django_db


def _run(project: Project, version: Any, n: int = 30, **kwargs: Any) -> JudgeRun:
    queue = make_queue(project, make_outputs(project, n, **kwargs), name=f"q-{n}-{kwargs}")
    return judge_run_create(project=project, judge_version=version, queue_id=queue.pk)


def test_pointwise_run_scores_every_output_on_every_criterion(
    project: Project,
    make_judge: Callable[..., Any],
    llm_server: LocalOpenAIServer,
    fast: StepOptions,
) -> None:
    run = run_to_end(_run(project, make_judge(), 60), fast)
    assert run.status == "succeeded", run.error
    assert (run.total_calls, run.done_calls, run.error_calls, run.cached_calls) == (60, 60, 0, 0)
    assert run.progress == 1.0 and run.cursor == 60 and run.lease_token == ""
    assert JudgeScore.objects.filter(run=run).count() == 180
    assert llm_server.request_count == 60
    body = llm_server.requests[0].body
    assert body["response_format"]["type"] == "json_schema" and body["temperature"] == 0


def test_totals_add_up_tokens_cost_and_latency_percentiles(
    project: Project,
    make_judge: Callable[..., Any],
    llm_server: LocalOpenAIServer,
    fast: StepOptions,
) -> None:
    llm_server.latency = 0.01
    run = run_to_end(_run(project, make_judge(), 40), fast)
    calls = LLMCall.objects.filter(run_kind="judge", run_id=run.pk)
    sums = calls.aggregate(i=Sum("tokens_in"), o=Sum("tokens_out"), c=Sum("cost"))
    assert (run.tokens_in, run.tokens_out) == (sums["i"], sums["o"]) and run.tokens_in > 0
    price = (
        Decimal(run.tokens_in) * Decimal("0.001") / 1000
        + Decimal(run.tokens_out) * Decimal("0.002") / 1000
    )
    assert run.cost == pytest.approx(price) and Decimal(run.totals["cost"]) == sums["c"]
    latencies = list(calls.values_list("latency_ms", flat=True))
    assert run.totals["latency_ms_p50"] == pytest.approx(np.percentile(latencies, 50), abs=0.1)
    assert run.totals["latency_ms_p95"] == pytest.approx(np.percentile(latencies, 95), abs=0.1)
    assert min(latencies) >= 10
    assert run.totals["calls"] == run.totals["ok"] == 40 and run.totals["errors"] == 0


def test_a_second_run_of_the_same_version_makes_zero_calls(
    project: Project,
    make_judge: Callable[..., Any],
    llm_server: LocalOpenAIServer,
    fast: StepOptions,
) -> None:
    version = make_judge()
    first = run_to_end(_run(project, version, 30), fast)
    assert llm_server.request_count == 30
    second = run_to_end(
        judge_run_create(
            project=project, judge_version=version, queue_id=first.parameters["queue_id"]
        ),
        fast,
    )
    assert llm_server.request_count == 30, "the second run paid for calls"
    assert (second.status, second.cached_calls, second.done_calls) == ("succeeded", 30, 30)
    assert second.cost == 0 and second.tokens_in == 0
    assert JudgeScore.objects.filter(run=second).count() == 90
    first_scores = dict(
        JudgeScore.objects.filter(run=first)
        .values_list("output_id", "score")
        .order_by("output_id", "criterion_id")[:30]
    )
    second_scores = dict(
        JudgeScore.objects.filter(run=second)
        .values_list("output_id", "score")
        .order_by("output_id", "criterion_id")[:30]
    )
    assert first_scores == second_scores
    other = make_judge(system_message="Be strict.")
    run_to_end(
        judge_run_create(
            project=project, judge_version=other, queue_id=first.parameters["queue_id"]
        ),
        fast,
    )
    assert llm_server.request_count == 60, "another judge version must not hit the cache"


def test_identical_items_in_one_run_are_paid_once(
    project: Project,
    make_judge: Callable[..., Any],
    llm_server: LocalOpenAIServer,
    fast: StepOptions,
) -> None:
    outputs = make_outputs(project, 4)
    for output in outputs[1:]:
        output.input, output.output_text = outputs[0].input, outputs[0].output_text
        output.save()
    queue = make_queue(project, outputs)
    run = run_to_end(
        judge_run_create(project=project, judge_version=make_judge(), queue_id=queue.pk), fast
    )
    assert llm_server.request_count == 1
    assert Counter(run_calls_status(run)) == {"ok": 1, "cached": 3}
    assert JudgeScore.objects.filter(run=run).count() == 12


def run_calls_status(run: JudgeRun) -> list[str]:
    return list(
        LLMCall.objects.filter(run_kind="judge", run_id=run.pk).values_list("status", flat=True)
    )


def test_429_500_and_timeouts_are_retried_with_backoff_honouring_retry_after(
    project: Project,
    make_judge: Callable[..., Any],
    llm_server: LocalOpenAIServer,
    llm_endpoint: LLMEndpoint,
    fast: StepOptions,
    sleeps: list[float],
) -> None:
    LLMEndpoint.objects.filter(pk=llm_endpoint.pk).update(timeout_seconds=1)
    llm_server.timeout_delay = 1.5  # the endpoint times out after 1 s
    llm_server.script([Fault("429", retry_after="3"), "500", "timeout"])
    options = StepOptions(
        chunk_size=10,
        policy=RetryPolicy(max_attempts=4, base_delay=0.5),
        prices=fast.prices,
        sleep=fast.sleep,
        cancel_poll_seconds=0.05,
    )
    run = run_to_end(_run(project, make_judge(), 1), options)
    [call] = LLMCall.objects.filter(run_kind="judge", run_id=run.pk)
    assert run.status == "succeeded", run.error
    assert (call.status, call.attempts, call.retries) == ("ok", 4, 3)
    assert all(kind in call.error for kind in ("rate_limited", "server_error", "timeout"))
    assert run.retries == 3
    # Retry-After: 3 is honoured; then jittered exponential backoff, base 0.5 s, doubling.
    assert sleeps[0] == 3.0 and 0 <= sleeps[1] <= 1.0 and 0 <= sleeps[2] <= 2.0
    assert JudgeScore.objects.filter(run=run).count() == 3


def test_a_call_that_keeps_failing_is_recorded_as_an_error_and_never_retried_by_resume(
    project: Project,
    make_judge: Callable[..., Any],
    llm_server: LocalOpenAIServer,
    fast: StepOptions,
) -> None:
    run = run_to_end(_run(project, make_judge(model_name="always-503"), 3), fast)
    assert run.status == "failed"
    assert "every call failed" in run.error and "HTTP 503" in run.error
    assert run.error_calls == 3 and run.retries == 6
    assert llm_server.request_count == 9  # three attempts each
    assert set(LLMCall.objects.filter(run_id=run.pk).values_list("error_kind", flat=True)) == {
        "server_error"
    }
    assert judge_run_step(run_id=run.pk, options=fast) is StepOutcome.DONE
    assert llm_server.request_count == 9


def test_a_malformed_reply_is_repaired_once(
    project: Project,
    make_judge: Callable[..., Any],
    llm_server: LocalOpenAIServer,
    fast: StepOptions,
) -> None:
    llm_server.script(["malformed_json", "ok", "wrong_schema", "wrong_schema"])
    options = StepOptions(chunk_size=1, policy=fast.policy, prices=fast.prices, sleep=fast.sleep)
    run = run_to_end(_run(project, make_judge(), 2), options)
    repaired, broken = LLMCall.objects.filter(run_id=run.pk, run_kind="judge").order_by("id")
    assert (repaired.status, repaired.repaired, repaired.attempts) == ("ok", True, 2)
    assert (broken.status, broken.error_kind, broken.repaired) == ("error", "parse_error", True)
    assert broken.parse_error == 'field "scores" is missing or is not an object (after one repair)'
    assert broken.content == '{"score": 4, "comment": "fine overall"}'
    assert broken.tokens_out > 0 and broken.cost > 0, "a failed parse was still paid for"
    assert JudgeScore.objects.filter(run=run).count() == 3
    assert run.totals["parse_errors"] == 1 and run.totals["repaired"] == 2
    assert run.status == "succeeded"
    assert not LLMCacheEntry.objects.filter(request_hash=broken.request_hash).exists()


def test_a_run_is_split_into_chunks_and_resumes_where_it_stopped(
    project: Project,
    make_judge: Callable[..., Any],
    llm_server: LocalOpenAIServer,
    fast: StepOptions,
) -> None:
    run = _run(project, make_judge(), 60)
    assert judge_run_step(run_id=run.pk, options=fast) is StepOutcome.MORE
    run.refresh_from_db()
    assert (run.cursor, run.done_calls, run.status, run.lease_token) == (25, 25, "running", "")
    # A step that died after its calls but before moving the cursor: take the lease, go stale.
    JudgeRun.objects.filter(pk=run.pk).update(
        cursor=0, lease_token="dead-worker", heartbeat_at=timezone.now() - timedelta(minutes=10)
    )
    assert judge_run_step(run_id=run.pk, options=StepOptions(stale_after=3600)) is StepOutcome.BUSY
    assert llm_runs_resume_stale(older_than=60) == [("judge", run.pk)]
    run = run_to_end(run, fast)
    assert run.status == "succeeded" and run.done_calls == 60
    assert llm_server.request_count == 60
    assert max(subject_counts(llm_server).values()) == 1, "a subject was called twice"


def test_a_live_lease_keeps_a_second_step_out(
    project: Project,
    make_judge: Callable[..., Any],
    llm_server: LocalOpenAIServer,
    fast: StepOptions,
) -> None:
    run = _run(project, make_judge(), 5)
    JudgeRun.objects.filter(pk=run.pk).update(lease_token="busy", heartbeat_at=timezone.now())
    assert judge_run_step(run_id=run.pk, options=fast) is StepOutcome.BUSY
    assert llm_runs_resume_stale(older_than=60) == []
    assert llm_server.request_count == 0


def test_cancel_between_chunks_stops_the_run_and_keeps_what_was_done(
    project: Project,
    make_judge: Callable[..., Any],
    llm_server: LocalOpenAIServer,
    fast: StepOptions,
) -> None:
    run = _run(project, make_judge(), 60)
    judge_run_step(run_id=run.pk, options=fast)
    judge_run_cancel(run=run)
    assert judge_run_step(run_id=run.pk, options=fast) is StepOutcome.DONE
    run.refresh_from_db()
    assert (run.status, run.done_calls) == ("cancelled", 25) and run.finished_at
    assert llm_server.request_count == 25
    assert run.totals["calls"] == 25


def test_cancelling_a_pending_run_needs_no_worker(
    project: Project,
    make_judge: Callable[..., Any],
    llm_server: LocalOpenAIServer,
) -> None:
    run = judge_run_cancel(run=_run(project, make_judge(), 5))
    assert run.status == "cancelled"
    assert judge_run_step(run_id=run.pk) is StepOutcome.DONE
    assert llm_server.request_count == 0


def test_a_stale_run_left_between_chunks_is_enqueued_again(
    project: Project,
    make_judge: Callable[..., Any],
    fast: StepOptions,
    django_capture_on_commit_callbacks: Any,
) -> None:
    run = _run(project, make_judge(), 5)
    JudgeRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks() as callbacks:
        assert llm_runs_resume_stale(older_than=60) == [("judge", run.pk)]
    assert len(callbacks) == 1


def test_a_budget_cap_stops_the_run_once_it_has_paid_that_much(
    project: Project,
    make_judge: Callable[..., Any],
    llm_server: LocalOpenAIServer,
    fast: StepOptions,
) -> None:
    queue = make_queue(project, make_outputs(project, 80))
    run = judge_run_create(
        project=project, judge_version=make_judge(), queue_id=queue.pk, budget=Decimal("0.002")
    )
    run = run_to_end(
        run,
        StepOptions(
            chunk_size=10,
            policy=fast.policy,
            prices=fast.prices,
            sleep=fast.sleep,
            cancel_poll_seconds=0,
        ),
    )
    assert run.status == "cancelled" and "stopped at its budget" in run.error
    assert Decimal("0.002") <= run.cost < Decimal("0.002") + Decimal("0.0004") * 8
    assert run.done_calls < 80 and llm_server.request_count == run.done_calls
    assert run_to_end(run, fast).status == "cancelled"


def test_a_run_whose_step_dies_every_time_fails_after_the_last_attempt_and_progress_resets(
    project: Project,
    make_judge: Callable[..., Any],
    llm_server: LocalOpenAIServer,
    fast: StepOptions,
    django_capture_on_commit_callbacks: Any,
) -> None:
    run = _run(project, make_judge(), 12)
    old = timezone.now() - timedelta(minutes=10)

    def die_holding_the_lease() -> None:
        JudgeRun.objects.filter(pk=run.pk).update(
            status="running", lease_token="dead-worker", heartbeat_at=old
        )

    with django_capture_on_commit_callbacks():
        for attempt in (1, 2):
            die_holding_the_lease()
            assert llm_runs_fail_exhausted(max_attempts=2, older_than=60) == []
            assert llm_runs_resume_stale(older_than=60) == [("judge", run.pk)]
            assert JudgeRun.objects.get(pk=run.pk).attempts == attempt
        # A lost message (free lease) is enqueued again without counting as a death.
        JudgeRun.objects.filter(pk=run.pk).update(heartbeat_at=old)
        assert llm_runs_resume_stale(older_than=60) == [("judge", run.pk)]
        assert JudgeRun.objects.get(pk=run.pk).attempts == 2
        # A finished chunk is progress: the count starts again.
        chunk_of_5 = StepOptions(
            chunk_size=5,
            policy=fast.policy,
            prices=fast.prices,
            sleep=fast.sleep,
            cancel_poll_seconds=0.05,
        )
        assert judge_run_step(run_id=run.pk, options=chunk_of_5) is StepOutcome.MORE
        assert JudgeRun.objects.get(pk=run.pk).attempts == 0
        for _ in (1, 2):
            die_holding_the_lease()
            llm_runs_resume_stale(older_than=60)
        die_holding_the_lease()
        assert llm_runs_fail_exhausted(max_attempts=2, older_than=60) == [("judge", run.pk)]
    run.refresh_from_db()
    assert (run.status, run.lease_token, run.done_calls) == ("failed", "", 5)
    assert "gave up after 2 attempts" in run.error and "not paid for again" in run.error
    assert llm_runs_resume_stale(older_than=60) == []
