"""The lead's queue controls: reviewers and quotas, pins and gold items, through the HTML forms."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from annotate.models import ItemPin, Queue, QueueItem, QueueReviewer
from llmops_core.errors import DomainError
from llmops_core.models import AuditEvent, Membership, ModelOutput, Role
from tests.annotate.helpers import make_queue, rate_next
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Audit = Callable[[], list[str]]
XSS = '<img src=x onerror="window.__xss=1">'


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(queue: Queue, name: str = "") -> str:
    return reverse(
        f"queue-controls{'-' + name if name else ''}", args=[queue.project.slug, queue.pk]
    )


def reviewers_post(queue: Queue, ticked: dict[Any, str | int | None]) -> dict[str, Any]:
    """Return the reviewers form as the page posts it: every member shown, ``ticked`` ticked."""
    members = {m.user for m in queue.project.memberships.select_related("user")}
    data: dict[str, Any] = {"rv-shown": " ".join(str(u.pk) for u in members)}
    for user, quota in ticked.items():
        data[f"rv-reviewer_{user.pk}"] = "on"
        data[f"rv-quota_{user.pk}"] = "" if quota is None else str(quota)
    return data


def errors(response: HttpResponse, form: str) -> list[str]:
    """Return every error of one of the page's forms, as the lead reads them."""
    return [e for errs in response.context[form].errors.values() for e in errs]


@pytest.fixture
def audited(queue: Queue) -> Audit:
    """Return a function listing the audit actions recorded since the queue was made."""
    start = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    return lambda: list(
        AuditEvent.objects.filter(id__gt=start).order_by("id").values_list("action", flat=True)
    )


def reviewer_state(queue: Queue) -> dict[str, int | None]:
    return dict(
        QueueReviewer.objects.filter(queue=queue).values_list("reviewer__username", "quota")
    )


# --- who may use the controls ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.REVIEWER, 403),
        (Role.ADJUDICATOR, 403),
        (Role.LEAD, 200),
        (Role.ADMIN, 200),
        (None, 404),
    ],
)
def test_only_leads_and_admins_see_or_use_the_controls(
    queue: Queue,
    reviewers: list[Any],
    make_member: Callable[..., Any],
    role: str | None,
    status: int,
) -> None:
    """Reviewers and adjudicators get 403 (even the queue's own reviewer); outsiders 404."""
    user = make_member(role, "someone") if role else UserFactory(username="outsider")
    client = logged_in(user)
    assert client.get(url(queue)).status_code == status
    posts = {
        "reviewers": reviewers_post(queue, {**dict.fromkeys(reviewers), user: 2}),
        "pins": {
            "pin-reviewer": "rev1",
            "pin-items": str(queue.items.first().pk),
            "pin-by": "id",
            "pin-action": "pin",
        },
        "gold": {
            "gold-item": str(queue.items.first().pk),
            "gold-by": "id",
            "gold-action": "unmark",
        },
    }
    for name, data in posts.items():
        response = client.post(url(queue, name), data)
        assert response.status_code == (302 if status == 200 else status), name
    made = (
        user.pk in set(queue.memberships.values_list("reviewer_id", flat=True)),
        ItemPin.objects.exists(),
    )
    assert made == ((True, True) if status == 200 else (False, False))


def test_the_queues_own_reviewer_sees_no_link_to_the_controls(
    queue: Queue, reviewers: list[Any], lead: Any
) -> None:
    page = reverse("queue-detail", args=[queue.project.slug, queue.pk])
    assert url(queue) not in logged_in(reviewers[0]).get(page).content.decode()
    assert url(queue) in logged_in(lead).get(page).content.decode()


# --- reviewers and quotas ----------------------------------------------------------------------


