"""HTML views: home, project overview, output import, the favicon."""

from __future__ import annotations

import contextlib
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from annotate.selectors import queue_cards_for_user, queue_rows_for_user
from llmops_core.errors import DomainError
from llmops_core.forms.imports import ImportUploadForm
from llmops_core.models import ImportJob, Role
from llmops_core.permissions import (
    instance_admin,
    project_create_allowed,
    project_for_request,
    signed_in,
)
from llmops_core.selectors.projects import (
    import_job_list,
    project_list_for_user,
    prompt_template_list,
    role_allows,
)
from llmops_core.services.import_jobs import import_job_create, import_job_enqueue, import_job_run


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """Redirect ``/favicon.ico`` to the static icon, for clients that ask there without a link."""
    return redirect(static("favicon.svg"), permanent=True)


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """List the user's queues with progress, then the projects they belong to."""
    projects = project_list_for_user(user=request.user).order_by("name")
    queues = queue_cards_for_user(user=signed_in(request.user))
    context = {
        "projects": projects,
        "queues": queues,
        "can_create_project": project_create_allowed(request.user),
        "is_instance_admin": instance_admin(request.user),
    }
    return render(request, "llmops_core/home.html", context)


@login_required
@require_safe
def project_detail(request: HttpRequest, project_slug: str) -> HttpResponse:
    """Show a project: queues for everyone, prompts and imports for leads."""
    project, role = project_for_request(request.user, project_slug, Role.REVIEWER)
    is_lead = role_allows(role, Role.LEAD)
    context = {
        "project": project,
        "role": role,
        "is_lead": is_lead,
        "queues": queue_rows_for_user(user=signed_in(request.user), project=project, limit=50),
        "templates": prompt_template_list(project=project)[:50] if is_lead else [],
        "imports": import_job_list(project=project)[:10] if is_lead else [],
        "output_count": project.outputs.count() if is_lead else None,
    }
    return render(request, "llmops_core/project_detail.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def import_upload(request: HttpRequest, project_slug: str) -> HttpResponse:
    """Upload a JSONL/CSV file of outputs; big files are imported by a Celery worker."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = import_job_create(
                project=project,
                created_by=signed_in(request.user),
                content=upload,
                filename=upload.name,
                partial=form.cleaned_data["partial"],
                create_prompts=form.cleaned_data["create_prompts"],
                source="upload",
            )
        except DomainError as exc:
            form.add_error("file", str(exc))
        else:
            _start(job, upload.size)
            return redirect("import-detail", project_slug=project.slug, pk=job.pk)
    return render(request, "llmops_core/import_upload.html", {"project": project, "form": form})


@login_required
@require_safe
def import_detail(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Show an import job: progress while it runs, then its counts and bad rows."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    job = get_object_or_404(import_job_list(project=project), pk=pk)
    return render(request, "llmops_core/import_detail.html", {"project": project, "job": job})


def _start(job: ImportJob, size: int) -> None:
    """Run a small import now and queue a big one for a worker."""
    if size > settings.IMPORT_ASYNC_THRESHOLD_BYTES:
        import_job_enqueue(job=job)
    else:
        # A file-level error is kept on the job row; the detail page shows it.
        with contextlib.suppress(DomainError):
            import_job_run(job=job)


@login_required
@require_POST
def import_create_prompts(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Import a refused upload's file again, creating the prompts its rows named but lacked."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    job = get_object_or_404(import_job_list(project=project), pk=pk)
    if not (job.is_finished and job.prompts_missing and job.file):
        context = {"project": project, "job": job, "offer_error": _NO_RETRY}
        return render(request, "llmops_core/import_detail.html", context, status=400)
    with job.file.open("rb") as content:
        again = import_job_create(
            project=project,
            created_by=signed_in(request.user),
            content=content,
            filename=job.original_name or Path(job.file.name or "").name,
            partial=job.partial,
            create_prompts=True,
            source="upload",
            fmt=job.format,
        )
    _start(again, again.total_bytes)
    return redirect("import-detail", project_slug=project.slug, pk=again.pk)


_NO_RETRY = (
    "This import cannot be run again with its prompts created: it has not finished, named no "
    "missing prompt, or its file was not kept."
)
