"""A lead starts an export in the browser, watches it finish on a real worker, downloads it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from llmops_core.models import ExportJob, JobStatus
from tests.exports.builders import RatedProject
from tests.support.worker import WorkerProcess

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def live_app(django_db_setup: None, live_server: Any) -> Any:
    """The live server, started after the test database so that it stops before it goes."""
    return live_server


@pytest.fixture
def chromium_page() -> Iterator[Any]:
    """A page of headless Debian chromium; page errors and console errors are collected."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (make setup installs it)")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # ORM calls between browser steps
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            page.set_default_timeout(30_000)
            page.errors = []
            page.on("pageerror", lambda error: page.errors.append(str(error)))
            # A failed request is reported by URL below, not by its console line.
            page.on(
                "console",
                lambda m: (
                    page.errors.append(m.text)
                    if m.type == "error" and "Failed to load resource" not in m.text
                    else None
                ),
            )
            page.on(
                "response",
                lambda r: (
                    page.errors.append(f"{r.status} {r.url}")
                    if r.status >= 400 and not r.url.endswith("/favicon.ico")
                    else None
                ),
            )
            yield page
            # ORM calls made while Playwright's loop runs get connections of their own;
            # close them here, in that context, or PostgreSQL cannot drop the test database.
            connections.close_all()
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def test_a_lead_exports_and_watches_the_job_finish(
    live_app: Any,
    celery_worker_process: WorkerProcess,
    chromium_page: Any,
    rated: RatedProject,
    lead: Any,
) -> None:
    page, base = chromium_page, live_app.url
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "the-lead")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/p/{rated.project.slug}/exports/")
    ranking = page.locator("fieldset[data-kinds]")
    assert ranking.is_hidden()  # ranking options only for pairs and SFT
    page.select_option("select[name=kind]", "preferences")
    assert ranking.is_visible()
    page.select_option("select[name=format]", "csv")
    page.check("input[name=exclude_flagged]")
    page.click("#export-form button[type=submit]")
    page.wait_for_url("**/exports/*/")
    page.locator("[data-field=status].status-succeeded").wait_for(timeout=60_000)
    page.locator("#agreement").wait_for()  # the page reloads to show the datasheet
    job = ExportJob.objects.get()
    assert job.status == JobStatus.SUCCEEDED, job.error + celery_worker_process.log()
    assert job.rows == 2 and page.locator(f"text={job.sha256}").count() == 1
    with page.expect_download() as download:
        page.click("text=Download")
    assert Path(download.value.path()).read_bytes() == job.file.open("rb").read()
    page.goto(f"{base}/p/{rated.project.slug}/exports/")
    assert page.locator("#export-jobs [data-field=status]").inner_text() == "Succeeded"
    if os.environ.get("EXPORT_SCREENSHOTS"):
        page.screenshot(path=os.environ["EXPORT_SCREENSHOTS"], full_page=True)
    assert not page.errors, page.errors
