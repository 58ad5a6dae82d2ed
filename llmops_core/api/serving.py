"""Serve prompts to applications: ``GET /api/prompts/{name}/?label=production`` (or ``?version=N``).

Token auth; leads and admins of the prompt's project may read (reviewers get 403, everyone else
404). The label is resolved in the database on every request and the version's payload comes
from the cache (see ``services.serving``); it carries an ETag, the version's content hash (plus
the label for label lookups): a client that sends it back in ``If-None-Match`` gets
``304 Not Modified`` until the label moves, from every web process.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from llmops_core.models import Role
from llmops_core.selectors.projects import role_allows
from llmops_core.selectors.prompts import PRODUCTION, ServingCandidate, serving_candidates
from llmops_core.services.serving import served_prompt


class ServeQuerySerializer(serializers.Serializer[Any]):
    label = serializers.SlugField(  # type: ignore[assignment]
        required=False, help_text="Default: production."
    )
    version = serializers.IntegerField(required=False, min_value=1)
    project = serializers.SlugField(
        required=False, help_text="Needed only when several of your projects have this prompt."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "label" in attrs and "version" in attrs:
            raise ValidationError("ask for a label or a version, not both")
        return attrs


class ServedPromptSerializer(serializers.Serializer[Any]):
    project = serializers.CharField()
    name = serializers.CharField()
    version = serializers.IntegerField()
    label = serializers.CharField(allow_null=True)  # type: ignore[assignment]
    template_text = serializers.CharField()
    system_message = serializers.CharField(allow_blank=True)
    model = serializers.CharField()
    parameters = serializers.DictField()
    content_hash = serializers.CharField()


def _matches(header: str, etag: str) -> bool:
    """Return whether an If-None-Match header names ``etag`` (weak or strong, or ``*``)."""
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


class PromptServeApi(APIView):
    """Return a prompt's template, model and parameters by label (default production) or version.

    Readable by leads and admins of the project. Send ``If-None-Match`` with the last ETag to
    get 304 when nothing changed.
    """

    permission_classes = [IsAuthenticated]

    def _candidate(
        self, name: str, slug: str | None, label: str | None, number: int | None
    ) -> ServingCandidate:
        """Return the template the user may read, resolving the project (404, 400, 403)."""
        candidates = serving_candidates(
            user=self.request.user, name=name, label=label, number=number
        )
        if slug is not None:
            candidates = [c for c in candidates if c.slug == slug.lower()]
        if not candidates:
            raise NotFound(f'no prompt "{name}" in your projects')
        if len(candidates) > 1:
            slugs = ", ".join(sorted(c.slug for c in candidates))
            raise ValidationError(
                {
                    "project": f'prompt "{name}" exists in several of your '
                    f"projects ({slugs}): add ?project=SLUG"
                }
            )
        candidate = candidates[0]
        if not role_allows(candidate.role, Role.LEAD):
            raise PermissionDenied(
                f"reading prompts needs the lead role in project {candidate.slug}"
            )
        return candidate

    @extend_schema(
        parameters=[ServeQuerySerializer],
        responses={200: ServedPromptSerializer, 304: OpenApiResponse(description="Not modified")},
    )
    def get(self, request: Request, name: str) -> Response:
        query = ServeQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        number = params.get("version")
        label = None if number is not None else params.get("label", PRODUCTION).lower()
        candidate = self._candidate(name, params.get("project"), label, number)
        payload = None
        if candidate.version_id is not None:
            payload = served_prompt(version_id=candidate.version_id, label=label)
        if payload is None:
            what = f"version {number}" if number is not None else f'label "{label}"'
            raise NotFound(f'prompt "{name}" has no {what}')
        etag = payload["etag"]
        headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
        if _matches(request.headers.get("If-None-Match", ""), etag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
        body = {k: v for k, v in payload.items() if k != "etag"}
        return Response(body, headers=headers)
