"""The thumbs-down rate over a window, in the shape of an alert metric."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from llmops_core.models import Feedback, Project
from llmops_core.selectors.feedback import feedback_down_rate
from llmops_core.services.feedback import feedback_submit
from tests.factories import ModelOutputFactory

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Filter:  # the fields of services.alerts.metrics.MetricFilter it reads
    prompt_version_id: int | None = None
    model_name: str = ""


def test_the_rate_counts_thumbs_in_the_window_and_is_undefined_without(
    project: Project,
) -> None:
    a = ModelOutputFactory(project=project, model_name="m-a")
    b = ModelOutputFactory(project=project, model_name="m-b")
    now, day = timezone.now(), timedelta(days=1)
    assert feedback_down_rate(project, now, day, Filter()) is None  # no thumbs: undefined
    rows = [{"output_id": a.pk, "value": v} for v in ("down", "up", "up")]
    rows += [{"output_id": b.pk, "value": "down"}, {"output_id": b.pk, "comment": "x"}]
    feedback_submit(project=project, rows=rows, source="api")
    old = Feedback.objects.filter(output=a, thumb=True).first()
    assert old is not None
    Feedback.objects.filter(pk=old.pk).update(created_at=now - 2 * day)  # outside the window
    end = now + timedelta(seconds=1)
    assert feedback_down_rate(project, end, day, Filter()) == pytest.approx(2 / 3)
    assert feedback_down_rate(project, end, day, Filter(model_name="m-a")) == 0.5
    assert feedback_down_rate(project, end, day, Filter(model_name="m-b")) == 1.0
    assert feedback_down_rate(project, end, day, Filter(prompt_version_id=12345)) is None