def test_lead_adds_and_removes_reviewers_and_sets_quotas(
    queue: Queue,
    reviewers: list[Any],
    lead: Any,
    make_member: Callable[..., Any],
    audited: Audit,
) -> None:
    newcomer = make_member(Role.REVIEWER, "newcomer")
    rev1, rev2, rev3, rev4 = reviewers
    client = logged_in(lead)
    response = client.post(
        url(queue, "reviewers"), reviewers_post(queue, {rev1: 10, rev2: None, rev3: 0, newcomer: 4})
    )
    assert response.status_code == 302 and response["Location"].endswith("#reviewers")
    assert reviewer_state(queue) == {"rev1": 10, "rev2": None, "rev3": 0, "newcomer": 4}
    assert audited() == ["queue.reviewers"] + ["queue.quota"] * 3  # rev2's quota did not change

    page = client.get(url(queue)).content.decode()
    assert "Reviewers and quotas saved." in page
    ticked = re.findall(r'name="rv-reviewer_(\d+)" id="[^"]+" checked', page)
    assert sorted(map(int, ticked)) == sorted(u.pk for u in (rev1, rev2, rev3, newcomer))
    assert f'name="rv-quota_{rev1.pk}" value="10"' in page
    assert f'name="rv-quota_{rev2.pk}" inputmode' in page  # blank: no quota
    assert rev4.pk not in queue.memberships.values_list("reviewer_id", flat=True)


def test_saving_an_unchanged_form_writes_nothing(
    queue: Queue, reviewers: list[Any], lead: Any, audited: Audit
) -> None:
    response = logged_in(lead).post(
        url(queue, "reviewers"), reviewers_post(queue, dict.fromkeys(reviewers))
    )
    assert response.status_code == 302 and not audited()


@pytest.mark.parametrize(
    ("quota", "message"),
    [
        ("-3", 'quota for "rev1": -3 is not a whole number ≥ 0'),
        ("2.5", 'quota for "rev1": 2.5 is not a whole number ≥ 0'),
        ("lots", 'quota for "rev1": lots is not a whole number ≥ 0'),
        ("99999999999", 'quota for "rev1": 99999999999 is over 2147483647'),
    ],
)
def test_a_bad_quota_is_a_form_error_and_nothing_is_written(
    queue: Queue,
    reviewers: list[Any],
    lead: Any,
    make_member: Callable[..., Any],
    quota: str,
    message: str,
    audited: Audit,
) -> None:
    """The newcomer ticked in the same form is not added: the form is refused as a whole."""
    newcomer = make_member(Role.REVIEWER, "newcomer")
    before = reviewer_state(queue)
    data = reviewers_post(queue, {**dict.fromkeys(reviewers[1:]), newcomer: 5})
    data.update({f"rv-reviewer_{reviewers[0].pk}": "on", f"rv-quota_{reviewers[0].pk}": quota})
    response = logged_in(lead).post(url(queue, "reviewers"), data)
    assert response.status_code == 400
    assert errors(response, "reviewers_form") == [message]
    assert message.replace('"', "&quot;") in response.content.decode()
    assert reviewer_state(queue) == before and not audited()


def test_a_quota_for_an_unticked_member_is_refused(
    queue: Queue, reviewers: list[Any], lead: Any
) -> None:
    data = reviewers_post(queue, dict.fromkeys(reviewers[1:]))
    data[f"rv-quota_{reviewers[0].pk}"] = "3"
    response = logged_in(lead).post(url(queue, "reviewers"), data)
    assert response.status_code == 400
    assert errors(response, "reviewers_form") == [
        'quota for "rev1": tick rev1 as a reviewer or leave the quota blank'
    ]
    assert "rev1" in reviewer_state(queue)


def test_a_failure_half_way_through_the_services_undoes_everything(
    queue: Queue,
    reviewers: list[Any],
    lead: Any,
    monkeypatch: pytest.MonkeyPatch,
    audited: Audit,
) -> None:
    """Reviewers are set, then a quota fails: the reviewers come back, the error is shown."""

    def refuse(**kwargs: Any) -> None:
        raise DomainError('field "quota": refused for the test')

    monkeypatch.setattr("annotate.services.reviewers.queue_reviewer_set_quota", refuse)
    before = reviewer_state(queue)
    response = logged_in(lead).post(
        url(queue, "reviewers"), reviewers_post(queue, {reviewers[0]: 7})
    )
    assert response.status_code == 400
    assert errors(response, "reviewers_form") == ['field "quota": refused for the test']
    assert reviewer_state(queue) == before and not audited()


