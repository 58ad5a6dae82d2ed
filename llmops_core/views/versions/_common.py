"""Helpers shared by the release-loop pages: look-ups that 404, report polling and charts."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.urls import reverse

from llmops_core.charts.versions import CHARTS
from llmops_core.models import Project, PromptTemplate, PromptVersion, Report, Role
from llmops_core.permissions import project_for_request
from llmops_core.selectors.prompts import (
    template_get,
    template_version_get,
)

VERDICT_LABELS = {
    "better": "better",
    "worse": "worse",
    "not_distinguishable": "not distinguishable",
}


def _template(request: HttpRequest, slug: str, name: str) -> tuple[Project, str, PromptTemplate]:
    project, role = project_for_request(request.user, slug, Role.LEAD)
    template = template_get(project=project, name=name)
    if template is None:
        raise Http404("No such prompt.")
    return project, role, template


def _version(template: PromptTemplate, number: int | None) -> PromptVersion:
    version = template_version_get(template=template, number=number) if number else None
    if version is None:
        raise Http404("No such prompt version.")
    return version


def _poll_url(project: Project, report: Report | None) -> str:
    if report is None or report.is_finished:
        return ""
    return reverse("api-version-report", kwargs={"project_slug": project.slug, "pk": report.pk})


def _charts(project: Project, report: Report | None, kind: str) -> list[dict[str, Any]]:
    if report is None:
        return []
    return [
        {
            "name": name,
            "title": spec.title,
            "alt": spec.alt,
            "svg": reverse("version-report-chart", args=[project.slug, report.pk, name, "svg"]),
            "png": reverse("version-report-chart", args=[project.slug, report.pk, name, "png"]),
        }
        for name, spec in CHARTS.items()
        if spec.kind == kind
    ]


def _is_stale(report: Report | None, current: Any) -> bool:
    return report is not None and report.snapshot_counts.get("fingerprint") != current
