"""A lead asks for an agreement report in the browser; a real worker computes it; it shows."""

from __future__ import annotations

from typing import Any

import pytest

from llmops_core.models import JobStatus, Project, Report
from tests.browser.conftest import SCREENSHOTS, log_in
from tests.browser.reports_support import live_app, orm_beside_playwright_reports, varied_queue
from tests.support.worker import WorkerProcess

__all__ = ["live_app", "orm_beside_playwright_reports"]  # fixtures, imported for pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]


def test_lead_requests_a_report_and_reads_it_when_the_worker_is_done(
    orm_beside_playwright_reports: None,
    live_app: Any,
    celery_worker_process: WorkerProcess,
    page: Any,
    project: Project,
    lead: object,
) -> None:
    queue = varied_queue(project).queue
    log_in(page, live_app.url, "the-lead")
    page.goto(f"{live_app.url}/p/{project.slug}/reports/")
    page.select_option("#id_queue", str(queue.pk))
    page.click("[data-testid=request-report]")
    page.wait_for_url("**/reports/*/")
    report = Report.objects.get()
    assert page.locator("[data-poll-url]").count() == 1 or report.is_finished
    headline = page.locator("[data-testid=headline]")
    headline.wait_for(timeout=90_000)
    report.refresh_from_db()
    assert report.status == JobStatus.SUCCEEDED, report.error + celery_worker_process.log()
    text = headline.inner_text()
    assert text.startswith("Reviewers agree well on fluency (alpha 0.")
    assert "tentatively on relevance" in text and "poorly on factuality" in text
    images = page.locator("#charts img")
    assert images.count() == 4
    for index in range(4):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
        )
    assert page.locator("#reviewers tbody tr").count() == 4
    assert page.locator("#contested tbody tr a").count() > 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "agreement-report.png"), full_page=True)
    page.locator("#contested tbody tr a").first.click()
    page.wait_for_selector("#ratings tbody tr")
    assert page.locator("#ratings tbody tr").count() == 3
