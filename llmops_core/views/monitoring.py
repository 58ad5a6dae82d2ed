"""The monitoring page of a project (leads): figures over time from the roll-ups, a chart of
them, and the same figures as CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from llmops_core.charts import FORMATS
from llmops_core.forms.monitoring import RANGES, MonitoringForm
from llmops_core.io.writers import neutralise
from llmops_core.models import Project, PromptVersion, Role
from llmops_core.permissions import project_for_request
from llmops_core.selectors.feedback import feedback_in_window
from llmops_core.selectors.monitoring import monitoring_report, monitoring_rows, project_models
from llmops_core.views.charts import chart_response

COLUMNS = (
    *("period", "prompt", "version", "model", "requests", "errors", "error_rate"),
    *("tokens_in", "tokens_out", "cost", "cost_mean", "latency_mean_ms"),
    *("latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "errors_by_type"),
)
MAX_VERSIONS = 200


def _form(request: HttpRequest, project_slug: str) -> tuple[Project, MonitoringForm]:
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    return project, MonitoringForm(request.GET)


def _bad(form: MonitoringForm) -> HttpResponse:
    return HttpResponse(form.error_text(), status=400, content_type="text/plain; charset=utf-8")


@login_required
@require_safe
def monitoring_page(request: HttpRequest, project_slug: str) -> HttpResponse:
    """Show the project's requests, errors, tokens, cost and latency over time."""
    project, form = _form(request, project_slug)
    context: dict[str, Any] = {
        "project": project,
        "form": form,
        "ranges": RANGES,
        "models": project_models(project=project),
        "versions": PromptVersion.objects.filter(template__project=project)
        .select_related("template")
        .order_by("template__name", "-number")[:MAX_VERSIONS],
        "query": request.GET.urlencode(),
    }
    if not form.is_valid():
        return render(request, "llmops_core/monitoring.html", context, status=400)
    window = form.window
    context["report"] = monitoring_report(project=project, window=window)
    context["feedback"] = feedback_in_window(
        project_id=project.pk,
        start=window.start,
        end=window.end,
        version=window.version,
        model=window.model,
    )
    return render(request, "llmops_core/monitoring.html", context)


@login_required
@require_safe
def monitoring_chart_view(request: HttpRequest, project_slug: str, fmt: str) -> HttpResponse:
    """Return the monitoring chart of the window in the query as SVG or PNG."""
    project, form = _form(request, project_slug)
    if fmt not in FORMATS:
        return HttpResponse(f"format {fmt!r} is not svg or png", status=404)
    if not form.is_valid():
        return _bad(form)
    from llmops_core.charts.monitoring import monitoring_chart

    report = monitoring_report(project=project, window=form.window)
    data = {k: report[k] for k in ("granularity", "filters", "series")}
    return chart_response(
        request,
        kind="monitoring:overview",
        fmt=fmt,
        data=data,
        build=monitoring_chart,
        filename=f"{project.slug}-monitoring",
    )


@login_required
@require_safe
def monitoring_download(request: HttpRequest, project_slug: str, fmt: str) -> HttpResponse:
    """Return the window's figures per period, prompt version and model, as CSV or JSON."""
    project, form = _form(request, project_slug)
    if fmt not in {"csv", "json"}:
        return HttpResponse(f"format {fmt!r} is not csv or json", status=404)
    if not form.is_valid():
        return _bad(form)
    rows = monitoring_rows(project=project, window=form.window)
    name = f"{project.slug}-monitoring-{form.window.granularity}.{fmt}"
    if fmt == "json":
        report = monitoring_report(project=project, window=form.window)
        response: HttpResponse = JsonResponse(
            {**report, "rows": rows}, encoder=DjangoJSONEncoder, json_dumps_params={"indent": 1}
        )
    else:
        response = HttpResponse(_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _csv(rows: list[dict[str, Any]]) -> str:
    """Write ``rows`` as CSV; names are user text, so formula-like cells are neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for row in rows:
        cells = []
        for column in COLUMNS:
            value = row.get(column)
            if column == "errors_by_type":
                value = json.dumps(value, sort_keys=True)
            cells.append(neutralise(value) if isinstance(value, str) else value)
        writer.writerow(["" if v is None else v for v in cells])
    return buffer.getvalue()
