"""The rating page in real headless chromium: keyboard-only rating, skip, flag, undo, edit,
the mouse on a phone-sized screen, and untrusted output that must stay inert."""

from __future__ import annotations

from typing import Any

import pytest

from annotate.models import Annotation, Assignment, Queue, RatingRevision
from llmops_core.models import AuditEvent, ModelOutput, Role
from tests.annotate.helpers import make_queue
from tests.browser.conftest import eventually, log_in
from tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def reviewer(project: Any) -> Any:
    user = UserFactory(username="rita")
    MembershipFactory(project=project, user=user, role=Role.REVIEWER)
    return user


@pytest.fixture
def queue(project: Any, reviewer: Any) -> Queue:
    queue = make_queue(
        project,
        items=8,
        reviewers=[reviewer],
        overlap=2,
        guidelines="Rate the **reply**, not the question.",
    )
    for n, output in enumerate(
        ModelOutput.objects.filter(queue_items__queue=queue).order_by("queue_items__position"),
        start=1,
    ):
        output.input = {
            "question": f"Question {n}: how do I reset my password?",
            "product": "Acme Notes",
        }
        output.output_text = (
            f"Reply {n}. Open **Settings → Account** and choose *Reset*.\n\n"
            "```\nsettings --reset-password\n```"
        )
        output.save()
    return queue


def rate_url(queue: Queue) -> str:
    return f"/p/{queue.project.slug}/queues/{queue.pk}/rate/"


def shown_item(page: Any, state: str = "rate") -> int:
    page.wait_for_selector(f'#rate-app[data-state="{state}"]')
    return int(page.locator('[data-field="item-label"]').inner_text().split()[-1])


def next_shown(page: Any, before: int) -> int:
    page.wait_for_function(
        "before => { const el = document.querySelector('[data-field=\"item-label\"]');"
        " return el && el.textContent !== 'item ' + before; }",
        arg=before,
    )
    return shown_item(page)


def keys(page: Any, *pressed: str) -> None:
    for key in pressed:
        page.keyboard.press(key)


def scores_of(item: int) -> dict[str, int]:
    annotation = Annotation.objects.get(item_id=item)
    return dict(annotation.ratings.values_list("criterion__name", "score"))


def test_reviewer_rates_by_keyboard_skips_flags_undoes_and_edits(
    page: Any, live_server: Any, queue: Queue, reviewer: Any
) -> None:
    log_in(page, live_server.url, "rita")
    page.click(f'a[href="{rate_url(queue)}"]')
    first = shown_item(page)
    assert page.locator("#output-body pre code").inner_text().strip() == "settings --reset-password"

    keys(page, "4", "3", "5")
    assert (
        page.locator('.crit[data-criterion="factuality"] .anchor-hint')
        .inner_text()
        .startswith("5 — Entirely correct")
    )
    keys(page, "Enter")
    second = next_shown(page, first)
    keys(page, "2", "2", "1", "Enter")
    third = next_shown(page, second)
    keys(page, "ArrowDown", "ArrowDown", "5", "ArrowUp", "ArrowUp", "5", "5", "Enter")
    skipped = next_shown(page, third)

    keys(page, "s")
    page.wait_for_selector('[data-field="skip-panel"]:not([hidden])')
    keys(page, "2", "Enter")
    flagged = next_shown(page, skipped)

    keys(page, "f", "2", "Enter")  # flag "broken" and submit without scores
    after_flag = next_shown(page, flagged)
    eventually(lambda: Annotation.objects.filter(item_id=flagged).exists())

    keys(page, "u")  # undo the flagged submission: the item comes back, flag still set
    assert next_shown(page, after_flag) == flagged
    assert page.locator('.flag[data-flag="broken"]').get_attribute("aria-pressed") == "true"
    keys(page, "1", "1", "1", "Enter")
    assert next_shown(page, flagged) == after_flag

    keys(page, "h")  # history: newest first; the first rating is the fourth entry
    page.wait_for_selector(".history-item")
    keys(page, "ArrowDown", "ArrowDown", "ArrowDown", "Enter")
    page.wait_for_selector('[data-field="edit-banner"]:not([hidden])')
    assert shown_item(page, "edit") == first
    assert page.locator('.crit[data-criterion="fluency"] .level.is-selected').inner_text() == "4"
    keys(page, "2", "Enter")  # fluency 4 -> 2
    page.wait_for_selector('[data-field="edit-banner"]', state="hidden")
    assert shown_item(page) == after_flag

    eventually(
        lambda: (
            Annotation.objects.filter(reviewer=reviewer).count() == 4
            and RatingRevision.objects.exists()
        )
    )
    assert scores_of(first) == {"fluency": 2, "relevance": 3, "factuality": 5}
    assert scores_of(second) == {"fluency": 2, "relevance": 2, "factuality": 1}
    assert scores_of(third) == {"fluency": 5, "relevance": 5, "factuality": 5}
    assert scores_of(flagged) == {"fluency": 1, "relevance": 1, "factuality": 1}
    assert Annotation.objects.get(item_id=flagged).flags == ["broken"]
    revision = RatingRevision.objects.get()
    assert (revision.changed_by, revision.before["scores"]["fluency"]) == (reviewer, 4)
    skip = Assignment.objects.get(item_id=skipped, reviewer=reviewer)
    assert (skip.status, skip.skip_reason) == ("skipped", "Needs expertise I don't have")
    assert AuditEvent.objects.filter(action="annotation.undo").count() == 1
    assert all(a.active_ms > 0 for a in Annotation.objects.all())
    assert page.locator('[data-field="today"]').inner_text() == "4"


def test_mouse_on_a_phone_sized_screen(
    browser: Any, live_server: Any, queue: Queue, reviewer: Any
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    page = context.new_page()
    log_in(page, live_server.url, "rita")
    page.goto(live_server.url + rate_url(queue))
    item = shown_item(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "nothing overflows sideways"
    for criterion, score in (("fluency", "5"), ("relevance", "4"), ("factuality", "3")):
        page.locator(f'.crit[data-criterion="{criterion}"] .level[data-score="{score}"]').tap()
    page.fill("#comment", "Tapped on a phone.")
    page.locator('button[data-action="submit"]').tap()
    next_shown(page, item)
    eventually(lambda: Annotation.objects.filter(item_id=item).exists())
    assert scores_of(item) == {"fluency": 5, "relevance": 4, "factuality": 3}
    assert Annotation.objects.get(item_id=item).comment == "Tapped on a phone."
    context.close()


def test_untrusted_output_is_shown_as_text_and_runs_nothing(
    page: Any, live_server: Any, project: Any, reviewer: Any
) -> None:
    attack = '<script>window.__xss=1</script> <img src=x onerror="window.__xss=1">'
    queue = make_queue(project, items=1, reviewers=[reviewer], guidelines=attack)
    ModelOutput.objects.filter(queue_items__queue=queue).update(
        output_text=f"Here you go: {attack}",
        input=[{"role": "user", "content": attack}, {"role": "assistant", "content": "ok"}],
    )
    log_in(page, live_server.url, "rita")
    page.goto(live_server.url + rate_url(queue))
    shown_item(page)
    assert page.locator("#output-body").inner_text().strip() == f"Here you go: {attack}"
    assert attack in page.locator("#input-body").inner_text()
    assert page.locator("#output-body img, #input-body img, #output-body script").count() == 0
    keys(page, "g")
    assert attack in page.locator('[data-field="guidelines"]').inner_text()
    page.wait_for_timeout(200)
    assert page.evaluate("typeof window.__xss") == "undefined"
