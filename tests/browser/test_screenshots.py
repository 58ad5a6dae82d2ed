"""Screenshots of the demo for the README: the rating page and a lead's queue page."""

from __future__ import annotations

from typing import Any

import pytest

from annotate.services.demo import demo_seed
from tests.browser.conftest import SCREENSHOTS, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_screenshots_of_the_demo(page: Any, live_server: Any) -> None:
    summary = demo_seed()
    queue = summary.project.queues.get(name="Support replies")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    log_in(page, live_server.url, "reviewer1", "demo")
    page.goto(f"{live_server.url}/p/demo/queues/{queue.pk}/rate/")
    page.wait_for_selector('#rate-app[data-state="rate"]')
    for key in ("4", "3"):
        page.keyboard.press(key)
    page.locator('.crit[data-criterion="factuality"] .level[data-score="4"]').hover()
    page.screenshot(path=str(SCREENSHOTS / "rating.png"))
    page.context.clear_cookies()
    log_in(page, live_server.url, "lead", "demo")
    page.goto(f"{live_server.url}/p/demo/queues/{queue.pk}/")
    page.wait_for_selector("#reviewer-table")
    page.screenshot(path=str(SCREENSHOTS / "queue.png"), full_page=True)
    page.goto(f"{live_server.url}/p/demo/queues/{queue.pk}/controls/")
    page.wait_for_selector("h1")
    page.screenshot(path=str(SCREENSHOTS / "queue-controls.png"))
    assert (SCREENSHOTS / "rating.png").stat().st_size > 10_000
