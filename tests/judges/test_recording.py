"""Recording a run's results: what arrives together is written together, one insert per table."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from llmops_core.llm.datatypes import CallResult
from llmops_core.llm.executor import run_calls
from llmops_core.models import JudgeRun, JudgeScore, LLMCacheEntry, LLMCall, Project
from llmops_core.services.judges.plans import judge_plan
from llmops_core.services.judges.runs import judge_run_create
from llmops_core.services.llm_runs import StepOptions
from llmops_core.services.llm_runs.records import ChunkRecorder
from llmops_core.services.llm_runs.totals import Counters
from tests.judges.helpers import make_outputs, make_queue, run_to_end
from tests.support.openai_server import LocalOpenAIServer

pytestmark = pytest.mark.django_db


def _inserts(queries: CaptureQueriesContext, table: str) -> int:
    """Count the INSERT statements into ``table`` (SQLite spells an ignored conflict first)."""
    insert = re.compile(rf'^INSERT (OR IGNORE )?INTO "{table}"')
    return sum(1 for q in queries.captured_queries if insert.match(q["sql"]))


def _answered(run: JudgeRun) -> tuple[ChunkRecorder, list[CallResult]]:
    """Ask the local server every call of ``run``; return a recorder for it and the replies."""
    plan = judge_plan(run)
    calls, _ = plan.prepare(plan.subject_keys())
    results: list[CallResult] = []
    run_calls(
        [call.request for call in calls],
        plan.endpoint,
        on_result=results.append,
        parser=plan.parser,
        concurrency=4,
    )
    recorder = ChunkRecorder("judge", JudgeRun, run, "token", plan, 60.0, Counters())
    recorder.groups = {call.request.key: [call] for call in calls}
    return recorder, results


@pytest.fixture
def run(
    project: Project, make_judge: Callable[..., Any], llm_server: LocalOpenAIServer
) -> JudgeRun:
    queue = make_queue(project, make_outputs(project, 6))
    return judge_run_create(project=project, judge_version=make_judge(), queue_id=queue.pk)


def test_results_that_arrive_together_are_written_with_one_insert_per_table(
    run: JudgeRun,
) -> None:
    recorder, results = _answered(run)
    assert all(result.ok for result in results)
    with CaptureQueriesContext(connection) as queries:
        recorder.on_results(results)
    assert _inserts(queries, "llmops_core_llmcall") == 1
    assert _inserts(queries, "llmops_core_llmcacheentry") == 1
    assert _inserts(queries, "llmops_core_judgescore") == 1
    assert LLMCall.objects.filter(run_kind="judge", run_id=run.pk).count() == 6
    assert LLMCacheEntry.objects.count() == 6
    assert JudgeScore.objects.filter(run=run).count() == 18
    assert (recorder.counters.done, recorder.counters.errors) == (6, 0)


def test_a_subject_another_step_recorded_first_is_skipped_and_the_others_are_kept(
    run: JudgeRun,
) -> None:
    """The unique subject per run refuses the whole batch; it is then written row by row."""
    recorder, results = _answered(run)
    other, _ = _answered(run)
    other.on_result(results[2])  # a step presumed dead recorded this one meanwhile
    recorder.on_results(results)
    calls = LLMCall.objects.filter(run_kind="judge", run_id=run.pk)
    assert calls.count() == 6
    assert calls.values("subject_key").distinct().count() == 6
    assert JudgeScore.objects.filter(run=run).count() == 18
    assert (recorder.counters.done, other.counters.done) == (5, 1)


def test_a_run_served_from_the_cache_writes_each_chunk_in_one_transaction(
    project: Project,
    make_judge: Callable[..., Any],
    llm_server: LocalOpenAIServer,
    fast: StepOptions,
) -> None:
    version = make_judge()
    queue = make_queue(project, make_outputs(project, 60))
    run_to_end(judge_run_create(project=project, judge_version=version, queue_id=queue.pk), fast)
    again = judge_run_create(project=project, judge_version=version, queue_id=queue.pk)
    with CaptureQueriesContext(connection) as queries:
        again = run_to_end(again, fast)
    assert (again.status, again.cached_calls) == ("succeeded", 60)
    chunks = 3  # 60 outputs, 25 per step
    assert _inserts(queries, "llmops_core_llmcall") == chunks
    assert _inserts(queries, "llmops_core_judgescore") == chunks
    assert llm_server.request_count == 60
