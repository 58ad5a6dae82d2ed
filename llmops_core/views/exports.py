"""HTML pages of exports: pick kind, format and filters; watch progress; download.

Mounted with one line in ``llmops_core/urls.py`` under ``p/<slug>/exports/``. Leads and admins
only; files and datasheets are served through these views, never from a public media URL.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from llmops_core.api.exports import (
    EXPIRED,
    datasheet_markdown_response,
    export_file_response,
)
from llmops_core.errors import DomainError, NotAllowed
from llmops_core.forms.exports import ExportForm
from llmops_core.models import ExportJob, JobStatus, Project, Role
from llmops_core.permissions import project_for_request
from llmops_core.selectors.exports import export_choices, export_job_get, export_job_list
from llmops_core.services.exports import (
    export_file_name,
    export_job_cancel,
    export_job_create,
    export_job_delete,
    export_job_enqueue,
    export_spec_build,
)

JOBS_PER_PAGE = 25


def _job(project: Project, pk: int, *, finished: bool = False) -> ExportJob:
    job = export_job_get(project_id=project.pk, pk=pk)
    if job is None or (finished and job.status != JobStatus.SUCCEEDED):
        raise Http404("No such export, or it has not finished.")
    return job


def _file_of(job: ExportJob) -> ExportJob:
    if not job.file:
        raise Http404(EXPIRED)
    return job


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def export_list(request: HttpRequest, project_slug: str) -> HttpResponse:
    """Show the export form and the project's export jobs; POST starts an export job."""
    project, role = project_for_request(request.user, project_slug, Role.LEAD)
    is_admin = role == Role.ADMIN
    if request.method == "POST" and "real_names" in request.POST and not is_admin:
        raise PermissionDenied("real reviewer names are for project admins only")
    form = ExportForm(
        request.POST or None, choices=export_choices(project_id=project.pk), is_admin=is_admin
    )
    if request.method == "POST" and form.is_valid():
        try:
            spec = export_spec_build(
                project=project,
                kind=form.cleaned_data["kind"],
                fmt=form.cleaned_data["format"],
                filters=form.export_filters(),
                real_names=form.cleaned_data.get("real_names", False),
                role=role,
            )
        except NotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            job = export_job_create(spec=spec, project=project, requested_by=request.user)
            export_job_enqueue(job=job)
            return redirect("export-detail", project_slug=project.slug, pk=job.pk)
    page = Paginator(export_job_list(project_id=project.pk), JOBS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "llmops_core/exports/list.html",
        {"project": project, "form": form, "page": page, "is_admin": is_admin},
    )


@login_required
@require_safe
def export_detail(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Show one export: live progress while it runs, then its snapshot and datasheet."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    job = _job(project, pk)
    sheet = job.datasheet or {}
    context = {
        "project": project,
        "job": job,
        "sheet": sheet,
        "file_name": export_file_name(job),
        "filters": _filter_rows(project, job.filters),
        "agreement": (sheet.get("agreement") or {}).get("criteria", []),
        "retention_days": settings.EXPORT_RETENTION_DAYS,
    }
    return render(request, "llmops_core/exports/detail.html", context)


def _filter_rows(project: Project, filters: dict[str, Any]) -> list[tuple[str, str]]:
    """Return the job's filters as (name, readable value), ids shown by name."""
    choices = export_choices(project_id=project.pk)
    names = {"queue_ids": dict(choices.queues), "prompt_version_ids": dict(choices.versions)}
    rows = []
    for key, value in sorted(filters.items()):
        if key in names:
            text = ", ".join(names[key].get(i, f"#{i}") for i in value) or "all"
        elif isinstance(value, bool):
            text = "yes" if value else "no"
        else:
            text = "\u2013" if value is None else str(value)
        rows.append((key.replace("_", " "), text))
    return rows


@login_required
@require_safe
def export_download(request: HttpRequest, project_slug: str, pk: int) -> HttpResponseBase:
    """Send the export's file, after checking the role."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    return export_file_response(_file_of(_job(project, pk, finished=True)))


@login_required
@require_safe
def export_datasheet(request: HttpRequest, project_slug: str, pk: int, fmt: str) -> HttpResponse:
    """Send the export's datasheet as JSON or Markdown."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    job = _job(project, pk, finished=True)
    if fmt == "md":
        return datasheet_markdown_response(job)
    if fmt != "json":
        raise Http404("The datasheet comes as .json or .md.")
    response = JsonResponse(job.datasheet, json_dumps_params={"indent": 2, "sort_keys": True})
    response["Content-Disposition"] = (
        f'attachment; filename="{export_file_name(job)}.datasheet.json"'
    )
    return response


@login_required
@require_POST
def export_cancel(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Cancel a pending or running export; a finished one is left as it is."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    job = _job(project, pk)
    if export_job_cancel(job=job, actor=request.user):
        messages.success(request, f"Export #{job.pk} was cancelled.")
    else:
        messages.info(request, f"Export #{job.pk} had already finished ({job.status}).")
    return redirect("export-detail", project_slug=project.slug, pk=job.pk)


@login_required
@require_POST
def export_delete(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Delete an export's file and record (audited)."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    job = _job(project, pk)
    export_job_delete(job=job, actor=request.user)
    messages.success(request, f"Export #{pk} was deleted.")
    return redirect("export-list", project_slug=project.slug)
