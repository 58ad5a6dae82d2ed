"""Planning a calibration queue in chromium: the live forecast follows the form, then create."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from annotate.models import Queue
from llmops_core.metrics.ppi import forecast_widths
from llmops_core.models import Role
from tests.annotate.calibration_world import (
    human_scores,
    judge_scores,
    make_judge,
    make_version,
    version_outputs,
)
from tests.browser.conftest import eventually, log_in
from tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_forecast_follows_the_plan_and_the_queue_is_drawn(
    page: Any, live_server: Any, project: Any
) -> None:
    MembershipFactory(project=project, user=UserFactory(username="lena"), role=Role.LEAD)
    rita = UserFactory(username="rita")
    MembershipFactory(project=project, user=rita, role=Role.REVIEWER)
    version = make_version(project, 50)
    judge = make_judge(project)
    outputs = version_outputs(version)
    scores = [1 + (i * 3) % 5 for i in range(50)]
    judge_scores(judge, outputs, scores)
    humans = [min(5, s + i % 2) for i, s in enumerate(scores[:20])]
    human_scores(project, outputs[:20], humans, rita)
    log_in(page, live_server.url, "lena")
    page.goto(f"{live_server.url}/p/{project.slug}/queues/new/calibration/?version={version.pk}")
    page.select_option("#id_criterion", "fluency")
    page.fill("#id_budget", "10")
    expected = forecast_widths(
        np.zeros(50),
        10,
        pilot_human=humans,
        pilot_judge=scores[:20],
        pilot_uncertainty=np.zeros(20),
    )
    width = page.locator("#calibration-forecast .w-uniform")
    eventually(lambda: width.inner_text() == f"{expected.uniform:.3f}")
    assert page.locator("#calibration-forecast .w-human").inner_text() == (
        f"{expected.human_only:.3f}"
    )
    assert "50 outputs" in page.locator(".forecast-frame").inner_text()
    page.fill("#id_budget", "51")
    frame = page.locator(".forecast-frame")
    eventually(lambda: "outside 1-50" in frame.inner_text())
    page.fill("#id_budget", "10")
    eventually(lambda: width.inner_text() == f"{expected.uniform:.3f}")
    page.fill("#id_name", "calibrate v1")
    page.fill("#id_seed", "12")
    page.click("#calibration-form button.primary")
    page.wait_for_url(f"{live_server.url}/p/{project.slug}/queues/*/")
    queue = Queue.objects.get(name="calibrate v1")
    assert queue.item_count == 10 and queue.sampling == "uniform" and queue.seed == 12
