"""Named reads of imports: the outputs an import job's rows stand for."""

from __future__ import annotations

from django.db.models import QuerySet

from llmops_core.models import ImportJob, ImportJobOutput


def import_output_list(*, job: ImportJob) -> QuerySet[ImportJobOutput]:
    """Return the job's rows and their outputs in row order, with each output's external id."""
    return (
        ImportJobOutput.objects.filter(job=job)
        .select_related("output")
        .only("id", "row", "created", "output_id", "output__external_id")
        .order_by("row")
    )
