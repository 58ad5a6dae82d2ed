"""HTML pages of a judge run: live progress and totals, cancel, the call log, ask for a report."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from llmops_core.errors import DomainError
from llmops_core.models import CallStatus, JudgeRun, Project
from llmops_core.permissions import signed_in
from llmops_core.selectors.judges import (
    cached_call_raw,
    judge_call_list,
    judge_reports_of_run,
    judge_run_get,
)
from llmops_core.services.judges.endpoints import endpoint_key_source
from llmops_core.services.judges.reports import judge_report_request
from llmops_core.services.judges.runs import judge_run_cancel
from llmops_core.views.judges.configs import lead_project

CALLS_PER_PAGE = 50


def _run(project: Project, pk: int) -> JudgeRun:
    run = judge_run_get(project=project, pk=pk)
    if run is None:
        raise Http404("No such judge run.")
    return run


@login_required
@require_safe
def judge_run_view(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Show a run: progress and counters (polled live), totals, cancel and compare buttons."""
    project = lead_project(request, project_slug)
    run = _run(project, pk)
    version = run.judge_version
    context = {
        "project": project,
        "run": run,
        "version": version,
        "endpoint": version.endpoint,
        "key_source": endpoint_key_source(version.endpoint),
        "totals": run.totals or {},
        "reports": judge_reports_of_run(run=run)[:10],
        "subjects": len(run.parameters.get("output_ids") or run.parameters.get("pairs") or []),
    }
    return render(request, "llmops_core/judges/run.html", context)


@login_required
@require_POST
def judge_run_cancel_view(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Cancel a run: calls already made are kept, nothing new starts."""
    project = lead_project(request, project_slug)
    run = judge_run_cancel(run=_run(project, pk), actor=signed_in(request.user))
    messages.info(
        request,
        "Cancelled." if run.is_finished else "Cancelling: the worker stops within a second or two.",
    )
    return redirect("judge-run", project_slug=project.slug, pk=pk)


@login_required
@require_POST
def judge_run_report(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Ask for the judge-vs-humans report of a run and show it (it computes in a worker)."""
    project = lead_project(request, project_slug)
    try:
        report = judge_report_request(
            project=project, run=_run(project, pk), requested_by=signed_in(request.user)
        )
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("judge-run", project_slug=project.slug, pk=pk)
    return redirect("judge-report", project_slug=project.slug, pk=report.pk)


def _pretty(value: Any) -> str:
    """Return JSON data as indented text for a <pre> block (escaped by the template)."""
    if value in (None, "", {}):
        return ""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


@login_required
@require_safe
def judge_run_calls(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """List a run's calls, keyset-paged by id: timing, tokens, cost, raw reply, parse errors."""
    project = lead_project(request, project_slug)
    run = _run(project, pk)
    status = request.GET.get("status") or ""
    if status not in CallStatus.values:
        status = ""
    subject = request.GET.get("subject") or ""
    after = request.GET.get("after", "")
    calls = judge_call_list(run=run, status=status or None, subject=subject or None)
    if after.isdigit():
        calls = calls.filter(id__gt=int(after))
    page = list(calls[: CALLS_PER_PAGE + 1])
    more = len(page) > CALLS_PER_PAGE
    page = page[:CALLS_PER_PAGE]
    cached = cached_call_raw(
        project=project,
        request_hashes=[c.request_hash for c in page if c.status == CallStatus.CACHED],
    )
    rows = [
        {"call": call, "raw": _pretty(call.raw_response or cached.get(call.request_hash))}
        for call in page
    ]
    context = {
        "project": project,
        "run": run,
        "rows": rows,
        "status": status,
        "subject": subject,
        "statuses": CallStatus.choices,
        "next_after": page[-1].pk if more else None,
        "first_page": not after,
    }
    return render(request, "llmops_core/judges/calls.html", context)
