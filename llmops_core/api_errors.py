"""One JSON shape for every API error: ``{"detail": "...", ...}``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from llmops_core.errors import DomainError, NotAllowed


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Turn domain errors into 400/403 JSON responses; defer the rest to DRF."""
    if isinstance(exc, NotAllowed | DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, DomainError):
        body: dict[str, Any] = {"detail": str(exc)}
        body.update(exc.extra)
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
