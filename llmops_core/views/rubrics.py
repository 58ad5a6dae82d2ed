"""The rubric pages: every member reads the criteria and their anchors; leads save new versions.

A rubric is never edited in place. Saving the form makes a new rubric version: ratings keep the
version they were made under, existing queues keep theirs until a lead moves them, and the
new-queue form offers the newest version first.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from llmops_core.errors import DomainError
from llmops_core.forms.rubrics import RubricNoteForm, criteria_formset
from llmops_core.models import Role, Rubric
from llmops_core.permissions import project_for_request, signed_in
from llmops_core.selectors.projects import role_allows
from llmops_core.selectors.rubrics import (
    rubric_get,
    rubric_latest_versions,
    rubric_version_get,
    rubric_versions,
)
from llmops_core.services.rubrics import CriterionSpec, rubric_revise


@login_required
@require_safe
def rubric_page(request: HttpRequest, project_slug: str) -> HttpResponse:
    """Show each rubric's newest version: criteria, descriptions, scales, every level's anchor."""
    project, role = project_for_request(request.user, project_slug, Role.REVIEWER)
    rubrics = [
        {"version": version, "history": rubric_versions(rubric=version.rubric)[:20]}
        for version in rubric_latest_versions(project=project)
    ]
    context = {"project": project, "rubrics": rubrics, "can_edit": role_allows(role, Role.LEAD)}
    return render(request, "llmops_core/rubric/page.html", context)


@login_required
@require_safe
def rubric_version_page(
    request: HttpRequest, project_slug: str, pk: int, number: int
) -> HttpResponse:
    """Show one version of a rubric as it was saved (ratings made under it keep it)."""
    project, role = project_for_request(request.user, project_slug, Role.REVIEWER)
    rubric = rubric_get(project=project, pk=pk)
    version = rubric_version_get(rubric=rubric, number=number) if rubric else None
    if version is None:
        raise Http404("No such rubric version.")
    return render(
        request,
        "llmops_core/rubric/version.html",
        {"project": project, "version": version, "can_edit": role_allows(role, Role.LEAD)},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def rubric_edit(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Edit a rubric's criteria (leads and admins); saving makes a new rubric version."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    rubric = rubric_get(project=project, pk=pk)
    if rubric is None:
        raise Http404("No such rubric.")
    latest = rubric_versions(rubric=rubric).first()
    current = rubric_version_get(rubric=rubric, number=latest.number) if latest else None
    posted = request.POST if request.method == "POST" else None
    formset = criteria_formset(posted, version=current)
    note = RubricNoteForm(posted)
    errors: list[str] = []
    if posted is not None:
        if formset.is_valid() and note.is_valid():
            try:
                return _save(request, rubric, formset.specs, note.cleaned_data["note"])
            except DomainError as exc:
                errors = [str(exc)]
        else:
            errors = [str(e) for e in formset.non_form_errors()] + [
                f"Note: {e}" for e in note.errors.get("note", [])
            ]
    context = {
        "project": project,
        "rubric": rubric,
        "current": current,
        "formset": formset,
        "note": note,
        "errors": errors,
    }
    return render(request, "llmops_core/rubric/edit.html", context, status=400 if errors else 200)


def _save(
    request: HttpRequest, rubric: Rubric, specs: list[CriterionSpec], note: str
) -> HttpResponse:
    version, created = rubric_revise(
        rubric=rubric, criteria=specs, actor=signed_in(request.user), note=note
    )
    if created:
        messages.success(
            request,
            f"Saved as {rubric.name} v{version.number}. Ratings already made keep the version "
            "they were made under; new queues use this one.",
        )
    else:
        messages.info(request, f"Nothing new: {rubric.name} v{version.number} holds exactly these.")
    return redirect("rubric", project_slug=rubric.project.slug)