def test_a_member_added_since_the_page_was_read_is_kept(
    queue: Queue, reviewers: list[Any], lead: Any, make_member: Callable[..., Any]
) -> None:
    """A stale page does not drop a reviewer it never showed."""
    data = reviewers_post(queue, dict.fromkeys(reviewers))
    late = make_member(Role.REVIEWER, "late")
    QueueReviewer.objects.create(queue=queue, reviewer=late, quota=2)
    assert logged_in(lead).post(url(queue, "reviewers"), data).status_code == 302
    assert reviewer_state(queue)["late"] == 2


def test_a_post_without_the_list_of_members_is_refused(queue: Queue, lead: Any) -> None:
    before = reviewer_state(queue)
    response = logged_in(lead).post(url(queue, "reviewers"), {})
    assert response.status_code == 400 and reviewer_state(queue) == before
    assert errors(response, "reviewers_form") == [
        "the form is incomplete: reload the page and try again"
    ]


# --- pins --------------------------------------------------------------------------------------


def pin(
    client: Client,
    queue: Queue,
    items: str,
    *,
    by: str = "id",
    action: str = "pin",
    reviewer: str = "rev1",
) -> HttpResponse:
    return client.post(
        url(queue, "pins"),
        {"pin-reviewer": reviewer, "pin-items": items, "pin-by": by, "pin-action": action},
    )


def test_lead_pins_items_by_id_or_external_id_and_unpins_them(
    queue: Queue,
    reviewers: list[Any],
    lead: Any,
    audited: Audit,
) -> None:
    client = logged_in(lead)
    first, second, third = queue.items.select_related("output").order_by("position")[:3]
    response = pin(client, queue, f"{first.pk}, {second.pk}")
    assert response.status_code == 302 and response["Location"].endswith("#items")
    response = pin(client, queue, third.output.external_id, by="external")
    assert response.status_code == 302
    assert set(ItemPin.objects.values_list("item_id", "reviewer__username")) == {
        (first.pk, "rev1"),
        (second.pk, "rev1"),
        (third.pk, "rev1"),
    }
    assert QueueItem.objects.filter(pinned=True).count() == 3
    page = client.get(url(queue)).content.decode()
    assert page.count('<td class="pinned-to">rev1</td>') == 3
    assert "1 item(s) pinned to rev1." in page

    assert pin(client, queue, str(second.pk), action="unpin").status_code == 302
    assert set(ItemPin.objects.values_list("item_id", flat=True)) == {first.pk, third.pk}
    assert audited() == ["queue.pin", "queue.pin", "queue.unpin"]


@pytest.mark.parametrize(
    ("items", "by", "reviewer", "field", "message"),
    [
        ("abc", "id", "rev1", "items", 'item ids are whole numbers, not "abc"'),
        (
            "no-such-id",
            "external",
            "rev1",
            "items",
            'no item of this queue has output external id "no-such-id"',
        ),
        ("", "id", "rev1", "items", "This field is required."),
        (
            "1",
            "id",
            "the-lead",
            "reviewer",
            "Select a valid choice. the-lead is not one of the available choices.",
        ),
    ],
)
def test_bad_pins_are_form_errors(
    queue: Queue, lead: Any, items: str, by: str, reviewer: str, field: str, message: str
) -> None:
    response = pin(logged_in(lead), queue, items, by=by, reviewer=reviewer)
    assert response.status_code == 400
    assert response.context["pin_form"].errors[field] == [message]
    assert not ItemPin.objects.exists()


def test_pinning_an_item_of_another_queue_pins_nothing(
    queue: Queue, project: Any, reviewers: list[Any], lead: Any
) -> None:
    other = make_queue(project, items=1).items.get()
    mine = queue.items.order_by("position").first()
    response = pin(logged_in(lead), queue, f"{mine.pk} {other.pk}")
    assert response.status_code == 400
    assert errors(response, "pin_form") == [f'items not in queue "{queue.name}": [{other.pk}]']
    assert not ItemPin.objects.exists()


