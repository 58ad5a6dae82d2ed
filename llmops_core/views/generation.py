"""HTML pages of datasets and generation runs: upload inputs, run a version over them, watch it.

Leads and admins only (reviewers 403, non-members 404). A run's page polls the API while the
worker calls the model, then links to the outputs, the queue and the version's comparison.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from llmops_core.errors import DomainError
from llmops_core.forms.versions import DatasetUploadForm, GenerationRunForm
from llmops_core.models import Project, Role
from llmops_core.permissions import project_for_request, signed_in
from llmops_core.selectors.generation import (
    dataset_get,
    dataset_list,
    dataset_rows,
    generation_choices,
    generation_lookup,
    generation_run_get,
    generation_run_list,
)
from llmops_core.selectors.reports import queue_choices
from llmops_core.services.datasets import dataset_create, dataset_parse
from llmops_core.services.generation import generation_run_cancel, generation_run_create

PREVIEW_ROWS = 20
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def dataset_list_view(request: HttpRequest, project_slug: str) -> HttpResponse:
    """List datasets and generation runs; upload a dataset file."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    form = DatasetUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > MAX_UPLOAD_BYTES:
                raise DomainError(f"the file is over the {MAX_UPLOAD_BYTES}-byte limit")
            inputs = dataset_parse(content=upload.read(), filename=upload.name)
            dataset, created = dataset_create(
                project=project,
                name=form.cleaned_data["name"],
                inputs=inputs,
                created_by=request.user,
            )
        except DomainError as exc:
            form.add_error("file", str(exc))
        else:
            messages.success(
                request,
                f"{dataset.name} v{dataset.version} "
                f"{'stored' if created else 'already existed'}: "
                f"{dataset.row_count} inputs.",
            )
            return redirect("dataset-detail", project_slug=project.slug, pk=dataset.pk)
    context = {
        "project": project,
        "form": form,
        "datasets": dataset_list(project=project)[:100],
        "runs": generation_run_list(project=project)[:25],
    }
    return render(
        request, "llmops_core/versions/datasets.html", context, status=400 if form.errors else 200
    )


def _run_form(request: HttpRequest, project: Project) -> GenerationRunForm:
    choices = generation_choices(project=project)
    choices["queues"] = queue_choices(user=signed_in(request.user), project=project)
    return GenerationRunForm(request.POST or None, choices=choices)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def dataset_detail(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Show a dataset's first rows and run a prompt version over it."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    dataset = dataset_get(project=project, pk=pk)
    if dataset is None:
        raise Http404("No such dataset.")
    form = _run_form(request, project)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            run = generation_run_create(
                version=generation_lookup(project=project, field="version", pk=data["version"]),
                dataset=dataset,
                requested_by=request.user,
                queue_id=data["queue"],
                endpoint=generation_lookup(project=project, field="endpoint", pk=data["endpoint"])
                if data["endpoint"]
                else None,
                judge_version=generation_lookup(
                    project=project, field="judge_version", pk=data["judge_version"]
                )
                if data["judge_version"]
                else None,
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("generation-run", project_slug=project.slug, pk=run.pk)
    context = {
        "project": project,
        "dataset": dataset,
        "form": form,
        "rows": [
            (row.index, json.dumps(row.input, indent=2, ensure_ascii=False))
            for row in dataset_rows(dataset=dataset)[:PREVIEW_ROWS]
        ],
        "rows_url": reverse("api-dataset-rows", args=[project.slug, dataset.pk]),
    }
    return render(
        request, "llmops_core/versions/dataset.html", context, status=400 if form.errors else 200
    )


@login_required
@require_safe
def generation_run_view(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Show a generation run: progress while it runs, then its counts, cost and outputs."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    run = generation_run_get(project=project, pk=pk)
    if run is None:
        raise Http404("No such generation run.")
    version = run.prompt_version
    context = {
        "project": project,
        "run": run,
        "version": version,
        "poll_url": ""
        if run.is_finished
        else reverse("api-generation-run", args=[project.slug, run.pk]),
        "outputs_url": reverse("api-outputs", args=[project.slug])
        + f"?prompt_version_id={version.pk}",
        "queue_id": run.parameters.get("queue_id"),
        "judge_run_id": run.parameters.get("judge_run_id"),
    }
    return render(request, "llmops_core/versions/generation_run.html", context)


@login_required
@require_POST
def generation_run_cancel_view(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Ask a generation run to stop."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    run = generation_run_get(project=project, pk=pk)
    if run is None:
        raise Http404("No such generation run.")
    generation_run_cancel(run=run, actor=request.user)
    return redirect("generation-run", project_slug=project.slug, pk=run.pk)
