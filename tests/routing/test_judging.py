"""Online judging of routed outputs: one run at a time, within the day's budget, said plainly."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from annotate.selectors.routing import routing_judge_day, routing_rule_rows
from annotate.services.routing import routing_apply, routing_judge_dispatch, routing_rule_create
from llmops_core.models import (
    JudgeRun,
    JudgeScore,
    LLMCall,
    Project,
    RoutedOutput,
    RoutingRule,
    RoutingRuleDay,
)
from llmops_core.services.judges.runs import judge_run_step
from llmops_core.services.llm_runs import StepOptions, StepOutcome
from tests.support.openai_server import LocalOpenAIServer

pytestmark = pytest.mark.django_db


def _route(project: Project, ids: list[int]) -> None:
    routing_apply(project_id=project.pk, first_id=min(ids), last_id=max(ids))


def _finish(run: JudgeRun, fast: StepOptions) -> JudgeRun:
    while judge_run_step(run_id=run.pk, options=fast) is StepOutcome.MORE:
        pass
    run.refresh_from_db()
    return run


def _rule(project: Project, lead: Any, version: Any, **data: Any) -> RoutingRule:
    return routing_rule_create(
        project=project, data={"name": "judge all", "judge_version": version.pk, **data}, actor=lead
    )


def test_judged_outputs_get_scores_and_a_second_run_waits_for_the_first(
    project: Project,
    lead: Any,
    make_judge: Callable[..., Any],
    arrive: Callable[..., list[int]],
    fast: StepOptions,
    llm_server: LocalOpenAIServer,
) -> None:
    rule = _rule(project, lead, make_judge())
    ids = arrive(12)
    _route(project, ids)
    rule.refresh_from_db()
    assert rule.judge_polled_at is not None  # routing started a dispatcher
    assert routing_judge_dispatch(rule_id=rule.pk) is True  # look again: the run is under way
    run = JudgeRun.objects.get()
    assert run.parameters["output_ids"] == ids
    more = arrive(5, prefix="more")
    _route(project, more)
    assert routing_judge_dispatch(rule_id=rule.pk) is True  # the first run is under way
    assert JudgeRun.objects.count() == 1
    assert _finish(run, fast).status == "succeeded"
    assert routing_judge_dispatch(rule_id=rule.pk) is True
    second = JudgeRun.objects.exclude(pk=run.pk).get()
    assert _finish(second, fast).status == "succeeded"
    assert routing_judge_dispatch(rule_id=rule.pk) is False  # nothing waits, nothing runs
    rule.refresh_from_db()
    assert rule.judge_polled_at is None
    day = RoutingRuleDay.objects.get(rule=rule)
    assert day.spend == sum(LLMCall.objects.values_list("cost", flat=True), Decimal(0)) > 0
    assert set(JudgeScore.objects.values_list("output_id", flat=True)) == {*ids, *more}
    assert llm_server.request_count == 17
    # Routing the same outputs again sends nothing more to the judge.
    _route(project, ids + more)
    assert routing_judge_dispatch(rule_id=rule.pk) is False and JudgeRun.objects.count() == 2


def test_the_day_budget_stops_judging_and_the_list_says_when_and_how_many(
    project: Project,
    lead: Any,
    make_judge: Callable[..., Any],
    arrive: Callable[..., list[int]],
    fast: StepOptions,
) -> None:
    rule = _rule(project, lead, make_judge(), judge_day_budget="0.01")
    ids = arrive(80)
    _route(project, ids)
    routing_judge_dispatch(rule_id=rule.pk)
    run = JudgeRun.objects.get()
    assert run.parameters["budget"] == "0.01"
    # Small chunks and a budget check at every result, as tests/judges checks the budget stop.
    exact = StepOptions(
        chunk_size=10,
        policy=fast.policy,
        prices=fast.prices,
        sleep=fast.sleep,
        cancel_poll_seconds=0,
    )
    run = _finish(run, exact)
    assert run.status == "cancelled" and run.error.startswith("stopped at its budget"), run.error
    spent = sum(LLMCall.objects.values_list("cost", flat=True), Decimal(0))
    per_call = spent / run.done_calls
    assert Decimal("0.01") <= spent <= Decimal("0.01") + 8 * per_call  # calls in flight finish
    assert 0 < run.done_calls < 80
    later = arrive(10, prefix="later")
    _route(project, later)
    assert not routing_judge_dispatch(rule_id=rule.pk)
    assert JudgeRun.objects.count() == 1
    assert set(
        RoutedOutput.objects.filter(output_id__in=later).values_list("judge_state", flat=True)
    ) == {"over_budget"}
    state = routing_judge_day(rule=rule, date=run.created_at.date())
    assert state.spend == spent and state.reached_at == run.finished_at
    day = RoutingRuleDay.objects.get(rule=rule)
    assert day.spend == spent and day.judge_cap_reached_at is not None
    row = routing_rule_rows(project=project)[0]
    not_judged = 80 - run.done_calls + 10
    assert row.judge_note.startswith("cap of $0.01 reached at ")
    assert row.judge_note.endswith(f"; {not_judged} outputs not judged")
    assert "10 skipped: judge budget reached" in row.summary


def test_a_rule_that_both_queues_and_judges_draws_one_sample_for_both(
    project: Project,
    lead: Any,
    queue: Any,
    make_judge: Callable[..., Any],
    arrive: Callable[..., list[int]],
) -> None:
    rule = _rule(project, lead, make_judge(), queue=queue.pk, rate_percent="50")
    ids = arrive(60)
    _route(project, ids)
    routing_judge_dispatch(rule_id=rule.pk)
    queued = set(queue.items.values_list("output_id", flat=True))
    assert set(JudgeRun.objects.get().parameters["output_ids"]) == queued
    assert 10 < len(queued) < 50
    n = len(queued)
    assert routing_rule_rows(project=project)[0].summary == (
        f"sent {n} of 60 outputs to queue Support QA; {n} sent to judge quality v1"
    )


def test_the_catch_up_sweep_restarts_a_dispatcher_that_was_lost(
    project: Project,
    lead: Any,
    make_judge: Callable[..., Any],
    arrive: Callable[..., list[int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import datetime as dt

    from django.utils import timezone

    from annotate.services.routing import routing_catch_up

    enqueued: list[tuple[Any, ...]] = []
    monkeypatch.setattr(
        "annotate.services.routing.apply.job_enqueue", lambda *args: enqueued.append(args)
    )
    rule = _rule(project, lead, make_judge())
    _route(project, arrive(4))
    assert len(enqueued) == 1  # routing started the dispatcher
    routing_catch_up()
    assert len(enqueued) == 1  # it is looking: nothing to restart
    old = timezone.now() - dt.timedelta(minutes=5)
    RoutingRule.objects.filter(pk=rule.pk).update(judge_polled_at=old)  # its message was lost
    routing_catch_up()
    assert [args[1] for args in enqueued] == [rule.pk, rule.pk]
