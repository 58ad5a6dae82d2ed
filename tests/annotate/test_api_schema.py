"""The annotation endpoints answer what the OpenAPI schema says: the contract rate.js reads.

The API fuzzing runs as a lead, who is no queue's reviewer, so it never sees the rating flow
succeed. Here a reviewer walks it (next, renew, submit and its retry, progress, skip, undo,
release, history, edit) and a lead and adjudicator use the review endpoints, on a queue that is
not blind (so the optional fields appear); every response is checked against the schema by
schemathesis, through Django's WSGI handler in this process.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from werkzeug.test import Client, TestResponse

from annotate.services.queues import queue_update
from llmops_core.models import Project, Role
from llmops_core.services.tokens import token_create
from tests.annotate.helpers import SCORES, make_queue, rate_next

pytestmark = pytest.mark.django_db

Call = Callable[..., Any]


@pytest.fixture
def call(wsgi_app: WSGIHandler) -> Callable[[Any], Call]:
    """Return, for a user, a function that calls the API and checks the answer's schema."""
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)

    def as_user(user: Any) -> Call:
        _, key = token_create(user=user, name="schema")
        client = Client(wsgi_app)

        def request(method: str, path: str, body: Any = None, status: int = 200) -> Any:
            response: TestResponse = client.open(
                path,
                method=method,
                json=body,
                headers={"Authorization": f"Token {key}", "Host": "localhost"},
            )
            assert response.status_code == status, (path, response.get_data()[:300])
            operation = schema.find_operation_by_path(method, path)
            assert operation is not None, f"{method} {path} is not in the schema"
            operation.validate_response(response)
            return json.loads(response.get_data())

        return request

    return as_user


def test_the_rating_flow_answers_within_the_schema(
    project: Project, make_member: Callable[..., Any], call: Callable[[Any], Call]
) -> None:
    first, second = (make_member(Role.REVIEWER, name) for name in ("schema-1", "schema-2"))
    queue = make_queue(project, items=3, reviewers=[first, second], overlap=2, blind=False)
    rate_next(queue, second, comment="seen first")  # so that the reviewer's item has "others"
    api = call(first)
    base = f"/api/projects/{project.slug}/queues/{queue.pk}/"

    claim = api("POST", base + "next/", {})
    item = claim["next"]
    assert item["others"] and item["context"], "an open queue shows context and other ratings"
    api("POST", base + f"items/{item['item']}/renew/")
    token = str(uuid.uuid4())
    body = {"client_token": token, "scores": SCORES, "comment": "ok", "flags": ["other"]}
    submitted = api("POST", base + f"items/{item['item']}/submit/", body, status=201)
    assert submitted["annotation"]["created"] and submitted["progress"]["mine"] == 1
    again = api("POST", base + f"items/{item['item']}/submit/", body, status=200)
    assert not again["annotation"]["created"], "a retry with the same token is not a new one"
    assert api("GET", base + "progress/")["today"] == 1
    skipped = api("POST", base + f"items/{submitted['next']['item']}/skip/", {"reason": "x"})
    undone = api("POST", base + "undo/")
    assert undone["next"]["previous"]["comment"] == "ok"
    api("POST", base + "release/", {"item_ids": [undone["next"]["item"]]})
    if skipped["next"] is not None:
        api("POST", base + "release/", {"item_ids": [skipped["next"]["item"]]})
    resubmitted = api(
        "POST",
        base + f"items/{undone['next']['item']}/submit/",
        {**body, "client_token": str(uuid.uuid4())},
        status=201,
    )
    history = api("GET", base + "annotations/")
    mine = history["results"][0]["id"]
    annotation = f"/api/projects/{project.slug}/annotations/{mine}/"
    assert api("GET", annotation)["item"]["item"] == resubmitted["annotation"]["item"]
    api("PATCH", annotation, {"comment": "changed"})
    assert api("GET", annotation + "revisions/")[0]["after"]["comment"] == "changed"


def test_the_review_endpoints_answer_within_the_schema(
    project: Project, make_member: Callable[..., Any], call: Callable[[Any], Call]
) -> None:
    reviewers = [make_member(Role.REVIEWER, f"schema-r{i}") for i in (1, 2)]
    lead, adjudicator = make_member(Role.LEAD), make_member(Role.ADJUDICATOR)
    queue = make_queue(
        project, items=2, reviewers=reviewers, overlap=2, max_overlap=2, disagreement_threshold=2
    )
    rate_next(queue, reviewers[0], scores={**SCORES, "fluency": 1})
    contested = rate_next(queue, reviewers[1], scores={**SCORES, "fluency": 5}).item_id
    base = f"/api/projects/{project.slug}/queues/{queue.pk}/"
    as_lead, as_adjudicator = call(lead), call(adjudicator)

    rows = as_lead("GET", base + "reviewers/")
    assert {r["username"] for r in rows} == {"schema-r1", "schema-r2"}
    quotas = [{"username": "schema-r1", "quota": 5}, {"username": "schema-r2"}]
    as_lead("PUT", base + "reviewers/", {"reviewers": quotas})
    as_lead("POST", base + "pins/", {"reviewer": "schema-r1", "item_ids": [contested]})
    as_lead("POST", base + "items/", {"output_ids": []})
    review = as_adjudicator("GET", base + f"items/{contested}/")
    assert review["ratings"] and review["adjudication"] is None
    waiting = as_adjudicator("POST", base + "adjudication/next/", {})
    assert waiting["next"]["item"]["item"] == contested
    as_adjudicator("POST", base + f"items/{contested}/adjudicate/", {"scores": SCORES})
    assert as_adjudicator("GET", base + f"items/{contested}/")["adjudication"]["scores"] == SCORES
    assert as_adjudicator("POST", base + "adjudication/next/", {})["next"] is None


def test_a_blind_queue_and_an_empty_one_answer_within_the_schema(
    project: Project, make_member: Callable[..., Any], call: Callable[[Any], Call]
) -> None:
    reviewer = make_member(Role.REVIEWER, "schema-blind")
    queue = make_queue(project, items=1, reviewers=[reviewer], overlap=1)
    api = call(reviewer)
    base = f"/api/projects/{project.slug}/queues/{queue.pk}/"
    item = api("POST", base + "next/", {})["next"]
    assert "context" not in item and "others" not in item, "a blind queue reveals nothing"
    body = {"client_token": str(uuid.uuid4()), "scores": SCORES}
    done = api("POST", base + f"items/{item['item']}/submit/", body, status=201)
    assert done["next"] is None and done["reason"] == "done"
    queue_update(queue=queue, changes={"status": "paused"})
    assert api("POST", base + "next/", {})["reason"] == "paused"
