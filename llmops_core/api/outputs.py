"""The outputs filter in the API: query parameters (or a ``filter`` object) to an
``OutputFilter``, with a 400 naming each bad parameter; and its OpenAPI description."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes
from rest_framework.exceptions import ValidationError

from llmops_core.forms.outputs import PARAMS, OutputFilterForm, filter_data_from_json
from llmops_core.models import Project
from llmops_core.selectors.outputs import OutputFilter


def output_filter_from_params(
    *, project: Project, user: User, params: Mapping[str, Any], prefix: str = ""
) -> OutputFilter:
    """Return the filter the parameters describe, or raise a 400 naming each bad one.

    ``prefix`` names where the parameters came from (``filter.`` for a request body's object).
    """
    form = OutputFilterForm(params, project=project, user=user)
    if not form.is_valid():
        raise ValidationError(
            {
                f"{prefix}{name}": [str(m) for m in messages]
                for name, messages in form.errors.items()
            }
        )
    return form.to_filter()


def output_filter_from_json(*, project: Project, user: User, value: Any) -> OutputFilter:
    """Return the filter of a request body's ``filter`` object, or raise a 400 naming it."""
    try:
        data = filter_data_from_json(value)
    except ValueError as exc:
        raise ValidationError({"filter": [str(exc)]}) from None
    return output_filter_from_params(project=project, user=user, params=data, prefix="filter.")


STR, INT, DATE = OpenApiTypes.STR, OpenApiTypes.INT, OpenApiTypes.DATE
FILTER_PARAMETERS = [
    OpenApiParameter("q", STR, description="Text in the input, the output or the external id."),
    OpenApiParameter("prompt", STR, many=True, description="Prompt template names (any of)."),
    OpenApiParameter("prompt_version_id", INT, many=True, description="Version ids (any of)."),
    OpenApiParameter("model", STR, many=True, description="Model names (any of)."),
    OpenApiParameter("created_from", DATE, description="Created on or after this day."),
    OpenApiParameter("created_to", DATE, description="Created on or before this day."),
    OpenApiParameter("rated", STR, enum=["yes", "no"], description="Has a submitted label."),
    OpenApiParameter(
        "queue", STR, many=True, description='Queue ids (any of); "none": in no queue.'
    ),
    OpenApiParameter("judge_criterion", STR, description="Criterion of the judge score range."),
    OpenApiParameter("judge_min", INT, description="Latest judge score at least this."),
    OpenApiParameter("judge_max", INT, description="Latest judge score at most this."),
    OpenApiParameter(
        "import_id", INT, description="The outputs the rows of this import stand for."
    ),
    OpenApiParameter(
        "feedback",
        STR,
        enum=["any", "down", "up", "comment", "correction"],
        description="Has end-user feedback: any, thumbs down, thumbs up, a comment, a correction.",
    ),
]
assert [p.name for p in FILTER_PARAMETERS] == list(PARAMS)
