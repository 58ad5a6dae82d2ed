"""The routing hook: new outputs from spans and imports schedule one routing task, after commit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from annotate.models import Queue
from annotate.services.routing import routing_rule_create, routing_rule_pause
from llmops_core.models import ModelOutput, Project
from llmops_core.services.imports import outputs_import
from llmops_core.services.jobs.dispatch import ROUTING_APPLY_TASK
from tests.llmops_core.test_imports import GOOD, jsonl, source

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    sent: list[tuple[Any, ...]] = []
    monkeypatch.setattr(
        "llmops_core.services.routing.task_publish", lambda *args: sent.append(args) or True
    )
    return sent


def test_span_outputs_schedule_one_routing_task_for_their_range(
    project: Project,
    lead: Any,
    queue: Queue,
    arrive: Callable[..., list[int]],
    published: list[tuple[Any, ...]],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        arrive(3, prefix="before")
    assert published == []  # no rule: nothing to route
    rule = routing_rule_create(project=project, data={"name": "r", "queue": queue.pk}, actor=lead)
    with django_capture_on_commit_callbacks(execute=True):
        ids = arrive(4)
    assert published == [(ROUTING_APPLY_TASK, project.pk, min(ids), max(ids))]
    routing_rule_pause(rule=rule, paused=True, actor=lead)
    with django_capture_on_commit_callbacks(execute=True):
        arrive(2, prefix="paused")
    assert len(published) == 1


def test_an_import_schedules_routing_for_the_outputs_it_created(
    project: Project,
    lead: Any,
    queue: Queue,
    published: list[tuple[Any, ...]],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    routing_rule_create(project=project, data={"name": "r", "queue": queue.pk}, actor=lead)
    with django_capture_on_commit_callbacks(execute=True):
        outputs_import(project=project, source=source(jsonl(GOOD)))
    ids = list(ModelOutput.objects.filter(project=project).values_list("id", flat=True))
    assert published == [(ROUTING_APPLY_TASK, project.pk, min(ids), max(ids))]
    with django_capture_on_commit_callbacks(execute=True):
        outputs_import(project=project, source=source(jsonl(GOOD)))  # nothing new
    assert len(published) == 1
