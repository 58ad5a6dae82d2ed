"""Endpoints of the Langfuse-compatible prompt API (wire format: see the package docstring)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from llmops_core.api.authentication import IngestKeyAuthentication
from llmops_core.api.errors import exception_handler
from llmops_core.api.langfuse import serializers as s
from llmops_core.api.schema import ErrorDocumentingAutoSchema
from llmops_core.api.serving import _matches as etag_matches
from llmops_core.models import IngestKey
from llmops_core.selectors.langfuse_prompts import (
    LangfuseListFilter,
    LangfuseVersionMeta,
    langfuse_prompt_get,
    langfuse_prompt_list,
    langfuse_version_get,
)
from llmops_core.selectors.prompts import PRODUCTION
from llmops_core.services.langfuse_prompts import (
    CHAT,
    TEXT,
    langfuse_prompt_create,
    langfuse_prompt_labels_add,
)
from llmops_core.services.promotion import PromotionRefused
from llmops_core.services.serving import served_prompt

# Langfuse's error names (packages/shared/src/errors), by status.
ERROR_NAMES = {
    400: "InvalidRequestError",
    401: "UnauthorizedError",
    403: "ForbiddenError",
    404: "LangfuseNotFoundError",
    405: "MethodNotAllowedError",
}


class HasIngestKey(BasePermission):
    """Let in requests authenticated by a project's ingest key."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, IngestKey)


class LangfuseAutoSchema(ErrorDocumentingAutoSchema):
    """Errors in Langfuse's shape, described for an ingest key's requests."""

    error_serializer = s.LangfuseErrorSerializer
    error_descriptions = {
        **ErrorDocumentingAutoSchema.error_descriptions,
        "400": "The request is invalid; message says what and where.",
        "401": "No ingest key pair, or a wrong or revoked one.",
        "403": "The release gate refused to move production (message and reasons say why).",
        "404": "No such prompt, label or version in the key's project.",
    }


def _issues(detail: Any, path: list[str | int]) -> Iterator[dict[str, Any]]:
    """Yield ``{"path", "message"}`` per message of a DRF validation error, like zod's issues."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            inner = path if key in ("non_field_errors", "detail") else [*path, key]
            yield from _issues(value, inner)
    elif isinstance(detail, list):
        nested = any(isinstance(item, dict | list) for item in detail)
        for index, item in enumerate(detail):
            yield from _issues(item, [*path, index] if nested else path)
    else:
        yield {"code": getattr(detail, "code", "invalid"), "path": path, "message": str(detail)}


def langfuse_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Answer errors in Langfuse's shape: ``{"message", "error"}`` (plus ``reasons``)."""
    if isinstance(exc, PromotionRefused):
        return Response(
            {
                "message": str(exc),
                "error": ERROR_NAMES[403],
                "reasons": exc.extra.get("reasons", []),
            },
            status=status.HTTP_403_FORBIDDEN,
        )
    response = exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    error: Any = ERROR_NAMES.get(response.status_code, "ApiError")
    extra: dict[str, Any] = {}
    if isinstance(exc, ValidationError):
        error = list(_issues(exc.detail, []))
    elif isinstance(data, dict):
        extra = {k: v for k, v in data.items() if k != "detail"}
    response.data = {"message": data["detail"], "error": error, **extra}
    return response


class LangfuseApiView(APIView):
    """Ingest key auth, no session, Langfuse's error shape."""

    authentication_classes = [IngestKeyAuthentication]
    permission_classes = [HasIngestKey]
    schema = LangfuseAutoSchema()

    def get_exception_handler(self) -> Callable[[Exception, dict[str, Any]], Response | None]:
        return langfuse_exception_handler

    @property
    def key(self) -> IngestKey:
        key = self.request.auth
        assert isinstance(key, IngestKey)
        return key


def _prompt(meta: LangfuseVersionMeta, payload: dict[str, Any]) -> dict[str, Any]:
    """Return a version as Langfuse's ``Prompt`` (chat: the system message, then the template)."""
    chat = meta.chat or bool(payload["system_message"])
    content: Any = payload["template_text"]
    if chat:
        content = [{"role": "user", "content": payload["template_text"]}]
        if payload["system_message"]:
            content.insert(0, {"role": "system", "content": payload["system_message"]})
    return {
        "id": str(meta.version_id),
        "projectId": meta.project_slug,
        "name": meta.name,
        "version": meta.number,
        "type": CHAT if chat else TEXT,
        "prompt": content,
        "config": config_of(payload["model"], payload["parameters"]),
        "labels": meta.labels,
        "tags": meta.tags,
        "commitMessage": meta.note or None,
        "createdAt": meta.created_at,
        "updatedAt": meta.updated_at,
        "createdBy": meta.created_by or "API",
        "resolutionGraph": None,
    }


