"""HTML pages of agreement reports: request and list, the report, its charts and downloads.

Every page is for leads and admins only. The report page polls the API while the worker runs,
then shows the summary, the charts (server-rendered SVG), the reviewer table and the most
contested items, each linked to a read-only page of its ratings.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from annotate.selectors import item_ratings_for_user
from llmops_core.api.reports import ReportRequestSerializer, error_text, report_urls
from llmops_core.charts import FORMATS
from llmops_core.charts.agreement import CHARTS
from llmops_core.errors import DomainError
from llmops_core.models import JobStatus, Project, Report, Role
from llmops_core.permissions import project_for_request, signed_in
from llmops_core.selectors.reports import (
    queue_choices,
    report_get,
    report_member_usernames,
    report_prompt_versions,
)
from llmops_core.selectors.reports import (
    report_list as report_rows,
)
from llmops_core.services import reports as services
from llmops_core.services.reports.export import report_csv, report_document
from llmops_core.views import report_tables as tables
from llmops_core.views.charts import chart_kind, chart_response

PAGE_SIZE = 25
LIST_FIELDS = ("prompt_version_ids", "reviewers")
SINGLE_FIELDS = ("queue_id", "since", "until", "rubric_version_id")


def _report(request: HttpRequest, project_slug: str, pk: int) -> tuple[Project, Report]:
    """Return the project and report ``pk``; 404 for non-members, 403 below lead."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    report = report_get(project=project, pk=pk)
    if report is None:
        raise Http404("No such report.")
    return project, report


def _form_context(request: HttpRequest, project: Project) -> dict[str, Any]:
    """Return the choices of the request form."""
    versions = report_prompt_versions(project=project)
    return {
        "queues": queue_choices(user=signed_in(request.user), project=project),
        "prompt_versions": [(v.pk, f"{v.template.name} v{v.number}") for v in versions[:500]],
        "members": report_member_usernames(project=project),
        "rubric_versions": [
            (v.pk, f"{r.name} v{v.number}")
            for r in project.rubrics.prefetch_related("versions")
            for v in r.versions.all()
        ],
    }


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def report_list(request: HttpRequest, project_slug: str) -> HttpResponse:
    """List the project's agreement reports and ask for a new one."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    errors: dict[str, Any] = {}
    if request.method == "POST":
        data: dict[str, Any] = {k: request.POST[k] for k in SINGLE_FIELDS if request.POST.get(k)}
        data.update({k: request.POST.getlist(k) for k in LIST_FIELDS})
        form = ReportRequestSerializer(data=data)
        if form.is_valid():
            try:
                report, _ = services.report_request(
                    project=project, requested_by=request.user, scope=form.scope()
                )
            except DomainError as exc:
                errors = {exc.extra.get("field", "request"): str(exc)}
            else:
                return redirect("report-detail", project_slug=project.slug, pk=report.pk)
        else:
            errors = {name: error_text(messages) for name, messages in form.errors.items()}
    rows = report_rows(project=project)
    before = request.GET.get("before", "")
    if before.isdigit():
        rows = rows.filter(pk__lt=int(before))
    page = list(rows[: PAGE_SIZE + 1])
    context = {
        "project": project,
        "reports": page[:PAGE_SIZE],
        "errors": sorted(errors.items()),
        "next_before": page[PAGE_SIZE - 1].pk if len(page) > PAGE_SIZE else None,
        "posted": request.POST if request.method == "POST" else request.GET,
        **_form_context(request, project),
    }
    return render(request, "llmops_core/reports/list.html", context, status=400 if errors else 200)


@login_required
@require_safe
def report_detail(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Show a report: progress while it runs, its error and Retry if it failed, else results."""
    project, report = _report(request, project_slug, pk)
    results = report.results if report.status == JobStatus.SUCCEEDED else {}
    order = [n for n in results.get("criteria_order", []) if n in results.get("criteria", {})]
    context = {
        "project": project,
        "report": report,
        "results": results,
        "urls": report_urls(report),
        "charts": [
            {"name": name, "title": spec.title, "alt": spec.alt} for name, spec in CHARTS.items()
        ],
        "criteria": order,
        "metric_rows": tables.metric_rows(results, order),
        "reviewer_rows": tables.reviewer_table(results, order),
        "reviewer_summary": (results.get("summary") or {}).get("reviewers"),
        "contested_rows": tables.contested_table(results, order),
        "snapshot_rows": tables.snapshot_rows(report.snapshot_counts or {}),
        "trigger": (report.parameters or {}).get("trigger", "manual"),
        "poll_url": reverse("api-report", kwargs={"project_slug": project.slug, "pk": report.pk})
        + "?results=0",
    }
    return render(request, "llmops_core/reports/detail.html", context)


