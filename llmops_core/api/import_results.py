"""The body an import answers with: counts, grouped errors, and its outputs in row order."""

from __future__ import annotations

from typing import Any, Final

from django.urls import reverse
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from llmops_core.api import serializers as s
from llmops_core.models import ImportJob
from llmops_core.selectors.imports import import_output_list
from llmops_core.services.imports import ImportResult

# Up to this many outputs are listed in the answer itself; past it, only the job's outputs URL.
OUTPUTS_INLINE_MAX: Final = 1000
_TRUE: Final = {"1", "true", "yes", "on"}
_FALSE: Final = {"", "0", "false", "no", "off"}


def query_flag(request: Request, name: str) -> bool:
    """Return the yes/no query parameter ``name`` (absent: no); other values are a 400."""
    value = request.query_params.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValidationError(
        {name: f"{value[:40]!r} is not a yes/no value; give true or false (or 1 or 0)"}
    )


def import_result_data(job: ImportJob, result: ImportResult) -> dict[str, Any]:
    """Return the answer to an import, shaped by ``ImportResultSerializer``."""
    outputs: list[Any] | None = None
    linked = result.rows_created + result.rows_existing
    if linked <= OUTPUTS_INLINE_MAX:
        outputs = list(import_output_list(job=job)[:OUTPUTS_INLINE_MAX])
    data = {
        "job": job.pk,
        **result.as_dict(),
        "outputs": outputs,
        "outputs_inline_max": OUTPUTS_INLINE_MAX,
        "outputs_url": reverse(
            "api-import-outputs", kwargs={"project_slug": job.project.slug, "pk": job.pk}
        ),
    }
    if result.rejected:
        data["detail"] = f"{result.rows_failed} bad row(s); nothing was imported"
        return dict(s.ImportRejectionSerializer(data).data)
    return dict(s.ImportResultSerializer(data).data)
