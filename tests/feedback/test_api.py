"""The feedback API: each way of naming an output, ingest keys, idempotency, refusals, roles."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from llmops_core.models import Feedback, Project, Role
from llmops_core.services.ingest_keys import ingest_key_revoke
from llmops_core.services.tokens import token_create
from tests.factories import ProjectFactory
from tests.feedback.conftest import LONE_TRACE, SPAN_A, SPAN_B, TRACE, App, Outputs, post, url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("address", "which"),
    [
        ({"external_id": "ticket-1"}, "plain"),
        ({"trace_id": TRACE, "span_id": SPAN_B}, "b"),
        ({"trace_id": TRACE.upper(), "span_id": SPAN_A}, "a"),
        ({"trace_id": LONE_TRACE}, "lone"),
    ],
)
def test_feedback_finds_its_output_by_each_key(
    app: App, outputs: Outputs, project: Project, address: dict[str, str], which: str
) -> None:
    response = post(app.client(), project, {**address, "type": "thumbs", "value": "down"})
    assert response.status_code == 201, response.json()
    stored = Feedback.objects.get()
    assert stored.output == getattr(outputs, which)
    assert (stored.kind, stored.thumb, stored.source) == ("thumbs", False, "api")


def test_feedback_by_output_id_stores_every_value_field(
    app: App, outputs: Outputs, project: Project
) -> None:
    body = [
        {"output_id": outputs.plain.pk, "value": "up", "end_user_id": "u-7", "name": "helpful"},
        {"output_id": outputs.plain.pk, "type": "score", "value": 4, "scale": {"min": 1, "max": 5}},
        {"output_id": outputs.plain.pk, "comment": "Too long."},
        {
            "output_id": outputs.plain.pk,
            "correction": "Click Settings.",
            "timestamp": "2026-01-02T03:04:05Z",
        },
    ]
    response = post(app.client(basic=True), project, body)
    assert response.status_code == 201 and response.json()["created"] == 4
    up, score, comment, fix = Feedback.objects.order_by("pk")
    assert (up.kind, up.thumb, up.end_user_id, up.name) == ("thumbs", True, "u-7", "helpful")
    assert (score.kind, score.score, score.scale_min, score.scale_max) == ("score", 4, 1, 5)
    assert (comment.kind, comment.comment) == ("comment", "Too long.")
    assert (fix.kind, fix.correction) == ("correction", "Click Settings.")
    assert fix.client_created_at is not None and fix.client_created_at.year == 2026


def test_a_trace_with_several_outputs_needs_a_span_id(
    app: App, outputs: Outputs, project: Project
) -> None:
    response = post(app.client(), project, {"trace_id": TRACE, "value": "up"})
    assert response.status_code == 400
    assert response.json()["detail"] == (
        f'row 1, field "span_id": trace {TRACE} has 2 LLM outputs; give span_id to say which '
        "one the feedback is about"
    )
    assert not Feedback.objects.exists()


@pytest.mark.parametrize(
    ("address", "named"),
    [
        ({"external_id": "nope"}, "external_id 'nope'"),
        ({"output_id": 999_999}, "output_id 999999"),
        ({"trace_id": TRACE, "span_id": "1111111111111111"}, "span_id 1111111111111111"),
        ({"trace_id": "f" * 32}, "trace_id " + "f" * 32),
    ],
)
def test_feedback_for_an_output_not_stored_is_404_naming_the_key(
    app: App, outputs: Outputs, project: Project, address: dict[str, Any], named: str
) -> None:
    good = {"output_id": outputs.plain.pk, "value": "up"}
    response = post(app.client(), project, [good, {**address, "value": "up"}])
    assert response.status_code == 404
    detail = response.json()["detail"]
    assert detail.startswith("row 2: no output with") and named in detail
    assert not Feedback.objects.exists()  # the good first row was not written either


def test_an_output_of_another_project_is_not_found(app: App, project: Project) -> None:
    from tests.factories import ModelOutputFactory

    elsewhere = ModelOutputFactory(project=ProjectFactory())
    response = post(app.client(), project, {"output_id": elsewhere.pk, "value": "up"})
    assert response.status_code == 404 and not Feedback.objects.exists()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"value": "maybe"}, "row 2, field \"value\": 'maybe' is not thumbs up or down"),
        ({"type": "stars", "value": 3}, "row 2, field \"type\": 'stars' is not one of"),
        (
            {"type": "score", "value": 7, "scale_min": 1, "scale_max": 5},
            'row 2, field "value": 7 is outside',
        ),
        ({"type": "score", "value": "NaN"}, 'row 2, field "value": NaN is not a finite'),
        ({"type": "comment", "comment": "  "}, 'row 2, field "comment": comment feedback needs'),
        ({"value": "up", "timestamp": "yesterday"}, 'row 2, field "timestamp":'),
        (
            {"value": "up", "timestamp": "0001-01-01T00:00:00+14:00"},
            'row 2, field "timestamp": 0001-01-01T00:00:00+14:00 is outside the years',
        ),
        ({"value": 9, "scale_max": 5}, 'row 2, field "value": 9 is outside the scale (to 5)'),
        ({"value": "up", "comment": 5}, 'row 2, field "comment": give text'),
        (
            {"value": "up", "scale_min": 5, "scale_max": 1},
            'row 2, field "scale_max": 1 is not above',
        ),
        ({}, 'row 2, field "type": give the feedback'),
    ],
)
def test_bad_input_is_400_naming_row_and_field_and_nothing_is_written(
    app: App, outputs: Outputs, project: Project, row: dict[str, Any], message: str
) -> None:
    good = {"output_id": outputs.plain.pk, "value": "up"}
    response = post(app.client(), project, [good, {"output_id": outputs.plain.pk, **row}])
    assert response.status_code == 400
    assert response.json()["detail"].startswith(message), response.json()
    assert not Feedback.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "send one piece of feedback"),
        (["up"], "row 1: give an object, not str"),
        ({"value": "up"}, 'row 1, field "output_id": name the output by one of'),
        ({"output_id": 1, "external_id": "x", "value": "up"}, "got output_id and external_id"),
        ({"external_id": "ticket-1", "span_id": SPAN_A, "value": "up"}, "span_id goes with"),
        ({"trace_id": "xyz", "value": "up"}, 'row 1, field "trace_id": give 32 hexadecimal'),
        ({"output_id": "7", "value": "up"}, "is not an output id"),
        ({"output_id": 2**64, "value": "up"}, "is not an output id"),
        ("thumbs up", "row 1: give an object"),
    ],
)
def test_malformed_requests_are_400(
    app: App, outputs: Outputs, project: Project, body: Any, message: str
) -> None:
    response = post(app.client(), project, body)
    assert response.status_code == 400 and message in response.json()["detail"]
    assert not Feedback.objects.exists()


def test_feedback_is_idempotent_by_the_clients_id(
    app: App, outputs: Outputs, project: Project
) -> None:
    body = {"external_id": "ticket-1", "value": "down", "id": "fb-1"}
    first = post(app.client(), project, body)
    again = post(app.client(), project, {**body, "value": "up"})
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["existing"] == 1 and again.json()["feedback"][0]["created"] is False
    assert first.json()["feedback"][0]["id"] == again.json()["feedback"][0]["id"]
    assert Feedback.objects.get().thumb is False  # the first one stands
    twice = post(app.client(), project, [{**body, "id": "fb-2"}, {**body, "id": "fb-2"}])
    assert [r["created"] for r in twice.json()["feedback"]] == [True, False]
    assert Feedback.objects.count() == 2


def test_a_wrong_or_revoked_ingest_key_is_401(app: App, outputs: Outputs, project: Project) -> None:
    body = {"external_id": "ticket-1", "value": "up"}
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Bearer sk-lf-not-a-key")
    assert post(wrong, project, body).status_code == 401
    mismatched = APIClient()
    mismatched.credentials(HTTP_AUTHORIZATION="Basic cGstbGYteDpzay1sZi15")  # pk-lf-x:sk-lf-y
    assert post(mismatched, project, body).status_code == 401
    assert post(APIClient(), project, body).status_code in (401, 403)
    ingest_key_revoke(key=app.key, actor=None)
    assert post(app.client(), project, body).status_code == 401
    assert not Feedback.objects.exists()


def test_an_ingest_key_acts_for_its_own_project_only(app: App, outputs: Outputs) -> None:
    other = ProjectFactory()  # ticket-1 is an output of the key's project, not of this one
    response = post(app.client(), other, {"external_id": "ticket-1", "value": "up"})
    assert response.status_code == 404 and not Feedback.objects.exists()


ROLE_STATUS = {
    Role.REVIEWER: 403,
    Role.ADJUDICATOR: 403,
    Role.LEAD: 201,
    Role.ADMIN: 201,
    "outsider": 404,
}


@pytest.mark.parametrize("role", list(ROLE_STATUS))
def test_people_need_the_lead_role(
    outputs: Outputs,
    project: Project,
    make_member: Callable[..., Any],
    api_as: Callable[[Any], APIClient],
    role: str,
) -> None:
    if role == "outsider":
        user = make_member(Role.LEAD, "elsewhere", proj=ProjectFactory())
    else:
        user = make_member(role, f"user-{role}")
    response = post(api_as(user), project, {"external_id": "ticket-1", "value": "up"})
    assert response.status_code == ROLE_STATUS[role]
    assert Feedback.objects.exists() == (response.status_code == 201)


def test_an_api_token_of_a_lead_works(outputs: Outputs, project: Project, lead: Any) -> None:
    _, key = token_create(user=lead, name="script")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert post(client, project, {"external_id": "ticket-1", "value": 0}).status_code == 201
    assert Feedback.objects.get().thumb is False


def test_the_endpoint_only_takes_post(app: App, project: Project) -> None:
    assert app.client().get(url(project)).status_code == 405


# Langfuse's score API -------------------------------------------------------------------------


def scores(app: App, body: Any) -> Any:
    return app.client(basic=True).post("/api/public/scores", body, format="json")


def test_langfuse_scores_become_feedback(app: App, outputs: Outputs) -> None:
    thumbs = {
        "traceId": TRACE,
        "observationId": SPAN_A,
        "name": "user-feedback",
        "value": 0,
        "dataType": "BOOLEAN",
        "comment": "wrong",
        "id": "score-1",
    }
    response = scores(app, thumbs)
    assert response.status_code == 200 and response.json() == {"id": "score-1"}
    numeric = {"traceId": LONE_TRACE, "name": "stars", "value": 4.5}
    assert scores(app, numeric).status_code == 200
    down, stars = Feedback.objects.order_by("pk")
    assert (down.output, down.kind, down.thumb, down.comment) == (
        outputs.a,
        "thumbs",
        False,
        "wrong",
    )
    assert (down.source, down.name, down.client_id) == ("langfuse", "user-feedback", "score-1")
    assert (stars.output, stars.kind, stars.score) == (outputs.lone, "score", 4.5)
    assert scores(app, thumbs).json() == {"id": "score-1"} and Feedback.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"traceId": TRACE, "name": "x", "value": 1}, 400, "give span_id"),
        (
            {"traceId": LONE_TRACE, "name": "x", "value": "good", "dataType": "CATEGORICAL"},
            400,
            "categorical scores are not stored",
        ),
        ({"traceId": LONE_TRACE, "name": "x", "value": "high"}, 400, "give a number"),
        ({"name": "x", "value": 1}, 400, "traceId"),
        ({"traceId": "not-hex", "name": "x", "value": 1}, 400, "give 32 hexadecimal digits"),
        (
            {"traceId": LONE_TRACE, "name": "x", "value": "ok", "dataType": "TEXT", "comment": "y"},
            400,
            "a TEXT score's text is its value",
        ),
    ],
)
def test_langfuse_score_refusals_use_langfuses_shape(
    app: App, outputs: Outputs, body: dict[str, Any], status: int, message: str
) -> None:
    response = scores(app, body)
    assert response.status_code == status
    assert message in str(response.json()["message"]) + str(response.json()["error"])
    assert not Feedback.objects.exists()


def test_a_score_for_a_span_not_stored_yet_waits_for_it(app: App, project: Project) -> None:
    from tests.factories import ModelOutputFactory

    body = {
        "traceId": "f" * 32,
        "observationId": SPAN_A,
        "name": "x",
        "value": 1,
        "dataType": "BOOLEAN",
    }
    assert scores(app, body).status_code == 200
    waiting = Feedback.objects.get()
    assert waiting.output is None and (waiting.trace_id, waiting.span_id) == ("f" * 32, SPAN_A)
    from llmops_core.services.feedback import feedback_pending_attach

    output = ModelOutputFactory(project=project, trace_id="f" * 32, span_id=SPAN_A)
    assert feedback_pending_attach(project_id=project.pk, output_ids=[output.pk]) == 1
    waiting.refresh_from_db()
    assert waiting.output == output


def test_a_list_of_scores_is_taken_score_by_score_as_langfuse_does(
    app: App, outputs: Outputs
) -> None:
    good = {"traceId": LONE_TRACE, "name": "fix", "value": "Say 42.", "dataType": "CORRECTION"}
    text = {"traceId": LONE_TRACE, "name": "why", "value": "Too terse.", "dataType": "TEXT"}
    accepted = scores(app, [good, text])
    assert accepted.status_code == 202 and accepted.json() == {"message": "Accepted"}
    bad = {"traceId": TRACE, "name": "x", "value": 1}  # two outputs in that trace
    partial = scores(app, [bad, {**good, "id": "s-2"}])
    assert partial.status_code == 207
    body = partial.json()
    assert (body["accepted"], body["rejected"]) == (1, 1)
    assert body["errors"][0]["index"] == 0 and "give span_id" in body["errors"][0]["message"]
    kinds = list(Feedback.objects.order_by("pk").values_list("kind", "correction", "comment"))
    assert kinds == [
        ("correction", "Say 42.", ""),
        ("comment", "", "Too terse."),
        ("correction", "Say 42.", ""),
    ]


def test_a_score_of_another_observation_is_about_the_traces_only_output(
    app: App, outputs: Outputs
) -> None:
    body = {"traceId": LONE_TRACE, "observationId": "9" * 16, "name": "x", "value": 3}
    assert scores(app, body).status_code == 200
    assert Feedback.objects.get().output == outputs.lone