def config_of(model: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """Return Langfuse's ``config`` of a version: its model, then its parameters."""
    return {"model": model, **{k: v for k, v in parameters.items() if k != "model"}}


def prompt_body(
    key: IngestKey, name: str, *, label: str | None = None, number: int | None = None
) -> dict[str, Any] | None:
    """Return the serialized version a label (or number) names now, or None.

    The label is resolved in the database; the content comes from the serving cache, keyed by
    the version, whose content never changes.
    """
    meta = langfuse_prompt_get(project=key.project, name=name, label=label, number=number)
    if meta is None:
        return None
    payload = served_prompt(version_id=meta.version_id, label=None)
    if payload is None:
        return None
    return dict(s.LangfusePromptSerializer(_prompt(meta, payload)).data)


def _not_found(name: str, *, label: str | None = None, number: int | None = None) -> NotFound:
    what = f"with version {number}" if number is not None else f"with label '{label}'"
    return NotFound(f"Prompt not found: '{name}' {what}")


def _etag(body: dict[str, Any]) -> str:
    text = json.dumps(body, sort_keys=True, cls=DjangoJSONEncoder)
    return f'"{hashlib.sha256(text.encode()).hexdigest()[:40]}"'


class LangfusePromptGetApi(LangfuseApiView):
    """Get a prompt version by label (default production) or by version number."""

    @extend_schema(
        operation_id="langfuse_prompts_get",
        tags=["langfuse"],
        parameters=[s.LangfusePromptQuerySerializer],
        responses={
            200: s.LangfusePromptSerializer,
            304: OpenApiResponse(description="Not modified (If-None-Match named the ETag)."),
        },
    )
    def get(self, request: Request, name: str) -> Response:
        query = s.LangfusePromptQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        number = query.validated_data.get("version")
        label = None if number is not None else query.validated_data.get("label", PRODUCTION)
        body = prompt_body(self.key, name, label=label, number=number)
        if body is None:
            raise _not_found(name, label=label, number=number)
        etag = _etag(body)
        headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
        if etag_matches(request.headers.get("If-None-Match", ""), etag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
        return Response(body, headers=headers)


class LangfusePromptListApi(LangfuseApiView):
    """List the project's prompts (by name, paginated); create a prompt version."""

    @extend_schema(
        operation_id="langfuse_prompts_list",
        tags=["langfuse"],
        parameters=[s.LangfuseListQuerySerializer],
        responses={200: s.LangfusePromptListSerializer},
    )
    def get(self, request: Request) -> Response:
        query = s.LangfuseListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        flt = LangfuseListFilter(
            name=params.get("name"),
            label=params.get("label"),
            tag=params.get("tag"),
            number=params.get("version"),
            updated_from=params.get("fromUpdatedAt"),
            updated_to=params.get("toUpdatedAt"),
        )
        page, limit = params["page"], params["limit"]
        prompts, total = langfuse_prompt_list(
            project=self.key.project, flt=flt, page=page, limit=limit
        )
        data = [
            {
                "name": p.name,
                "type": CHAT if p.chat else TEXT,
                "versions": p.versions,
                "labels": p.labels,
                "tags": p.tags,
                "lastUpdatedAt": p.last_updated_at,
                "lastConfig": config_of(p.last_model, p.last_parameters),
            }
            for p in prompts
        ]
        meta = {"page": page, "limit": limit, "totalItems": total, "totalPages": -(-total // limit)}
        return Response(s.LangfusePromptListSerializer({"data": data, "meta": meta}).data)

    @extend_schema(
        operation_id="langfuse_prompts_create",
        tags=["langfuse"],
        request=s.LangfusePromptCreateSerializer,
        responses={201: s.LangfusePromptSerializer, 200: s.LangfusePromptSerializer},
    )
    def post(self, request: Request) -> Response:
        data = s.LangfusePromptCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        version, created = langfuse_prompt_create(
            key=self.key,
            name=fields["name"],
            kind=fields.get("type") or TEXT,
            prompt=fields["prompt"],
            config=fields.get("config"),
            labels=fields.get("labels") or [],
            tags=fields.get("tags"),
            commit_message=fields.get("commitMessage") or "",
        )
        body = prompt_body(self.key, fields["name"], number=version.number)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(body, status=code)


class LangfusePromptVersionApi(LangfuseApiView):
    """Add labels to a version (``newLabels``); production moves only through the gate."""

    @extend_schema(
        operation_id="langfuse_prompt_version_update",
        tags=["langfuse"],
        request=s.LangfuseLabelsSerializer,
        responses=s.LangfusePromptSerializer,
    )
    def patch(self, request: Request, name: str, version: int) -> Response:
        data = s.LangfuseLabelsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        found = langfuse_version_get(project=self.key.project, name=name, number=version)
        if found is None:
            raise _not_found(name, number=version)
        langfuse_prompt_labels_add(
            key=self.key, version=found, labels=data.validated_data["newLabels"]
        )
        return Response(prompt_body(self.key, name, number=version))
