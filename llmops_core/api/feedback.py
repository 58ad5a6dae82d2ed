"""End-user feedback in: ``POST /api/projects/<slug>/feedback/`` and Langfuse's ``POST
/api/public/scores``.

Applications send feedback with the project's ingest key (``Authorization: Bearer <secret>``
or ``Basic base64(public:secret)``, as for traces); people and scripts may send it too, with
an API token or a session, as leads. A key acts for its own project only: another project's
slug answers 404, as for a non-member. Langfuse's score API takes what the Langfuse SDK's
``create_score`` sends (``langfuse/_task_manager/score_consumer.py``,
``langfuse/api/scores/types/``: a list of ``CreateScoreRequest``, answered 202 ``{"message":
"Accepted"}`` or 207 ``{"accepted", "rejected", "errors"}``).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from llmops_core.api.authentication import ApiTokenAuthentication, IngestKeyAuthentication
from llmops_core.api.errors import with_detail
from llmops_core.api.langfuse.views import LangfuseApiView
from llmops_core.api.parsers import SafeJSONParser
from llmops_core.api.views import ProjectScopedMixin
from llmops_core.errors import DomainError
from llmops_core.models import FeedbackKind, FeedbackSource, IngestKey, Role
from llmops_core.permissions import ProjectRolePermission
from llmops_core.services.feedback import (
    FeedbackResult,
    FeedbackTargetMissing,
    feedback_submit,
)
from llmops_core.services.feedback.submit import MAX_ROWS

# Langfuse's score data types, as feedback kinds.
SCORE_KINDS = {
    "NUMERIC": FeedbackKind.SCORE,
    "BOOLEAN": FeedbackKind.THUMBS,
    "TEXT": FeedbackKind.COMMENT,
    "CORRECTION": FeedbackKind.CORRECTION,
}


class FeedbackInSerializer(serializers.Serializer[Any]):
    """One piece of feedback (the body is one of these or a list of them)."""

    output_id = serializers.IntegerField(required=False, help_text="The output's id here.")
    external_id = serializers.CharField(required=False, help_text="The output's external id.")
    trace_id = serializers.CharField(
        required=False, help_text="32 hex digits; alone: the trace's one LLM output."
    )
    span_id = serializers.CharField(required=False, help_text="16 hex digits, with trace_id.")
    type = serializers.ChoiceField(
        choices=FeedbackKind.choices, required=False, help_text="Optional when value says it."
    )
    value = serializers.JSONField(
        required=False, help_text="Thumbs: up/down (true/false, 1/0); score: a number."
    )
    scale_min = serializers.FloatField(required=False)
    scale_max = serializers.FloatField(required=False)
    comment = serializers.CharField(required=False)
    correction = serializers.CharField(required=False, help_text="The right answer.")
    name = serializers.CharField(required=False, help_text="Your name for it (user-rating).")
    end_user_id = serializers.CharField(required=False)
    id = serializers.CharField(required=False, help_text="Your id: sending it again is a no-op.")
    timestamp = serializers.DateTimeField(required=False, help_text="When the user gave it.")


class FeedbackOutSerializer(serializers.Serializer[Any]):
    row = serializers.IntegerField(help_text="The row of the request, from 1.")
    id = serializers.IntegerField()
    output_id = serializers.IntegerField()
    client_id = serializers.CharField()
    created = serializers.BooleanField(help_text="False: stored before (same id).")


class FeedbackResponseSerializer(serializers.Serializer[Any]):
    created = serializers.IntegerField()
    existing = serializers.IntegerField()
    feedback = FeedbackOutSerializer(many=True)


class FeedbackWritePermission(ProjectRolePermission):
    """An ingest key of the URL's project, or a lead of it."""

    def has_permission(self, request: Request, view: Any) -> bool:
        key = request.auth
        if isinstance(key, IngestKey):
            if key.project.slug != view.kwargs.get("project_slug"):
                raise Http404("No such project.")
            view.project, view.role = key.project, Role.LEAD
            return True
        return super().has_permission(request, view)


def _submit(project: Any, data: Any, source: str) -> list[FeedbackResult]:
    rows = data if isinstance(data, list) else [data]
    try:
        return feedback_submit(project=project, rows=rows, source=source)
    except FeedbackTargetMissing as exc:
        raise NotFound(str(exc)) from None


