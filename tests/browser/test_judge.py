"""A lead configures a judge in the browser, runs it on a queue and reads the comparison report.

The judge's endpoint is a local OpenAI-compatible server started by the test; the runs and
the report are computed by a real Celery worker.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from llmops_core.models import JudgeRun, Project, Report
from tests.browser.conftest import SCREENSHOTS, log_in
from tests.browser.judge_support import judge_server, orm_beside_judge_browser, rated_queue
from tests.support.openai_server import LocalOpenAIServer
from tests.support.worker import WorkerProcess

__all__ = ["judge_server", "orm_beside_judge_browser"]  # fixtures, imported for pytest

pytestmark = [
    pytest.mark.usefixtures("orm_beside_judge_browser"),
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]
KEY = "sk-browser-secret-7788"


def run_on_queue(page: Any, queue_id: int) -> None:
    """Start the selected judge version on the queue and wait until the worker is done."""
    page.select_option("#id_run-queue", str(queue_id))
    page.click("[data-testid=start-run]")
    page.wait_for_url("**/judge-runs/*/")
    page.wait_for_selector("[data-testid=run-status]:text('succeeded')", timeout=90_000)


def test_a_lead_runs_a_judge_and_reads_how_far_it_can_be_trusted(
    live_server: Any,
    celery_worker_process: WorkerProcess,
    page: Any,
    project: Project,
    lead: Any,
    make_member: Callable[..., Any],
    judge_server: LocalOpenAIServer,
) -> None:
    queue = rated_queue(project, make_member)
    base = live_server.url
    log_in(page, base, "the-lead")
    page.goto(f"{base}/p/{project.slug}/judges/")

    # An endpoint for the local server, its key stored and never shown again.
    page.fill("#id_endpoint-name", "local-test")
    page.fill("#id_endpoint-base_url", judge_server.base_url)
    page.fill("#id_endpoint-api_key", KEY)
    page.click("[data-testid=new-endpoint] button[type=submit]")
    page.wait_for_selector("[data-testid=endpoints]:has-text('…7788')")
    assert KEY not in page.content()

    # A judge: version 1 is the built-in prompt on the default rubric.
    page.fill("#id_judge-name", "quality-judge")
    page.fill("#id_judge-description", "Scores fluency, relevance and factuality.")
    page.fill("#id_version-model_name", "demo-judge")
    page.select_option("#id_version-endpoint", label=f"local-test ({judge_server.base_url})")
    page.click("[data-testid=new-judge] button[type=submit]")
    page.wait_for_url("**/judges/quality-judge/")
    run_on_queue(page, queue.pk)
    assert page.locator("[data-field=done_calls]").inner_text() == "60"

    # Version 2 with stricter instructions, run on the same queue.
    page.goto(f"{base}/p/{project.slug}/judges/quality-judge/")
    page.fill("#id_version-system_message", "Be strict: a 5 needs a flawless answer.")
    page.click("[data-testid=version-form] button[type=submit]")
    page.wait_for_selector("text=Saved as version 2.")
    run_on_queue(page, queue.pk)
    assert JudgeRun.objects.filter(status="succeeded").count() == 2

    page.click("[data-testid=compare]")
    page.wait_for_url("**/judge-reports/*/")
    summary = page.locator("[data-testid=summary]")
    summary.wait_for(timeout=90_000)
    report = Report.objects.get()
    assert report.status == "succeeded", report.error + celery_worker_process.log()
    text = summary.inner_text()
    assert (
        "quality-judge v2 (demo-judge, pointwise) compared with human ratings on 60 items" in text
    )
    assert "alternative-annotator test" in text
    for name in ("heatmap", "bias", "calibration", "cost", "trend"):
        image = page.locator(f"[data-testid=chart-{name}]")
        image.scroll_into_view_if_needed()
        page.wait_for_function(
            "(img) => img.complete && img.naturalWidth > 0",
            arg=image.element_handle(),
            timeout=30_000,
        )
    assert page.locator("[data-testid=trend] tbody tr").count() == 2
    assert page.locator("[data-testid=criterion-fluency] table.heat td").count() == 25
    assert KEY not in page.content()
    page.set_viewport_size({"width": 1400, "height": 1800})
    page.evaluate("window.scrollTo(0, 0)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "judge-report.png"))
