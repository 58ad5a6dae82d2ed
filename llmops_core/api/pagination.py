"""API pagination: page numbers for small lists, keyset (cursor) for lists that grow large."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Field, Model, QuerySet
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination, PageNumberPagination
from rest_framework.request import Request
from rest_framework.views import APIView

from llmops_core.io.jsontext import show


class StrictPageSize:
    """``?page_size=`` that is not one whole number from 1 is a 400, not silently ignored.

    DRF falls back to the default page size for ``page_size=abc`` or ``page_size=0``: a client
    with a typo gets a page of the wrong size and no word why. Sizes over the maximum are still
    capped at it, as the schema says.
    """

    page_size: int
    page_size_query_param = "page_size"
    max_page_size: int

    def get_page_size(self, request: Request) -> int:
        values = request.query_params.getlist(self.page_size_query_param)
        if not values:
            return self.page_size
        name = self.page_size_query_param
        if len(values) > 1 or not values[0].isascii() or not values[0].isdigit():
            raise ValidationError(
                {"detail": f'query parameter "{name}": give one whole number from 1'}
            )
        size = int(values[0])
        if size < 1:
            raise ValidationError({"detail": f'query parameter "{name}": {size} is below 1'})
        return min(size, self.max_page_size)

    def page_size_schema(self, parameters: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Return ``parameters`` with page_size's bounds and cap described."""
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
                parameter["description"] = (
                    f"Results per page (default {self.page_size}); "
                    f"sizes over {self.max_page_size} are capped at it."
                )
        return parameters


class DefaultPagination(StrictPageSize, PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        return self.page_size_schema(super().get_schema_operation_parameters(view))


class KeysetPagination(StrictPageSize, CursorPagination):
    """Stable, index-backed paging by id: no OFFSET scans on million-row tables.

    A cursor is opaque to clients but only base64 text, so one can be forged: DRF answers a
    malformed one with 404 and passes a forged position straight into the query, where a
    non-integer id fails inside the database (a 500). Both are a 400 here, naming the cursor.
    """

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = "id"
    cursor_query_description = (
        "Opaque position in the list: the value from a page's next or previous link."
    )
    _model: type[Model] | None = None

    def paginate_queryset(
        self,
        queryset: QuerySet[Any, Any] | Sequence[Any],
        request: Request,
        view: APIView | None = None,
    ) -> list[Any] | None:
        self._model = queryset.model if isinstance(queryset, QuerySet) else None
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Request) -> Cursor | None:
        """Return the request's cursor, or raise a 400 saying why it cannot be one of ours."""
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise self._invalid("is not a cursor from this list's next or previous link") from None
        if cursor is None or cursor.position is None or self._model is None:
            return cursor
        name = self.ordering[0].lstrip("-")
        field = self._model._meta.get_field(name)
        try:
            if isinstance(field, Field):
                field.to_python(cursor.position)
        except DjangoValidationError:
            raise self._invalid(
                f"its position {show(cursor.position)} is not a valid {name}"
            ) from None
        return cursor

    def _invalid(self, reason: str) -> ValidationError:
        return ValidationError({"detail": f'query parameter "{self.cursor_query_param}": {reason}'})

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        """Describe the cursor as its own format, so schema-driven clients and fuzzers know it."""
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.cursor_query_param:
                parameter["schema"] = {"type": "string", "format": "keyset-cursor"}
        return self.page_size_schema(parameters)
