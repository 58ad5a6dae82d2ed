"""The rating API end to end: shapes, blind review, idempotency over HTTP, query budgets."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from annotate.models import Annotation, QueueItem
from annotate.services.queues import queue_update
from llmops_core.models import ModelOutput
from llmops_core.services.prompts import prompt_template_create, prompt_version_create
from tests.annotate.helpers import SCORES, make_queue, rate_next

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def next_item(client: APIClient, queue: Any, holding: list[int] | None = None) -> dict[str, Any]:
    url = reverse("api-queue-next", args=[queue.project.slug, queue.pk])
    response = client.post(url, {"holding": holding or []}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def submit(client: APIClient, queue: Any, item: int, **body: Any) -> Any:
    url = reverse("api-item-submit", args=[queue.project.slug, queue.pk, item])
    body.setdefault("client_token", str(uuid.uuid4()))
    body.setdefault("scores", SCORES)
    return client.post(url, body, format="json")


@pytest.fixture
def versioned_queue(project: Any, reviewers: list[Any]) -> Any:
    """A queue whose outputs come from prompt version 2 of "answer", with chat inputs."""
    template = prompt_template_create(project=project, name="answer")
    version = prompt_version_create(
        template=template, template_text="{{ q }}", model_name="secret-model"
    )[0]
    queue = make_queue(project, items=3, reviewers=reviewers, overlap=3)
    ModelOutput.objects.filter(queue_items__queue=queue).update(
        prompt_version=version,
        model_name="secret-model",
        input=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "What is **2+2**?"},
        ],
        output_text="It is `4`.\n\n```python\nprint(2 + 2)\n```",
    )
    return queue


def test_next_returns_input_output_and_lease_but_nothing_that_unblinds(
    versioned_queue: Any, reviewers: list[Any]
) -> None:
    client = client_for(reviewers[0])
    rate_next(versioned_queue, reviewers[1], comment="a secret opinion")
    payload = next_item(client, versioned_queue)["next"]
    assert payload["input"]["messages"][1] == {
        "role": "user",
        "html": "<p>What is <strong>2+2</strong>?</p>",
    }
    assert "<pre><code" in payload["output_html"] and "print(2 + 2)" in payload["output_html"]
    assert payload["assignment"] and payload["expires_at"]
    text = str(payload)
    for secret in ("secret-model", "answer", "a secret opinion", "gold", "context", "others"):
        assert secret not in text


def test_queue_that_is_not_blind_shows_version_model_and_others(
    versioned_queue: Any, reviewers: list[Any]
) -> None:
    queue_update(queue=versioned_queue, changes={"blind": False})
    rate_next(versioned_queue, reviewers[1], comment="a visible opinion")
    payload = next_item(client_for(reviewers[0]), versioned_queue)["next"]
    assert payload["context"]["prompt"] == "answer"
    assert payload["context"]["model"] == "secret-model"
    assert payload["others"][0]["comment"] == "a visible opinion"


def test_submit_returns_the_next_item_and_progress(queue: Any, reviewers: list[Any]) -> None:
    client = client_for(reviewers[0])
    current = next_item(client, queue)["next"]
    prefetched = next_item(client, queue, [current["item"]])["next"]
    response = submit(client, queue, current["item"], holding=[prefetched["item"]])
    assert response.status_code == 201
    body = response.json()
    assert body["annotation"]["created"] is True
    assert body["next"]["item"] not in (current["item"], prefetched["item"])
    assert body["progress"] == {"complete": 0, "items": 5, "reviews": 1, "mine": 1, "quota": None}


def test_retried_submit_is_answered_200_with_the_same_annotation(
    queue: Any, reviewers: list[Any]
) -> None:
    client = client_for(reviewers[0])
    item = next_item(client, queue)["next"]["item"]
    token = str(uuid.uuid4())
    first = submit(client, queue, item, client_token=token)
    again = submit(client, queue, item, client_token=token)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["annotation"]["id"] == again.json()["annotation"]["id"]
    assert Annotation.objects.count() == 1


def test_conflicting_submit_is_a_409_with_a_reason(queue: Any, reviewers: list[Any]) -> None:
    client = client_for(reviewers[0])
    item = next_item(client, queue)["next"]["item"]
    submit(client, queue, item)
    response = submit(client, queue, item)
    assert response.status_code == 409
    assert response.json()["code"] == "AlreadyRated"
    assert "already rated" in response.json()["detail"]


def test_bad_scores_are_a_400_naming_the_field(queue: Any, reviewers: list[Any]) -> None:
    client = client_for(reviewers[0])
    item = next_item(client, queue)["next"]["item"]
    response = submit(client, queue, item, scores={**SCORES, "relevance": 9})
    assert response.status_code == 400
    assert response.json()["detail"] == 'field "scores.relevance": 9 is outside 1-5'


def test_empty_queue_says_why(project: Any, reviewers: list[Any]) -> None:
    queue = make_queue(project, items=0, reviewers=reviewers)
    body = next_item(client_for(reviewers[0]), queue)
    assert body["next"] is None and body["reason"] == "done" and body["message"]


def test_skip_and_undo_over_http(queue: Any, reviewers: list[Any]) -> None:
    client = client_for(reviewers[0])
    slug = queue.project.slug
    first = next_item(client, queue)["next"]["item"]
    skipped = client.post(
        reverse("api-item-skip", args=[slug, queue.pk, first]), {"reason": "unsure"}, format="json"
    )
    assert skipped.status_code == 200 and skipped.json()["next"]["item"] != first
    second = skipped.json()["next"]["item"]
    submit(client, queue, second, comment="undo me")
    undone = client.post(reverse("api-queue-undo", args=[slug, queue.pk]), format="json")
    assert undone.status_code == 200
    assert undone.json()["next"]["item"] == second
    assert undone.json()["next"]["previous"]["comment"] == "undo me"
    assert client.post(reverse("api-queue-undo", args=[slug, queue.pk])).status_code == 409


def test_edit_over_http_keeps_history(queue: Any, reviewers: list[Any]) -> None:
    client = client_for(reviewers[0])
    annotation = rate_next(queue, reviewers[0])
    url = reverse("api-annotation", args=[queue.project.slug, annotation.pk])
    assert client.get(url).json()["scores"] == SCORES
    changed = client.patch(url, {"scores": {**SCORES, "fluency": 1}}, format="json")
    assert changed.status_code == 200 and changed.json()["scores"]["fluency"] == 1
    revisions = client.get(url + "revisions/").json()
    assert revisions[0]["before"]["scores"]["fluency"] == 4
    assert revisions[0]["changed_by"] == reviewers[0].username


def test_submit_and_next_runs_a_small_constant_number_of_queries(
    project: Any, reviewers: list[Any], django_assert_max_num_queries: Any
) -> None:
    """The budget holds for the tenth submission as for the first (no N+1)."""
    queue = make_queue(project, items=30, reviewers=reviewers)
    client = client_for(reviewers[0])
    current = next_item(client, queue)["next"]["item"]
    for i in range(10):
        if i == 9:
            with django_assert_max_num_queries(32):
                response = submit(client, queue, current)
        else:
            response = submit(client, queue, current)
        assert response.status_code == 201
        current = response.json()["next"]["item"]


@pytest.mark.parametrize("rows", [3, 30])
def test_list_endpoints_have_a_fixed_query_budget(
    project: Any,
    reviewers: list[Any],
    lead: Any,
    rows: int,
    django_assert_max_num_queries: Any,
) -> None:
    queue = make_queue(project, items=rows, reviewers=reviewers, overlap=1)
    for _ in range(rows):
        rate_next(queue, reviewers[0])
    slug = queue.project.slug
    mine = client_for(reviewers[0])
    with django_assert_max_num_queries(8):
        page = mine.get(reverse("api-queue-annotations", args=[slug, queue.pk]))
    body = page.json()
    assert len(body["results"]) == min(rows, 25)
    assert (body["next"] is not None) == (rows > 25)
    boss = client_for(lead)
    for name in ("api-queue-items", "api-queue-reviewers", "api-queues"):
        args = [slug] if name == "api-queues" else [slug, queue.pk]
        with django_assert_max_num_queries(8):
            assert boss.get(reverse(name, args=args)).status_code == 200
    with django_assert_max_num_queries(12):
        assert (
            boss.post(
                reverse("api-queue-adjudication-next", args=[slug, queue.pk]), format="json"
            ).status_code
            == 200
        )


def test_lead_creates_a_queue_by_filter_and_adds_items_later(
    project: Any, reviewers: list[Any], lead: Any
) -> None:
    template = prompt_template_create(project=project, name="answer")
    version = prompt_version_create(template=template, template_text="{{ q }}", model_name="m1")[0]
    queue = make_queue(project, items=4, reviewers=[])
    ModelOutput.objects.filter(queue_items__queue=queue).update(prompt_version=version)
    client = client_for(lead)
    url = reverse("api-queues", args=[project.slug])
    created = client.post(
        url,
        {
            "name": "by filter",
            "rubric_version_id": queue.rubric_version_id,
            "reviewers": [r.username for r in reviewers],
            "filter": {"prompt": "answer"},
            "guidelines": "# Read me\n<script>x</script>",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["item_count"] == 4
    new_id = created.json()["id"]
    extra = make_queue(project, items=2).items.values_list("output_id", flat=True)
    added = client.post(
        reverse("api-queue-items", args=[project.slug, new_id]),
        {"output_ids": list(extra) + list(extra)},
        format="json",
    )
    assert added.json() == {"added": 2, "item_count": 6}
    again = client.post(
        reverse("api-queue-items", args=[project.slug, new_id]),
        {"output_ids": list(extra)},
        format="json",
    )
    assert again.json()["added"] == 0
    assert QueueItem.objects.filter(queue_id=new_id).count() == 6


def test_setting_reviewers_and_quotas_through_the_api_is_all_or_nothing(
    project: Any, reviewers: list[Any], lead: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from annotate.models import QueueReviewer
    from annotate.services import reviewers as reviewer_services

    queue = make_queue(project, items=2, reviewers=reviewers[:1])
    client = APIClient()
    client.force_authenticate(lead)
    url = reverse("api-queue-reviewers", args=[project.slug, queue.pk])
    wanted = {
        "reviewers": [
            {"username": reviewers[0].username, "quota": 5},
            {"username": reviewers[1].username, "quota": 7},
        ]
    }
    assert client.put(url, wanted, format="json").status_code == 200
    assert dict(
        QueueReviewer.objects.filter(queue=queue).values_list("reviewer__username", "quota")
    ) == {reviewers[0].username: 5, reviewers[1].username: 7}

    def fail(**kwargs: Any) -> None:
        raise RuntimeError("the database went away mid-request")

    monkeypatch.setattr(reviewer_services, "queue_reviewer_set_quota", fail)
    changed = {"reviewers": [{"username": reviewers[0].username, "quota": 1}]}
    client.raise_request_exception = False
    assert client.put(url, changed, format="json").status_code == 500
    assert dict(
        QueueReviewer.objects.filter(queue=queue).values_list("reviewer__username", "quota")
    ) == {reviewers[0].username: 5, reviewers[1].username: 7}
