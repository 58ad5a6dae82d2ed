"""Screenshots of the pages that watch production, for the README: monitoring and drift.

Each test also checks what the page says, so a screenshot of a broken page fails the test.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from django.utils import timezone

from annotate.services.demo import demo_seed
from llmops_core.models import JobStatus, ModelOutput
from llmops_core.services.drift import drift_report_compute, drift_report_request
from llmops_core.services.monitoring import rollups_rebuild
from tests.browser.conftest import SCREENSHOTS, log_in
from tests.drift.builders import outputs_between, weeks_spec

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_monitoring_page_shows_traffic_errors_and_latency(page: Any, live_server: Any) -> None:
    project = demo_seed().project
    rng = np.random.default_rng(3)
    now = timezone.now()
    made = outputs_between(
        project, since=now - timedelta(days=6), n=600, rng=rng, error_share=0.04, prefix="m"
    )
    models = ["gpt-4o-mini", "llama-3.1-8b"]
    for i, output in enumerate(made):
        output.model_name = models[i % 2]
        output.latency_ms = int(rng.lognormal(np.log(700 if i % 2 else 400), 0.4))
        output.tokens_in, output.tokens_out = 120 + i % 50, 60 + i % 90
        output.error_type = "RateLimitError" if output.status == "error" else ""
    ModelOutput.objects.bulk_update(
        made, ["model_name", "latency_ms", "tokens_in", "tokens_out", "error_type"]
    )
    rollups_rebuild(project_id=project.pk)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    log_in(page, live_server.url, "lead", "demo")
    page.goto(f"{live_server.url}/p/demo/monitoring/?range=7d&granularity=day")
    page.wait_for_selector("[data-testid=totals]")
    text = page.inner_text("main")
    assert "llama-3.1-8b" in text and "RateLimitError" in text
    page.screenshot(path=str(SCREENSHOTS / "monitoring.png"), full_page=True)


def test_a_drift_report_says_what_changed_in_words(page: Any, live_server: Any) -> None:
    project = demo_seed().project
    rng = np.random.default_rng(4)
    end = timezone.now().replace(microsecond=0)
    outputs_between(project, since=end - timedelta(days=14), n=500, rng=rng, prefix="b")
    outputs_between(
        project,
        since=end - timedelta(days=7),
        n=500,
        rng=rng,
        scale=1.2,
        refusal_share=0.08,
        prefix="a",
    )
    report, _ = drift_report_request(project=project, requested_by=None, spec=weeks_spec(end=end))
    done = drift_report_compute(report_id=report.pk)
    assert done is not None and done.status == JobStatus.SUCCEEDED, done and done.error
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    log_in(page, live_server.url, "lead", "demo")
    page.goto(f"{live_server.url}/p/demo/drift/{report.pk}/")
    headline = page.inner_text("[data-testid=drift-headline]")
    assert "longer" in headline
    assert "Refusals rose" in page.inner_text("[data-testid=drift-summary]")
    page.screenshot(path=str(SCREENSHOTS / "drift-report.png"), full_page=True)
