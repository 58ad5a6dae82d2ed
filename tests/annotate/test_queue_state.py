"""A queue after creation: settings, more outputs, close, reopen and archive (pages and API)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from annotate.errors import QueueNotOpen
from annotate.models import Assignment, AssignmentStatus, Queue
from annotate.selectors.queues import queue_cards_for_user, queue_rows_for_user
from annotate.services.assignment import assignment_claim_next
from annotate.services.queues import queue_update
from annotate.services.queues_state import queue_transition
from annotate.services.submit import annotation_submit
from llmops_core.errors import DomainError
from llmops_core.models import AuditEvent, Report, Role
from tests.annotate.helpers import SCORES, make_queue, rate_next
from tests.factories import ModelOutputFactory, UserFactory

pytestmark = pytest.mark.django_db


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def controls(queue: Queue, name: str) -> str:
    return reverse(f"queue-controls-{name}", args=[queue.project.slug, queue.pk])


def settings_post(queue: Queue, **fields: Any) -> dict[str, Any]:
    data = {
        "name": queue.name,
        "guidelines": queue.guidelines,
        "overlap": queue.overlap,
        "lease_minutes": queue.lease_seconds // 60,
        "gold_every": queue.gold_every,
        **fields,
    }
    return {f"set-{k}": v for k, v in data.items()}


# --- the services ------------------------------------------------------------------------------


def submit(assignment: Assignment, queue: Queue, **options: Any) -> Any:
    item = assignment.item
    item.queue = queue
    return annotation_submit(
        item=item,
        reviewer=assignment.reviewer,
        scores=SCORES,
        client_token=uuid.uuid4(),
        **options,
    )


def test_closing_stops_claims_but_a_held_item_may_be_finished(
    queue: Queue, reviewers: list[Any]
) -> None:
    held = assignment_claim_next(queue=queue, reviewer=reviewers[0]).assignment
    late = assignment_claim_next(queue=queue, reviewer=reviewers[1]).assignment
    assert held is not None and late is not None
    queue_transition(queue=queue, action="close")
    queue.refresh_from_db()
    assert assignment_claim_next(queue=queue, reviewer=reviewers[2]).reason == "closed"
    assert submit(held, queue).created
    with pytest.raises(QueueNotOpen, match="is closed"):
        submit(late, queue, now=late.expires_at + timedelta(seconds=1))
    assert Report.objects.count() == 1  # the final agreement report, asked for on closing


def test_reopening_serves_items_again(queue: Queue, reviewers: list[Any]) -> None:
    queue_transition(queue=queue, action="close")
    with pytest.raises(QueueNotOpen, match="cannot close"):
        queue_transition(queue=queue, action="close")
    queue_transition(queue=queue, action="open")
    assert rate_next(queue, reviewers[0]).pk


def test_archiving_gives_back_leases_hides_the_queue_and_makes_it_read_only(
    queue: Queue, reviewers: list[Any], lead: Any
) -> None:
    held = assignment_claim_next(queue=queue, reviewer=reviewers[0]).assignment
    queue = queue_transition(queue=queue, action="archive", actor=lead)
    assert queue.status == "closed" and queue.is_archived
    held.refresh_from_db()
    assert held.status == AssignmentStatus.RELEASED and not queue.items.filter(leased_count__gt=0)
    with pytest.raises(QueueNotOpen):
        submit(held, queue)
    with pytest.raises(QueueNotOpen, match="archived"):
        queue_update(queue=queue, changes={"guidelines": "new"})
    with pytest.raises(QueueNotOpen, match="unarchive it first"):
        queue_transition(queue=queue, action="open")
    assert queue_rows_for_user(user=lead, project=queue.project) == []
    assert queue_cards_for_user(user=reviewers[0]) == []
    assert (
        logged_in(lead)
        .get(reverse("queue-detail", args=[queue.project.slug, queue.pk]))
        .status_code
        == 200
    )
    queue_transition(queue=queue, action="unarchive")
    assert [r.id for r in queue_rows_for_user(user=lead, project=queue.project)] == [queue.pk]
    actions = AuditEvent.objects.filter(action__startswith="queue.").values_list(
        "action", flat=True
    )
    assert {"queue.archive", "queue.unarchive"} <= set(actions)


def test_overlap_cannot_drop_below_the_reviews_an_item_has(
    queue: Queue, reviewers: list[Any]
) -> None:
    first = rate_next(queue, reviewers[0]).item
    rate_next(queue, reviewers[1])
    with pytest.raises(DomainError, match=rf"item {first.pk} already has \(2 reviews and 0 open"):
        queue_update(queue=queue, changes={"overlap": 1})
    queue_update(queue=queue, changes={"overlap": 2})
    queue.refresh_from_db()
    assert queue.overlap == 2 and queue.complete_count == 1


# --- the controls page -------------------------------------------------------------------------


def test_lead_edits_the_settings_on_the_controls_page(queue: Queue, lead: Any) -> None:
    client = logged_in(lead)
    response = client.post(
        controls(queue, "settings"),
        settings_post(queue, guidelines="Be fair.\r\n", overlap=2, lease_minutes=30, gold_every=5),
    )
    assert response.status_code == 302
    queue.refresh_from_db()
    assert (queue.overlap, queue.lease_seconds, queue.gold_every) == (2, 1800, 5)
    bad = client.post(controls(queue, "settings"), settings_post(queue, gold_every=1, overlap=0))
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "greater than or equal to 2" in text and "greater than or equal to 1" in text


def test_a_too_low_overlap_is_a_clear_error_on_the_page(
    queue: Queue, reviewers: list[Any], lead: Any
) -> None:
    rate_next(queue, reviewers[0])
    rate_next(queue, reviewers[1])
    response = logged_in(lead).post(controls(queue, "settings"), settings_post(queue, overlap=1))
    assert (
        response.status_code == 400 and "the lowest overlap now is 2" in response.content.decode()
    )
    queue.refresh_from_db()
    assert queue.overlap == 3


def test_lead_adds_outputs_and_changes_the_state_on_the_page(queue: Queue, lead: Any) -> None:
    client = logged_in(lead)
    more = ModelOutputFactory.create_batch(3, project=queue.project, model_name="m9")
    response = client.post(controls(queue, "outputs"), {"add-models": ["m9"]})
    assert response.status_code == 302
    queue.refresh_from_db()
    assert queue.item_count == 5 + len(more)
    for action, state in [("close", "closed"), ("open", "open"), ("archive", "archived")]:
        assert client.post(controls(queue, "state"), {"action": action}).status_code == 302
        page = client.get(reverse("queue-controls", args=[queue.project.slug, queue.pk]))
        assert f'data-testid="queue-state">{state}<' in page.content.decode()
    refused = client.post(controls(queue, "outputs"), {"add-models": ["m9"]})
    assert refused.status_code == 409 and "archived" in refused.content.decode()
    assert client.post(controls(queue, "state"), {"action": "fly"}).status_code == 400


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.REVIEWER, 403),
        (Role.ADJUDICATOR, 403),
        (Role.LEAD, 302),
        (Role.ADMIN, 302),
        (None, 404),
    ],
)
def test_only_leads_and_admins_change_a_queue(
    queue: Queue, make_member: Callable[..., Any], role: str | None, status: int
) -> None:
    user = make_member(role, "someone") if role else UserFactory(username="outsider")
    client = logged_in(user)
    ModelOutputFactory(project=queue.project, model_name="m9")
    posts = {
        "settings": settings_post(queue, guidelines="Changed."),
        "outputs": {"add-models": ["m9"]},
        "state": {"action": "close"},
    }
    for name, data in posts.items():
        assert client.post(controls(queue, name), data).status_code == status, name
    queue.refresh_from_db()
    changed = (queue.guidelines, queue.item_count, queue.status)
    assert changed == (("Changed.", 6, "closed") if status == 302 else ("", 5, "open"))
    api = api_for(user)
    base = f"/api/projects/{queue.project.slug}/queues/{queue.pk}/"
    expected = {302: 200, 403: 403, 404: 404}[status]
    assert api.patch(base, {"guidelines": "API."}, format="json").status_code == expected
    assert api.post(base + "state/", {"action": "open"}, format="json").status_code == expected


# --- the API -----------------------------------------------------------------------------------


def test_the_api_changes_settings_and_state(queue: Queue, reviewers: list[Any], lead: Any) -> None:
    api = api_for(lead)
    base = f"/api/projects/{queue.project.slug}/queues/{queue.pk}/"
    patched = api.patch(
        base, {"gold_every": 4, "lease_seconds": 120, "order": "interleaved"}, format="json"
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["order"] == "interleaved" and patched.json()["gold_every"] == 4
    rate_next(queue, reviewers[0])
    rate_next(queue, reviewers[1])
    low = api.patch(base, {"overlap": 1}, format="json")
    assert low.status_code == 400 and "lowest overlap now is 2" in low.json()["detail"]
    assert api.patch(base, {"seed": 3}, format="json").status_code == 400
    assert api.post(base + "state/", {"action": "fly"}, format="json").status_code == 400
    archived = api.post(base + "state/", {"action": "archive"}, format="json")
    assert archived.status_code == 200 and archived.json()["archived_at"]
    assert api.patch(base, {"guidelines": "x"}, format="json").status_code == 409
    assert api.post(base + "state/", {"action": "close"}, format="json").status_code == 409
    listed = f"/api/projects/{queue.project.slug}/queues/"
    assert api.get(listed).json()["results"] == []
    assert [q["id"] for q in api.get(listed + "?archived=true").json()["results"]] == [queue.pk]
    add = api.post(base + "items/", {"output_ids": []}, format="json")
    assert add.status_code in (200, 409)


def test_the_api_creates_from_versions_or_models_and_refuses_an_empty_queue(
    project: Any, lead: Any
) -> None:
    queue = make_queue(project, items=2)
    ModelOutputFactory.create_batch(3, project=project, model_name="m9")
    api = api_for(lead)
    url = f"/api/projects/{project.slug}/queues/"
    base = {"name": "api", "rubric_version_id": queue.rubric_version_id, "seed": 5}
    empty = api.post(url, base, format="json")
    assert empty.status_code == 400 and "choose the queue's outputs" in empty.json()["detail"]
    made = api.post(url, {**base, "models": ["m9", "demo-model"], "order": "import"}, format="json")
    assert made.status_code == 201, made.content
    assert made.json()["item_count"] == 5 and made.json()["seed"] == 5
    bad = api.post(url, {**base, "name": "b", "output_ids": [10**9]}, format="json")
    assert bad.status_code == 400 and "no output of this project" in bad.json()["detail"]
    assert (
        api.post(
            url, {**base, "name": "c", "order": "x", "models": ["m9"]}, format="json"
        ).status_code
        == 400
    )


def test_the_queue_page_shows_the_design_to_leads_not_to_reviewers(
    queue: Queue, reviewers: list[Any], lead: Any
) -> None:
    page = reverse("queue-detail", args=[queue.project.slug, queue.pk])
    html = logged_in(lead).get(page).content.decode()
    assert 'id="queue-design"' in html and str(queue.seed) in html
    assert "Random (seeded)" in html and "demo-model" in html
    assert 'id="queue-design"' not in logged_in(reviewers[0]).get(page).content.decode()


def test_an_archived_queues_reviewers_pins_and_gold_cannot_change(
    queue: Queue, reviewers: list[Any], lead: Any
) -> None:
    """The review endpoints refuse an archived queue as the settings do: 409, nothing written."""
    api = api_for(lead)
    base = f"/api/projects/{queue.project.slug}/queues/{queue.pk}/"
    item = queue.items.order_by("id").first()
    assert item is not None
    queue_transition(queue=queue, action="archive", actor=lead)
    before = AuditEvent.objects.count()
    changes = [
        api.put(base + "reviewers/", {"reviewers": [{"username": "rev1"}]}, format="json"),
        api.post(base + "pins/", {"reviewer": "rev1", "item_ids": [item.pk]}, format="json"),
        api.put(base + f"items/{item.pk}/gold/", {"scores": SCORES}, format="json"),
        api.delete(base + f"items/{item.pk}/gold/"),
    ]
    for response in changes:
        assert response.status_code == 409, response.content
        assert "archived" in response.json()["detail"]
    item.refresh_from_db()
    assert not item.is_gold and not item.pins.exists()
    assert queue.memberships.count() == len(reviewers)
    assert AuditEvent.objects.count() == before