class FeedbackCreateApi(ProjectScopedMixin, APIView):
    """Store end-user feedback about outputs (one object or a list); idempotent by ``id``."""

    authentication_classes = [
        ApiTokenAuthentication,
        IngestKeyAuthentication,
        SessionAuthentication,
    ]
    permission_classes = [FeedbackWritePermission]
    parser_classes = [SafeJSONParser]
    write_role = Role.LEAD

    @extend_schema(
        request=FeedbackInSerializer(many=True),
        responses={201: FeedbackResponseSerializer, 200: FeedbackResponseSerializer},
        examples=[
            OpenApiExample(
                "Thumbs down with a comment, by span",
                value={
                    "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
                    "span_id": "00f067aa0ba902b7",
                    "type": "thumbs",
                    "value": "down",
                    "comment": "It ignored my question.",
                    "id": "fb-123",
                },
                request_only=True,
            )
        ],
    )
    def post(self, request: Request, project_slug: str) -> Response:
        results = _submit(self.project, request.data, FeedbackSource.API)
        created = sum(r.created for r in results)
        body = {
            "created": created,
            "existing": len(results) - created,
            "feedback": FeedbackOutSerializer(results, many=True).data,
        }
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class LangfuseScoreSerializer(serializers.Serializer[Any]):
    """Langfuse's ``CreateScoreRequest`` (the fields stored here; others are ignored)."""

    id = serializers.CharField(required=False, allow_null=True, help_text="Idempotency key.")
    traceId = serializers.CharField()
    observationId = serializers.CharField(required=False, allow_null=True)
    name = serializers.CharField()
    value = serializers.JSONField(
        help_text="NUMERIC: a number; BOOLEAN: 1 (up) or 0 (down); TEXT, CORRECTION: text."
    )
    dataType = serializers.ChoiceField(
        choices=[*SCORE_KINDS, "CATEGORICAL"], required=False, allow_null=True
    )
    comment = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    timestamp = serializers.CharField(required=False, allow_null=True)


# "errors" is a Serializer attribute, so the answer's serializer is built from a dict.
LangfuseScoreResponseSerializer = inline_serializer(
    name="LangfuseScoreResponse",
    fields={
        "id": serializers.CharField(required=False, help_text="One score sent: its id."),
        "message": serializers.CharField(required=False, help_text='A list: "Accepted".'),
        "accepted": serializers.IntegerField(required=False, help_text="207: scores stored."),
        "rejected": serializers.IntegerField(required=False, help_text="207: scores refused."),
        "errors": serializers.ListField(child=serializers.DictField(), required=False),
    },
)


def langfuse_score_row(data: dict[str, Any]) -> dict[str, Any]:
    """Return a Langfuse score as a feedback row (``SCORE_KINDS`` says which kind)."""
    kind = str(data.get("dataType") or "").upper()
    value = data.get("value")
    if kind == "CATEGORICAL":
        raise serializers.ValidationError(
            {"dataType": "categorical scores are not stored; send NUMERIC or BOOLEAN"}
        )
    if not kind:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise serializers.ValidationError({"value": "give a number (or a dataType)"})
        kind = "NUMERIC"
    row = {
        "trace_id": data.get("traceId"),
        "span_id": data.get("observationId") or None,
        "type": SCORE_KINDS[kind],
        "name": data.get("name"),
        "comment": data.get("comment") or None,
        "id": data.get("id") or None,
        "timestamp": data.get("timestamp") or None,
    }
    if kind in ("TEXT", "CORRECTION"):
        field = "comment" if kind == "TEXT" else "correction"
        if row["comment"] and kind == "TEXT":
            raise serializers.ValidationError({"comment": "a TEXT score's text is its value"})
        row[field] = value
    else:
        row["value"] = value
    return row


def _score(project: Any, data: Any) -> FeedbackResult:
    score = LangfuseScoreSerializer(data=data)
    score.is_valid(raise_exception=True)
    row = langfuse_score_row(dict(score.validated_data))
    (result,) = feedback_submit(
        project=project, rows=[row], source=FeedbackSource.LANGFUSE, pending=True
    )
    return result


def _message(exc: Exception) -> str:
    detail = getattr(exc, "detail", None)
    return with_detail(detail)["detail"] if detail is not None else str(exc)


class LangfuseScoreCreateApi(LangfuseApiView):
    """Take scores the Langfuse way (``POST /api/public/scores``) as end-user feedback.

    One score answers ``{"id"}``; a list (what the Langfuse SDK sends) is taken score by
    score, as Langfuse does: 202 when all were stored, else 207 with the counts and why. A
    score for a span not stored yet waits for it.
    """

    parser_classes = [SafeJSONParser]

    @extend_schema(
        operation_id="langfuse_scores_create",
        tags=["langfuse"],
        request=LangfuseScoreSerializer,
        responses={
            200: LangfuseScoreResponseSerializer,
            202: LangfuseScoreResponseSerializer,
            207: LangfuseScoreResponseSerializer,
        },
    )
    def post(self, request: Request) -> Response:
        project = self.key.project
        if not isinstance(request.data, list):
            result = _score(project, request.data)
            return Response({"id": result.client_id or str(result.id)})
        if not request.data or len(request.data) > MAX_ROWS:
            raise serializers.ValidationError(f"send 1 to {MAX_ROWS} scores")
        errors = []
        for index, data in enumerate(request.data):
            try:
                _score(project, data)
            except (serializers.ValidationError, DomainError) as exc:
                errors.append({"index": index, "message": _message(exc)})
        if not errors:
            return Response({"message": "Accepted"}, status=status.HTTP_202_ACCEPTED)
        accepted = len(request.data) - len(errors)
        body = {"accepted": accepted, "rejected": len(errors), "errors": errors}
        return Response(body, status=status.HTTP_207_MULTI_STATUS)
