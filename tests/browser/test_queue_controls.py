"""The lead's queue controls in real headless chromium: a quota, a pin and a gold item."""

from __future__ import annotations

from typing import Any

import pytest

from annotate.models import ItemPin, Queue, QueueReviewer
from llmops_core.models import Role
from tests.annotate.helpers import make_queue
from tests.browser.conftest import log_in
from tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def queue(project: Any) -> Queue:
    for name, role in (("lena", Role.LEAD), ("rita", Role.REVIEWER), ("remy", Role.REVIEWER)):
        MembershipFactory(project=project, user=UserFactory(username=name), role=role)
    reviewers = [m.user for m in project.memberships.filter(role=Role.REVIEWER)]
    return make_queue(project, items=4, reviewers=reviewers, overlap=2)


def test_lead_sets_a_quota_pins_an_item_and_marks_a_gold_item(
    page: Any, live_server: Any, queue: Queue
) -> None:
    rita = QueueReviewer.objects.select_related("reviewer").get(
        queue=queue, reviewer__username="rita"
    )
    first, second = queue.items.select_related("output").order_by("position")[:2]
    log_in(page, live_server.url, "lena")
    page.goto(f"{live_server.url}/p/{queue.project.slug}/queues/{queue.pk}/")
    page.click("#queue-controls-link")

    # A quota for rita; a bad one for remy first, which is refused and saves nothing.
    remy = QueueReviewer.objects.get(queue=queue, reviewer__username="remy").reviewer_id
    page.fill(f"#id_rv-quota_{rita.reviewer_id}", "12")
    page.fill(f"#id_rv-quota_{remy}", "-3")
    page.click("#reviewers button[type=submit]")
    assert (
        page.locator("#reviewers .error").inner_text()
        == 'quota for "remy": -3 is not a whole number ≥ 0'
    )
    rita.refresh_from_db()
    assert rita.quota is None
    page.fill(f"#id_rv-quota_{remy}", "")
    page.click("#reviewers button[type=submit]")
    page.wait_for_selector("text=Reviewers and quotas saved.")
    assert page.input_value(f"#id_rv-quota_{rita.reviewer_id}") == "12"

    # Pin the first item to rita, by the item id the page lists.
    page.select_option("#id_pin-reviewer", "rita")
    page.fill("#id_pin-items", str(first.pk))
    page.click("#pins button[value=pin]")
    page.wait_for_selector("text=1 item(s) pinned to rita.")
    assert (
        page.locator(f'#items-table tr[data-item="{first.pk}"] .pinned-to').inner_text() == "rita"
    )

    # Mark the second item gold by its output's external id, with two expected scores.
    criteria = dict(queue.rubric_version.criteria.values_list("name", "pk"))
    page.select_option("#id_gold-by", "external")
    page.fill("#id_gold-item", second.output.external_id)
    page.fill(f"#id_gold-score_{criteria['fluency']}", "4")
    page.fill(f"#id_gold-score_{criteria['factuality']}", "2")
    page.click("#gold button[value=mark]")
    page.wait_for_selector(f"text=Item {second.pk} is now gold.")
    row = page.locator(f'#gold-table tr[data-item="{second.pk}"] td')
    assert [row.nth(i).inner_text() for i in (2, 3, 4)] == ["4", "—", "2"]

    rita.refresh_from_db()
    second.refresh_from_db()
    assert (
        rita.quota == 12
        and second.is_gold
        and second.gold_scores == {"fluency": 4, "factuality": 2}
    )
    assert list(ItemPin.objects.values_list("item_id", "reviewer__username")) == [
        (first.pk, "rita")
    ]
