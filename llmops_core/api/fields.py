"""Serializer fields shared by the API: integers bounded by their column, text, rubric anchors."""

from __future__ import annotations

from typing import Any

from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from llmops_core.models.ranges import COLUMN_RANGES, column_range
from llmops_core.services.rubrics import ANCHORS_EXAMPLE, anchors_clean
from llmops_core.text import normalize_newlines, normalize_newlines_in

__all__ = ["COLUMN_RANGES", "AnchorsField", "TextBoxField", "column_integer"]


def column_integer(
    model: type[models.Model],
    name: str,
    *,
    min_value: int | None = None,
    max_value: int | None = None,
    **kwargs: Any,
) -> serializers.IntegerField:
    """Return an IntegerField for ``model.name`` whose bounds never exceed its column's range.

    ``min_value`` and ``max_value`` narrow the range further (a domain rule); the schema
    carries the bounds, so clients and the API fuzzing see them.
    """
    low, high = column_range(model, name)
    return serializers.IntegerField(
        min_value=low if min_value is None else max(low, min_value),
        max_value=high if max_value is None else min(high, max_value),
        **kwargs,
    )


class TextBoxField(serializers.CharField):
    """Free text as typed in a text box: "\r\n" and lone "\r" are stored as "\n"."""

    def to_internal_value(self, data: Any) -> str:
        return normalize_newlines(super().to_internal_value(data))


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"type": "string"},
        "description": f"Text per level of the scale, e.g. {ANCHORS_EXAMPLE}.",
    }
)
class AnchorsField(serializers.JSONField):
    """A criterion's anchors: an object of level (a whole number) -> text."""

    def to_internal_value(self, data: Any) -> dict[str, str]:
        value = normalize_newlines_in(super().to_internal_value(data))
        try:
            return anchors_clean(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None