@login_required
@require_POST
def report_retry(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Retry a failed report and go back to its page."""
    project, report = _report(request, project_slug, pk)
    try:
        services.report_retry(report=report, actor=request.user)
    except DomainError as exc:
        return HttpResponse(str(exc), status=409, content_type="text/plain; charset=utf-8")
    return redirect("report-detail", project_slug=project.slug, pk=report.pk)


@login_required
@require_POST
def report_recompute(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Ask for a fresh report over the same scope and show it."""
    project, report = _report(request, project_slug, pk)
    fresh, _ = services.report_recompute(report=report, requested_by=request.user)
    return redirect("report-detail", project_slug=project.slug, pk=fresh.pk)


def _finished_or_409(report: Report) -> HttpResponse | None:
    if report.status == JobStatus.SUCCEEDED:
        return None
    return HttpResponse(
        f"report {report.pk} is {report.status}: it has no results yet",
        status=409,
        content_type="text/plain; charset=utf-8",
    )


@login_required
@require_safe
def report_download(request: HttpRequest, project_slug: str, pk: int, fmt: str) -> HttpResponse:
    """Download the report as JSON (everything) or CSV (long format, one metric a row)."""
    _, report = _report(request, project_slug, pk)
    if fmt not in ("json", "csv"):
        raise Http404("Reports download as .json or .csv.")
    refused = _finished_or_409(report)
    if refused:
        return refused
    if fmt == "json":
        body = json.dumps(report_document(report), indent=2, allow_nan=False)
        response = HttpResponse(body, content_type="application/json")
    else:
        response = HttpResponse(report_csv(report.results), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="agreement-report-{report.pk}.{fmt}"'
    return response


@login_required
@require_safe
def report_chart(
    request: HttpRequest, project_slug: str, pk: int, name: str, fmt: str
) -> HttpResponse:
    """Return one chart of the report as SVG or PNG, drawn from its stored results."""
    _, report = _report(request, project_slug, pk)
    if name not in CHARTS or fmt not in FORMATS:
        raise Http404("No such chart.")
    refused = _finished_or_409(report)
    if refused:
        return refused
    return chart_response(
        request,
        kind=chart_kind(report.kind, name),
        fmt=fmt,
        data=report.results,
        build=CHARTS[name].build,
        filename=f"agreement-report-{report.pk}-{name}",
    )


@login_required
@require_safe
def report_item(request: HttpRequest, project_slug: str, pk: int, item_id: int) -> HttpResponse:
    """Show one queue item's input, output and every rating (read-only, for leads)."""
    project, report = _report(request, project_slug, pk)
    item = item_ratings_for_user(user=signed_in(request.user), project=project, item_id=item_id)
    if item is None:
        raise Http404("No such item.")
    criteria = sorted({name for a in item.annotations for name in a["scores"]})
    order = [c for c in (report.results or {}).get("criteria_order", []) if c in criteria]
    order += [c for c in criteria if c not in order]
    rows = [{**a, "cells": [a["scores"].get(c) for c in order]} for a in item.annotations]
    scope = (report.results or {}).get("scope") or {}
    contested = next(
        (e for e in (report.results or {}).get("contested", []) if e["item_id"] == item.item_id),
        None,
    )
    context = {
        "project": project,
        "report": report,
        "item": item,
        "criteria": order,
        "rows": rows,
        "contested": contested,
        "input_text": item.input
        if isinstance(item.input, str)
        else json.dumps(item.input, indent=2, ensure_ascii=False),
        "rubric_version_id": (scope.get("rubric_version") or {}).get("id"),
        "adjudicate_url": reverse("queue-adjudicate", args=[project.slug, item.queue_id]),
    }
    return render(request, "llmops_core/reports/item.html", context)