# --- gold items --------------------------------------------------------------------------------


def gold(
    client: Client,
    queue: Queue,
    item: str,
    scores: dict[str, Any] | None = None,
    *,
    action: str = "mark",
    by: str = "id",
) -> HttpResponse:
    criteria = dict(queue.rubric_version.criteria.values_list("name", "pk"))
    data = {"gold-item": item, "gold-by": by, "gold-action": action}
    data.update({f"gold-score_{criteria[name]}": str(v) for name, v in (scores or {}).items()})
    return client.post(url(queue, "gold"), data)


def test_lead_marks_a_gold_item_sees_it_with_accuracy_and_unmarks_it(
    queue: Queue,
    reviewers: list[Any],
    lead: Any,
    audited: Audit,
) -> None:
    client = logged_in(lead)
    annotation = rate_next(queue, reviewers[0], {"fluency": 4, "relevance": 3, "factuality": 5})
    item = annotation.item
    response = gold(
        client, queue, item.output.external_id, {"fluency": 4, "relevance": 2}, by="external"
    )
    assert response.status_code == 302 and response["Location"].endswith("#gold")
    item.refresh_from_db()
    assert item.is_gold and item.gold_scores == {"fluency": 4, "relevance": 2}

    page = client.get(url(queue)).content.decode()
    row = page.split(f'<tr data-item="{item.pk}">', 1)[1].split("</tr>", 1)[0]
    assert "<td>4</td>" in row and "<td>2</td>" in row and 'class="muted">—' in row
    accuracy = page.split('id="gold-accuracy"', 1)[1].split("</table>", 1)[0]
    assert "<td>rev1</td><td>1</td>" in accuracy and "50%" in accuracy and "100%" in accuracy

    response = gold(client, queue, str(item.pk), action="unmark")
    assert response.status_code == 302
    item.refresh_from_db()
    assert not item.is_gold and item.gold_scores == {}
    assert audited() == ["queue_item.gold_mark", "queue_item.gold_unmark"]


@pytest.mark.parametrize(
    ("scores", "item", "message"),
    [
        ({"fluency": 6}, None, 'score for "fluency" must be 1-5'),
        ({"fluency": 0}, None, 'score for "fluency" must be 1-5'),
        ({"fluency": "x"}, None, 'score for "fluency" must be a whole number'),
        ({}, None, "give the expected score of at least one criterion"),
        ({"fluency": 3}, "1 2", "name one item"),
        ({"fluency": 3}, "999999", 'no item 999999 in queue "{queue}"'),
    ],
)
def test_bad_gold_items_are_form_errors(
    queue: Queue, lead: Any, scores: dict[str, Any], item: str | None, message: str, audited: Audit
) -> None:
    first = queue.items.order_by("position").first()
    response = gold(logged_in(lead), queue, item or str(first.pk), scores)
    assert response.status_code == 400
    assert errors(response, "gold_form") == [message.format(queue=queue.name)]
    assert not QueueItem.objects.filter(is_gold=True).exists()
    assert not audited()


# --- untrusted text ----------------------------------------------------------------------------


def test_usernames_and_outputs_are_escaped(
    queue: Queue, project: Any, lead: Any, reviewers: list[Any]
) -> None:
    odd = UserFactory(username=f"x{XSS}")
    Membership.objects.create(project=project, user=odd, role=Role.REVIEWER)
    item = queue.items.order_by("position").first()
    ModelOutput.objects.filter(pk=item.output_id).update(
        output_text=f"answer {XSS}", external_id=f"e{XSS}"
    )
    client = logged_in(lead)
    gold(client, queue, str(item.pk), {"fluency": 3})
    pin(client, queue, str(item.pk))
    html = client.get(url(queue)).content.decode()
    assert "<img" not in html and "onerror=&quot;" in html and "&lt;img src=x" in html
