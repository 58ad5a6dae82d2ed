"""Reading a long output with the keyboard in real chromium: Space and the page keys scroll the
output panel, Space never scores, a cue says when text continues below, and on a phone the next
item's question comes into view after each submit."""

from __future__ import annotations

from typing import Any

import pytest

from annotate.models import Annotation, Queue
from llmops_core.models import ModelOutput, Role
from tests.annotate.helpers import make_queue
from tests.browser.conftest import eventually, log_in
from tests.browser.test_rating_page import keys, next_shown, rate_url, shown_item
from tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG = "\n\n".join(f"Paragraph {n}: open Settings, then Account, then Reset." for n in range(80))


@pytest.fixture
def reviewer(project: Any) -> Any:
    user = UserFactory(username="rhea")
    MembershipFactory(project=project, user=user, role=Role.REVIEWER)
    return user


@pytest.fixture
def long_queue(project: Any, reviewer: Any) -> Queue:
    queue = make_queue(project, items=4, reviewers=[reviewer], overlap=1)
    ModelOutput.objects.filter(queue_items__queue=queue).update(
        output_text=LONG, input={"question": "How do I reset my password?"}
    )
    return queue


def scroll_top(page: Any) -> float:
    return float(page.evaluate("document.getElementById('output-body').scrollTop"))


def cue_shown(page: Any) -> bool:
    return bool(page.locator('[data-field="more-below"]').is_visible())


def test_scroll_keys_scroll_the_output_and_space_never_scores(
    page: Any, live_server: Any, long_queue: Queue, reviewer: Any
) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, live_server.url, "rhea")
    page.goto(live_server.url + rate_url(long_queue))
    item = shown_item(page)
    focused = page.evaluate("document.activeElement.closest('.scale') !== null")
    assert focused, "a score button has the focus, where Space used to press it"
    assert scroll_top(page) == 0 and cue_shown(page)

    keys(page, "Space")
    after_space = scroll_top(page)
    assert after_space > 0
    assert page.locator(".level.is-selected").count() == 0, "Space set no score"
    keys(page, "PageDown")
    assert scroll_top(page) > after_space
    keys(page, "PageUp")
    assert scroll_top(page) == pytest.approx(after_space, abs=2)
    keys(page, "End")
    page.wait_for_function("() => document.querySelector('[data-field=\"more-below\"]').hidden")
    keys(page, "Home")
    assert scroll_top(page) == 0 and cue_shown(page)
    keys(page, "Shift+Space")
    assert scroll_top(page) == 0

    keys(page, "4", "3", "5", "Space", "Enter")
    next_shown(page, item)
    eventually(lambda: Annotation.objects.filter(item_id=item).exists())
    scores = dict(
        Annotation.objects.get(item_id=item).ratings.values_list("criterion__name", "score")
    )
    assert scores == {"fluency": 4, "relevance": 3, "factuality": 5}


def test_no_cue_when_the_output_fits(
    page: Any, live_server: Any, project: Any, reviewer: Any
) -> None:
    queue = make_queue(project, items=1, reviewers=[reviewer], overlap=1)
    ModelOutput.objects.filter(queue_items__queue=queue).update(output_text="Short reply.")
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, live_server.url, "rhea")
    page.goto(live_server.url + rate_url(queue))
    shown_item(page)
    assert not cue_shown(page)
    keys(page, "Space")
    assert page.locator(".level.is-selected").count() == 0


def test_on_a_phone_the_next_question_is_scrolled_into_view_after_submit(
    browser: Any, live_server: Any, long_queue: Queue, reviewer: Any
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    page = context.new_page()
    log_in(page, live_server.url, "rhea")
    page.goto(live_server.url + rate_url(long_queue))
    item = shown_item(page)
    for criterion, score in (("fluency", "5"), ("relevance", "4"), ("factuality", "3")):
        page.locator(f'.crit[data-criterion="{criterion}"] .level[data-score="{score}"]').tap()
    page.locator('button[data-action="submit"]').tap()
    next_shown(page, item)
    page.wait_for_function(
        "() => { const r = document.getElementById('input-title').getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= window.innerHeight; }",
        timeout=3000,
    )
    context.close()
