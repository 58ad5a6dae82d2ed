"""HTML pages of judge comparison reports: the report, its charts, downloads and one item."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from annotate.selectors import item_ratings_for_user
from llmops_core.charts import FORMATS
from llmops_core.charts.judge import CHART_TITLES, charts_for
from llmops_core.models import JobStatus, JudgeScore, Project, Report
from llmops_core.permissions import signed_in
from llmops_core.selectors.judges import judge_report_get
from llmops_core.views.charts import chart_kind, chart_response
from llmops_core.views.judges.configs import lead_project
from llmops_core.views.judges.display import criterion_views, disagreements_csv, metrics_csv

DOWNLOADS = {
    "report.json": ("application/json", "judge-report-{pk}.json"),
    "metrics.csv": ("text/csv; charset=utf-8", "judge-report-{pk}-metrics.csv"),
    "disagreements.csv": ("text/csv; charset=utf-8", "judge-report-{pk}-disagreements.csv"),
}


def _report(request: HttpRequest, project_slug: str, pk: int) -> tuple[Project, Report]:
    project = lead_project(request, project_slug)
    report = judge_report_get(project=project, pk=pk)
    if report is None:
        raise Http404("No such judge report.")
    return project, report


@login_required
@require_safe
def judge_report_view(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Show a report: progress while it computes, then summary, charts and every section."""
    project, report = _report(request, project_slug, pk)
    results = report.results or {}
    done = report.status == JobStatus.SUCCEEDED and bool(results)
    context = {
        "project": project,
        "report": report,
        "results": results,
        "done": done,
        "criteria": criterion_views(results) if done else [],
        "charts": [(name, CHART_TITLES[name]) for name in charts_for(results)] if done else [],
        "downloads": list(DOWNLOADS),
        "judge": results.get("judge") or {},
    }
    return render(request, "llmops_core/judges/report.html", context)


@login_required
@require_safe
def judge_report_download(
    request: HttpRequest, project_slug: str, pk: int, name: str
) -> HttpResponse:
    """Download the report as JSON, its metrics as CSV, or its worst disagreements as CSV."""
    _, report = _report(request, project_slug, pk)
    if name not in DOWNLOADS or report.status != JobStatus.SUCCEEDED:
        raise Http404("No such download.")
    content_type, filename = DOWNLOADS[name]
    if name == "report.json":
        body = json.dumps(
            {
                "id": report.pk,
                "title": report.title,
                "parameters": report.parameters,
                "snapshot_hash": report.snapshot_hash,
                "snapshot_counts": report.snapshot_counts,
                "results": report.results,
            },
            indent=2,
            ensure_ascii=False,
        )
    elif name == "metrics.csv":
        body = metrics_csv(report.results)
    else:
        body = disagreements_csv(report.results)
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename.format(pk=report.pk)}"'
    return response


@login_required
@require_safe
def judge_report_chart(
    request: HttpRequest, project_slug: str, pk: int, name: str, fmt: str
) -> HttpResponse:
    """Render one chart of the report as SVG (for the page) or PNG (to download)."""
    _, report = _report(request, project_slug, pk)
    builders = charts_for(report.results or {})
    if name not in builders or fmt not in FORMATS or report.status != JobStatus.SUCCEEDED:
        raise Http404("No such chart.")
    return chart_response(
        request,
        kind=chart_kind(report.kind, name),
        fmt=fmt,
        data=report.results,
        build=builders[name],
        filename=f"judge-{pk}-{name}",
    )


@login_required
@require_safe
def judge_report_item(
    request: HttpRequest, project_slug: str, pk: int, item_id: int
) -> HttpResponse:
    """Show one queue item: input, output, every human rating and the judge's scores."""
    project, report = _report(request, project_slug, pk)
    item = item_ratings_for_user(user=signed_in(request.user), project=project, item_id=item_id)
    if item is None:
        raise Http404("No such item.")
    run_ids = (report.results or {}).get("judge", {}).get("run_ids") or []
    scores = {}
    for criterion, score, rationale, run_id in (
        JudgeScore.objects.filter(run_id__in=run_ids, output_id=item.output_id)
        .order_by("run_id")
        .values_list("criterion__name", "score", "rationale", "run_id")
    ):
        scores[criterion] = {"score": score, "rationale": rationale, "run_id": run_id}
    annotations = item.annotations
    criteria = list(scores) or sorted({c for a in annotations for c in a["scores"]})
    value = item.input
    context = {
        "project": project,
        "report": report,
        "item": item,
        "input_text": value
        if isinstance(value, str)
        else json.dumps(value, indent=2, ensure_ascii=False),
        "criteria": criteria,
        "judge_cells": [scores.get(c) for c in criteria],
        "rows": [{**a, "cells": [a["scores"].get(c) for c in criteria]} for a in annotations],
        "rationale": next((s["rationale"] for s in scores.values() if s["rationale"]), ""),
        "run_id": next((s["run_id"] for s in scores.values()), None),
        "subject": f"out:{item.output_id}",
    }
    return render(request, "llmops_core/judges/item.html", context)
