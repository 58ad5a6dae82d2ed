"""A version's scorecard page, and the charts and JSON of finished version reports."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from annotate.selectors import (
    queue_output_counts,
)
from llmops_core.charts import FORMATS
from llmops_core.charts.versions import CHARTS
from llmops_core.models import JobStatus, Report, Role
from llmops_core.models import ReportKind as Kind
from llmops_core.permissions import project_for_request
from llmops_core.selectors.drift_judges import scorecard_judge_stale_reasons
from llmops_core.selectors.feedback import feedback_summary
from llmops_core.selectors.operations import version_operations
from llmops_core.selectors.prompts import (
    label_version,
)
from llmops_core.selectors.versions import (
    version_fingerprint,
    version_report_get,
    version_report_latest,
)
from llmops_core.services.scorecards import scorecard_request
from llmops_core.views.charts import chart_kind, chart_response
from llmops_core.views.versions._common import (
    _charts,
    _is_stale,
    _poll_url,
    _template,
    _version,
)


@login_required
@require_safe
def version_scorecard(
    request: HttpRequest, project_slug: str, name: str, number: int
) -> HttpResponse:
    """Show a version: its prompt, its latest scorecard (or progress), and where its outputs are."""
    project, _, template = _template(request, project_slug, name)
    version = _version(template, number)
    latest = version_report_latest(version=version, kind=Kind.SCORECARD, finished=False)
    done = version_report_latest(version=version, kind=Kind.SCORECARD)
    current = json.loads(
        json.dumps(version_fingerprint(version=version), sort_keys=True, default=str)
    )
    context = {
        "project": project,
        "template": template,
        "version": version,
        "latest": latest,
        "report": done,
        "results": done.results if done else {},
        "stale": _is_stale(done, current),
        "judge_stale": scorecard_judge_stale_reasons(results=done.results) if done else [],
        "poll_url": _poll_url(project, latest),
        "charts": _charts(project, done, Kind.SCORECARD),
        "queues": queue_output_counts(prompt_version_id=version.pk),
        "feedback": feedback_summary(version_id=version.pk),
        "outputs_url": reverse("api-outputs", args=[project.slug])
        + f"?prompt_version_id={version.pk}",
        "production": label_version(template=template),
        "parameters_json": json.dumps(version.parameters, indent=2, sort_keys=True),
        "operations": version_operations(version.pk),
    }
    return render(request, "llmops_core/versions/scorecard.html", context)


@login_required
@require_POST
def version_scorecard_request(
    request: HttpRequest, project_slug: str, name: str, number: int
) -> HttpResponse:
    """Ask a worker to recompute the version's scorecard now."""
    _, _, template = _template(request, project_slug, name)
    scorecard_request(version=_version(template, number), requested_by=request.user)
    return redirect("version-scorecard", project_slug=project_slug, name=name, number=number)


def _finished_report(request: HttpRequest, slug: str, pk: int) -> Report:
    project, _ = project_for_request(request.user, slug, Role.LEAD)
    report = version_report_get(project=project, pk=pk)
    if report is None or report.status != JobStatus.SUCCEEDED:
        raise Http404("No such finished report.")
    return report


@login_required
@require_safe
def version_report_chart(
    request: HttpRequest, project_slug: str, pk: int, name: str, fmt: str
) -> HttpResponse:
    """Return a chart of a scorecard or comparison as SVG or PNG (``?download=1`` to save)."""
    report = _finished_report(request, project_slug, pk)
    spec = CHARTS.get(name)
    if spec is None or spec.kind != report.kind or fmt not in FORMATS:
        raise Http404("No such chart.")
    return chart_response(
        request,
        kind=chart_kind(report.kind, name),
        fmt=fmt,
        data=report.results,
        build=spec.build,
        filename=f"report-{pk}-{name}",
    )


@login_required
@require_safe
def version_report_json(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Download a scorecard or comparison with every number and the data it rests on."""
    report = _finished_report(request, project_slug, pk)
    body = json.dumps(
        {
            "id": report.pk,
            "kind": report.kind,
            "title": report.title,
            "snapshot_hash": report.snapshot_hash,
            "snapshot_counts": report.snapshot_counts,
            "results": report.results,
        },
        indent=2,
        default=str,
    )
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{report.kind}-{report.pk}.json"'
    return response
