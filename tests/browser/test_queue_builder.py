"""Building a queue over two prompt versions in real chromium: the live count, then close/reopen."""

from __future__ import annotations

from typing import Any

import pytest

from annotate.models import Queue
from llmops_core.models import Role
from tests.annotate.study import import_file, two_versions
from tests.browser.conftest import SCREENSHOTS, eventually, log_in
from tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_lead_builds_a_queue_over_two_versions_then_closes_and_reopens_it(
    page: Any, live_server: Any, project: Any
) -> None:
    MembershipFactory(project=project, user=UserFactory(username="lena"), role=Role.LEAD)
    MembershipFactory(project=project, user=UserFactory(username="rita"), role=Role.REVIEWER)
    v1, v2 = two_versions(project)
    import_file(project, v1, 20, "m1")
    import_file(project, v2, 20, "m2")
    log_in(page, live_server.url, "lena")
    page.goto(f"{live_server.url}/p/{project.slug}/queues/new/")
    count = page.locator('[data-testid="preview-count"]')

    page.fill("#id_name", "v1 against v2")
    page.check(f'input[name="prompt_versions"][value="{v1.pk}"]')
    eventually(lambda: count.inner_text() == "20 outputs chosen")
    # A version OR a model: v1 plus model m2 is both files, not their (empty) overlap.
    page.check('input[name="models"][value="m2"]')
    eventually(lambda: count.inner_text() == "40 outputs chosen")
    assert page.locator(".preview-arms li").count() == 2
    page.select_option("#id_order", "interleaved")
    page.check('input[name="reviewers"] >> nth=0')
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(".output-choice").screenshot(path=str(SCREENSHOTS / "queue-builder.png"))
    page.click("#queue-form button.primary")

    page.wait_for_selector("#queue-design")
    queue = Queue.objects.get(name="v1 against v2")
    assert queue.item_count == 40 and queue.order == "interleaved"
    design = page.locator("#queue-design").inner_text()
    assert "Interleaved" in design and str(queue.seed) in design
    assert "faq v1" in design and "faq v2" in design
    served = list(
        queue.items.order_by("position").values_list("output__prompt_version_id", flat=True)
    )
    assert served[:4] == [v1.pk, v2.pk, v1.pk, v2.pk]

    page.click("#queue-controls-link")
    state = page.locator('#state [data-testid="queue-state"]')
    assert state.inner_text() == "open"
    page.click('#state button[value="close"]')
    page.wait_for_selector("text=The queue is now closed.")
    assert state.inner_text() == "closed"
    page.click('#state button[value="open"]')
    page.wait_for_selector("text=The queue is now open.")
    assert state.inner_text() == "open"
    queue.refresh_from_db()
    assert queue.status == "open"
