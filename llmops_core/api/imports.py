"""REST endpoints of import jobs beyond the list and detail: the outputs of an import."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from rest_framework import generics

from llmops_core.api import serializers as s
from llmops_core.api.pagination import KeysetPagination
from llmops_core.api.views import ProjectScopedMixin
from llmops_core.models import ImportJobOutput, Role
from llmops_core.selectors.imports import import_output_list
from llmops_core.selectors.projects import import_job_list


class RowKeysetPagination(KeysetPagination):
    """Keyset pages in row order (the rows of one job are unique and indexed)."""

    ordering = "row"


class ImportJobOutputListApi(ProjectScopedMixin, generics.ListAPIView[Any]):
    """List the outputs an import's rows stand for, in row order: created or already present.

    Rows that failed or were skipped have none. Keyset pages, however large the import.
    """

    model = ImportJobOutput
    serializer_class = s.ImportOutputSerializer
    pagination_class = RowKeysetPagination
    read_role = Role.LEAD

    def get_project_queryset(self) -> QuerySet[Any]:
        job = get_object_or_404(import_job_list(project=self.project), pk=self.kwargs["pk"])
        return import_output_list(job=job)
