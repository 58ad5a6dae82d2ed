"""HTML pages of drift reports: ask for one and list them, read one in words, its charts.

Leads and admins only (reviewers 403, non-members 404). The form takes two windows of dates
(the default: the last 7 days against the 7 before) and, for each, an optional prompt version
and model; a worker computes the report while the page shows its progress.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from llmops_core.api.drift import DriftRequestSerializer, drift_urls
from llmops_core.api.reports import error_text
from llmops_core.charts import FORMATS
from llmops_core.errors import DomainError
from llmops_core.models import JobStatus, Project, Report, Role
from llmops_core.permissions import project_for_request
from llmops_core.selectors.drift import drift_report_get, drift_report_list
from llmops_core.selectors.drift_judges import judge_rechecks_latest, judge_version_by_number
from llmops_core.selectors.reports import report_prompt_versions
from llmops_core.services.drift import drift_report_request
from llmops_core.services.drift.judges import judge_staleness_request
from llmops_core.views.charts import chart_kind, chart_response

PAGE_SIZE = 25
WINDOW_FIELDS = ("since", "until", "prompt_version_id", "model_name")


def _posted_windows(post: Any) -> dict[str, Any]:
    """Return the form's fields as the API's request body (empty fields left out)."""
    data: dict[str, Any] = {}
    for side in ("before", "after"):
        window = {f: post.get(f"{side}_{f}") for f in WINDOW_FIELDS if post.get(f"{side}_{f}")}
        if window:
            data[side] = window
    return data


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def drift_list(request: HttpRequest, project_slug: str) -> HttpResponse:
    """List the project's drift reports and ask for a new one."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    errors: dict[str, Any] = {}
    if request.method == "POST":
        form = DriftRequestSerializer(data=_posted_windows(request.POST))
        if form.is_valid():
            try:
                report, _ = drift_report_request(
                    project=project, requested_by=request.user, spec=form.spec()
                )
            except DomainError as exc:
                errors = {"request": str(exc)}
            else:
                return redirect("drift-detail", project_slug=project.slug, pk=report.pk)
        else:
            errors = {name: error_text(messages) for name, messages in form.errors.items()}
    rows = drift_report_list(project=project)
    before = request.GET.get("before", "")
    if before.isdigit():
        rows = rows.filter(pk__lt=int(before))
    page = list(rows[: PAGE_SIZE + 1])
    versions = report_prompt_versions(project=project)
    context = {
        "project": project,
        "reports": page[:PAGE_SIZE],
        "errors": sorted(errors.items()),
        "next_before": page[PAGE_SIZE - 1].pk if len(page) > PAGE_SIZE else None,
        "posted": request.POST,
        "prompt_versions": [(v.pk, f"{v.template.name} v{v.number}") for v in versions[:500]],
    }
    return render(request, "llmops_core/drift/list.html", context, status=400 if errors else 200)


def _report(request: HttpRequest, project_slug: str, pk: int) -> tuple[Project, Report]:
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    report = drift_report_get(project=project, pk=pk)
    if report is None:
        raise Http404("No such drift report.")
    return project, report


@login_required
@require_safe
def drift_detail(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Show a drift report: progress while it runs, its error if it failed, else its words."""
    from llmops_core.charts.drift import CHARTS

    project, report = _report(request, project_slug, pk)
    done = report.status == JobStatus.SUCCEEDED
    results = report.results if done else {}
    urls = drift_urls(report)
    signals = (results.get("drift") or {}).get("signals") or {}
    context = {
        "project": project,
        "report": report,
        "latest": report,
        "results": results,
        "signals": [{"name": name, **s} for name, s in signals.items()],
        "poll_url": "" if report.is_finished else urls["api"],
        "charts": [
            {"name": n, "title": c.title, "alt": c.alt, "svg": urls["charts"][n]["svg"]}
            for n, c in CHARTS.items()
        ],
    }
    return render(request, "llmops_core/drift/detail.html", context)


@login_required
@require_safe
def drift_chart(
    request: HttpRequest, project_slug: str, pk: int, name: str, fmt: str
) -> HttpResponse:
    """Return a chart of a finished drift report as SVG or PNG (``?download=1`` to save)."""
    from llmops_core.charts.drift import CHARTS

    _, report = _report(request, project_slug, pk)
    spec = CHARTS.get(name)
    if report.status != JobStatus.SUCCEEDED or spec is None or fmt not in FORMATS:
        raise Http404("No such chart.")
    return chart_response(
        request,
        kind=chart_kind(report.kind, name),
        fmt=fmt,
        data=report.results,
        build=spec.build,
        filename=f"drift-{pk}-{name}",
    )


def judge_recheck_rows(versions: list[Any]) -> list[dict[str, Any]]:
    """Return each judge version's newest re-check for the judge page (one query)."""
    latest = judge_rechecks_latest(judge_version_ids=[v.pk for v in versions])
    return [{"version": v, "check": latest.get(v.pk)} for v in versions]


@login_required
@require_POST
def judge_recheck(request: HttpRequest, project_slug: str, name: str, number: int) -> HttpResponse:
    """Re-check a judge version against fresh human ratings now (once per day)."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    version = judge_version_by_number(project_id=project.pk, name=name, number=number)
    if version is None:
        raise Http404("No such judge version.")
    judge_staleness_request(judge_version=version, requested_by=request.user)
    return redirect("judge-detail", project_slug=project.slug, name=name)
