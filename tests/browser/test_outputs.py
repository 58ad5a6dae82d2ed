"""The outputs list in real headless chromium: a lead filters it, then makes a queue of the
results, and the queue holds exactly the outputs the filter showed."""

from __future__ import annotations

from typing import Any

import pytest

from annotate.models import Queue, QueueItem
from llmops_core.models import ModelOutput, Project, Role
from tests.browser.conftest import SCREENSHOTS, log_in
from tests.factories import MembershipFactory, UserFactory
from tests.versions.helpers import (
    judge_scores,
    make_outputs,
    make_queue,
    make_versions,
    rate_all,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCORES = {"fluency": 4, "relevance": 3, "factuality": 5}


def test_lead_filters_outputs_and_makes_a_queue_of_the_results(
    page: Any, live_server: Any, project: Project
) -> None:
    MembershipFactory(project=project, user=UserFactory(username="lena"), role=Role.LEAD)
    rita = UserFactory(username="rita")
    MembershipFactory(project=project, user=rita, role=Role.REVIEWER)
    v1, v2 = make_versions(project)
    a, b = make_outputs(project, v1, 4), make_outputs(project, v2, 4)
    ModelOutput.objects.filter(pk=b[0].pk).update(output_text="<b>not bold</b> answer")
    rated = make_queue(project, [a[0], b[1]], [rita], overlap=1)
    rate_all(rated, rita, lambda o: SCORES)
    judge_scores(project, {b[0]: {"fluency": 2, "relevance": 4, "factuality": 3}})

    log_in(page, live_server.url, "lena")
    page.goto(f"{live_server.url}/p/{project.slug}/")
    page.click("#outputs-link")
    page.wait_for_selector("#outputs")
    assert page.locator("#outputs tbody tr").count() == 8
    assert page.locator("#outputs", has_text="<b>not bold</b>").count() == 1  # shown as text

    # Version 2, not yet rated: b[0], b[2], b[3].
    page.select_option("#id_prompt_version_id", [str(v2.pk)])
    page.select_option("#id_rated", "no")
    page.click("#output-filter button[type=submit]")
    page.wait_for_selector("text=3 outputs match")
    shown = page.locator("#outputs tbody tr td:first-child a").all_inner_texts()
    assert shown == [f"#{o.pk}" for o in (b[3], b[2], b[0])]
    page.screenshot(path=str(SCREENSHOTS / "outputs-list.png"), full_page=True)

    # One output's page: its text shown as text, not markup.
    page.click(f"text=#{b[0].pk}")
    assert page.locator("#output-text").inner_text() == "<b>not bold</b> answer"
    assert page.locator("#output-text b").count() == 0
    page.screenshot(path=str(SCREENSHOTS / "output-detail.png"), full_page=True)
    page.go_back()
    page.wait_for_selector("text=3 outputs match")

    # A bad range is refused, naming the parameter, and keeps the filter in the form.
    page.select_option("#id_judge_criterion", "fluency")
    page.fill("#id_judge_min", "7")
    page.click("#output-filter button[type=submit]")
    assert page.locator("#filter-errors").inner_text() == "judge_min: 7 is outside 1-5"
    page.fill("#id_judge_min", "")
    page.select_option("#id_judge_criterion", "")
    page.click("#output-filter button[type=submit]")
    page.wait_for_selector("text=3 outputs match")

    page.click("#make-queue")
    page.wait_for_selector("#carried-filter")
    assert "3 outputs from the outputs list" in page.locator("#carried-filter").inner_text()
    page.fill("#id_name", "v2 unrated")
    page.check("text=rita")
    page.click("button.primary")
    page.wait_for_url(f"{live_server.url}/p/{project.slug}/queues/*/")
    queue = Queue.objects.get(name="v2 unrated")
    assert sorted(QueueItem.objects.filter(queue=queue).values_list("output_id", flat=True)) == [
        b[0].pk,
        b[2].pk,
        b[3].pk,
    ]
