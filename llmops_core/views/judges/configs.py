"""HTML pages to configure judges: the judge list with its forms, a judge and its versions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from llmops_core.errors import DomainError
from llmops_core.forms.judges import EndpointForm, JudgeForm, JudgeRunForm, JudgeVersionForm
from llmops_core.models import JudgeConfig, JudgeMode, Project, Role
from llmops_core.permissions import project_for_request, signed_in
from llmops_core.selectors.judges import (
    endpoint_list,
    judge_get,
    judge_list,
    judge_report_list,
    judge_run_list,
    judge_version_list,
    prompt_version_choices,
    rubric_version_choices,
)
from llmops_core.selectors.reports import queue_choices
from llmops_core.services.judges.configs import judge_create, judge_version_create
from llmops_core.services.judges.endpoints import endpoint_create
from llmops_core.services.judges.runs import judge_run_create
from llmops_core.views.drift import judge_recheck_rows


def lead_project(request: HttpRequest, project_slug: str) -> Project:
    """Return the project for a lead or admin; 404 for non-members, 403 below lead."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    return project


def _version_form(project: Project, data: Any = None, initial: Any = None) -> JudgeVersionForm:
    rubrics = rubric_version_choices(project=project)
    if initial is None:
        default = rubrics.filter(rubric__name="default").first() or rubrics.first()
        initial = {"rubric_version": default.pk if default else None}
    return JudgeVersionForm(
        data,
        initial=initial,
        rubric_versions=rubrics,
        endpoints=endpoint_list(project=project),
        prefix="version",
    )


def _list_page(
    request: HttpRequest, project: Project, *, status: int = 200, **forms: Any
) -> HttpResponse:
    context = {
        "project": project,
        "judges": judge_list(project=project),
        "endpoints": endpoint_list(project=project),
        "judge_form": forms.get("judge_form") or JudgeForm(prefix="judge"),
        "version_form": forms.get("version_form") or _version_form(project),
        "endpoint_form": forms.get("endpoint_form") or EndpointForm(prefix="endpoint"),
        "runs": judge_run_list(project=project)[:10],
    }
    return render(request, "llmops_core/judges/list.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def judge_list_view(request: HttpRequest, project_slug: str) -> HttpResponse:
    """List judges and endpoints; create a judge with its first version."""
    project = lead_project(request, project_slug)
    if request.method != "POST":
        return _list_page(request, project)
    judge_form = JudgeForm(request.POST, prefix="judge")
    version_form = _version_form(project, request.POST)
    if judge_form.is_valid() and version_form.is_valid():
        try:
            judge = judge_create(
                project=project,
                name=judge_form.cleaned_data["name"],
                description=judge_form.cleaned_data["description"],
                actor=signed_in(request.user),
                first_version=version_form.version_fields(),
            )
        except DomainError as exc:
            judge_form.add_error(None, str(exc))
        else:
            messages.success(request, f'Judge "{judge.name}" created with version 1.')
            return redirect("judge-detail", project_slug=project.slug, name=judge.name)
    return _list_page(request, project, judge_form=judge_form, version_form=version_form)


@login_required
@require_POST
def endpoint_new(request: HttpRequest, project_slug: str) -> HttpResponse:
    """Create an endpoint; its key is stored encrypted and never shown again."""
    project = lead_project(request, project_slug)
    form = EndpointForm(request.POST, prefix="endpoint")
    if form.is_valid():
        try:
            endpoint = endpoint_create(
                project=project, actor=signed_in(request.user), **form.cleaned_data
            )
        except DomainError as exc:
            field = exc.extra.get("field")
            form.add_error(field if field in form.fields else None, str(exc))
        else:
            messages.success(request, f'Endpoint "{endpoint.name}" saved.')
            return redirect("judge-list", project_slug=project.slug)
    return _list_page(request, project, status=400, endpoint_form=form)


def _judge(project: Project, name: str) -> JudgeConfig:
    judge = judge_get(project=project, name=name)
    if judge is None:
        raise Http404("No such judge.")
    return judge


def _run_form(
    request: HttpRequest, project: Project, judge: JudgeConfig, data: Any = None
) -> JudgeRunForm:
    versions = [
        (v.pk, f"v{v.number} · {v.model_name} · {v.mode}") for v in judge_version_list(judge=judge)
    ]
    return JudgeRunForm(
        data,
        versions=versions,
        queues=queue_choices(user=signed_in(request.user), project=project),
        prompt_versions=prompt_version_choices(project=project),
        prefix="run",
    )


def _detail_page(
    request: HttpRequest, project: Project, judge: JudgeConfig, **forms: Any
) -> HttpResponse:
    versions = list(judge_version_list(judge=judge))
    initial = JudgeVersionForm.initial_from(versions[0]) if versions else None
    context = {
        "project": project,
        "judge": judge,
        "versions": versions,
        "version_form": forms.get("version_form") or _version_form(project, initial=initial),
        "run_form": forms.get("run_form") or _run_form(request, project, judge),
        "runs": judge_run_list(project=project, judge=judge)[:25],
        "reports": judge_report_list(project=project).filter(
            parameters__judge_version_id__in=[v.pk for v in versions]
        )[:10],
        "rechecks": judge_recheck_rows(versions),
    }
    return render(request, "llmops_core/judges/detail.html", context)


@login_required
@require_safe
def judge_detail(request: HttpRequest, project_slug: str, name: str) -> HttpResponse:
    """Show a judge: its versions, a form for the next one, a run form and its runs."""
    project = lead_project(request, project_slug)
    return _detail_page(request, project, _judge(project, name))


@login_required
@require_POST
def judge_version_new(request: HttpRequest, project_slug: str, name: str) -> HttpResponse:
    """Save the form as a new version (unchanged content keeps the existing version)."""
    project = lead_project(request, project_slug)
    judge = _judge(project, name)
    form = _version_form(project, request.POST)
    if form.is_valid():
        try:
            version, created = judge_version_create(
                judge=judge, created_by=signed_in(request.user), **form.version_fields()
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            text = (
                f"Saved as version {version.number}."
                if created
                else f"Nothing changed: this is version {version.number}."
            )
            messages.success(request, text)
            return redirect("judge-detail", project_slug=project.slug, name=judge.name)
    return _detail_page(request, project, judge, version_form=form)


@login_required
@require_POST
def judge_run_new(request: HttpRequest, project_slug: str, name: str) -> HttpResponse:
    """Start a run of a judge version on a queue and show its page."""
    project = lead_project(request, project_slug)
    judge = _judge(project, name)
    form = _run_form(request, project, judge, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        version = judge_version_list(judge=judge).get(pk=data["judge_version"])
        pair = None
        if version.mode == JudgeMode.PAIRWISE:
            if not (data.get("prompt_version_a") and data.get("prompt_version_b")):
                form.add_error(None, "A pairwise judge compares two prompt versions: pick both.")
                return _detail_page(request, project, judge, run_form=form)
            pair = (data["prompt_version_a"].pk, data["prompt_version_b"].pk)
        try:
            run = judge_run_create(
                project=project,
                judge_version=version,
                queue_id=data["queue"],
                prompt_versions=pair,
                budget=data.get("budget") or None,
                requested_by=signed_in(request.user),
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("judge-run", project_slug=project.slug, pk=run.pk)
    return _detail_page(request, project, judge, run_form=form)
