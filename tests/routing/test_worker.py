"""Routing on a real worker and broker: outputs arriving as spans or an import reach a queue,
the judge, or both, through the hook, the routing task and the judge's own runs."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from annotate.models import Queue, QueueItem
from annotate.services.routing import routing_rule_create
from annotate.services.routing.sampler import sample_draw
from llmops_core.models import JudgeRun, JudgeScore, ModelOutput, Project, RoutingRuleDay
from llmops_core.services.imports import outputs_import
from tests.routing.conftest import new_outputs
from tests.support.db import database_url_for_subprocess
from tests.support.openai_server import LocalOpenAIServer
from tests.support.worker import WorkerProcess, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(transactional_db: None) -> Iterator[WorkerProcess]:
    """A real worker whose judge dispatcher looks again every second."""
    process = WorkerProcess(
        database_url=database_url_for_subprocess(), env={"ROUTING_JUDGE_POLL_SECONDS": "1"}
    )
    process.start()
    try:
        yield process
    finally:
        process.stop()


def _scored(ids: list[int]) -> set[int]:
    return set(JudgeScore.objects.filter(output_id__in=ids).values_list("output_id", flat=True))


def _queued(queue: Queue, ids: list[int]) -> dict[int, float | None]:
    items = QueueItem.objects.filter(queue=queue, output_id__in=ids)
    return dict(items.values_list("output_id", "inclusion_probability"))


def test_queue_judge_and_both_rules_route_new_outputs_in_a_worker(
    worker: WorkerProcess,
    project: Project,
    lead: Any,
    queue: Queue,
    make_judge: Callable[..., Any],
    llm_server: LocalOpenAIServer,
) -> None:
    judge = make_judge()
    seed = 99
    make = lambda name, **data: routing_rule_create(  # noqa: E731
        project=project, data={"name": name, **data}, actor=lead, seed=seed
    )
    make("to queue", queue=queue.pk, rate_percent="50", filter={"tag": ["q"]})
    make("to judge", judge_version=judge.pk, filter={"tag": ["j"]})
    make("to both", queue=queue.pk, judge_version=judge.pk, filter={"tag": ["b"]})

    to_queue = new_outputs(project, 40, prefix="q", tags=["q"])
    to_judge = new_outputs(project, 15, prefix="j", tags=["j"])
    to_both = new_outputs(project, 10, prefix="b", tags=["b"])
    drawn = {pk for pk in to_queue if sample_draw(seed, pk) < 0.5}

    def done() -> bool:
        return (
            set(_queued(queue, to_queue)) == drawn
            and _scored(to_judge) == set(to_judge)
            and _scored(to_both) == set(to_both)
            and set(_queued(queue, to_both)) == set(to_both)
        )

    assert wait_for(done, timeout=90), worker.log()
    assert set(_queued(queue, to_queue).values()) == {0.5}
    assert set(_queued(queue, to_both).values()) == {1.0}
    assert not _queued(queue, to_judge) and not _scored(to_queue)
    assert llm_server.request_count == 25
    assert wait_for(lambda: all(r.is_finished for r in JudgeRun.objects.all()), timeout=30)
    assert {r.status for r in JudgeRun.objects.all()} == {"succeeded"}
    days = {d.rule.name: d for d in RoutingRuleDay.objects.select_related("rule")}
    assert (days["to queue"].seen, days["to queue"].sent_to_queue) == (40, len(drawn))
    assert (days["to judge"].seen, days["to judge"].sent_to_judge) == (15, 15)

    # An import's outputs are routed too (imports carry metadata, not tags).
    make("imported", queue=queue.pk, judge_version=judge.pk, filter={"metadata": ["src=imp"]})
    rows = [
        {
            "external_id": f"imp-{i}",
            "input": f"q{i}",
            "output": "an answer",
            "metadata": {"src": "imp"},
        }
        for i in range(6)
    ]
    data = "\n".join(json.dumps(r) for r in rows).encode()
    from tests.llmops_core.test_imports import source

    result = outputs_import(project=project, source=source(data))
    assert result.rows_created == 6, result.errors
    imported = list(
        ModelOutput.objects.filter(external_id__startswith="imp-").values_list("id", flat=True)
    )
    assert wait_for(
        lambda: (
            _scored(imported) == set(imported) and set(_queued(queue, imported)) == set(imported)
        ),
        timeout=60,
    ), worker.log()
    assert llm_server.request_count == 31
