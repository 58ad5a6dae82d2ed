"""A prompt's history: every version and label move, new versions, and one promotion's lineage."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from llmops_core.errors import DomainError
from llmops_core.forms.versions import NewVersionForm
from llmops_core.models import Project, PromptTemplate, Role
from llmops_core.permissions import project_for_request, signed_in
from llmops_core.selectors.prompts import (
    label_version,
    promotion_get,
    template_history,
)
from llmops_core.services.prompts import prompt_version_create
from llmops_core.views.versions._common import (
    _template,
)


def _new_version_form(template: PromptTemplate, data: Any = None) -> NewVersionForm:
    """Return the new-version form, filled from the production (or newest) version."""
    base = label_version(template=template) or template.versions.order_by("-number").first()
    initial = (
        {}
        if base is None
        else {
            "system_message": base.system_message,
            "template_text": base.template_text,
            "model_name": base.model_name,
            "parameters": json.dumps(base.parameters),
        }
    )
    return NewVersionForm(data, initial=initial)


@login_required
@require_POST
def prompt_version_new(request: HttpRequest, project_slug: str, name: str) -> HttpResponse:
    """Create a version of the prompt (its parent is the current production version)."""
    project, _, template = _template(request, project_slug, name)
    form = _new_version_form(template, request.POST)
    if form.is_valid():
        try:
            version, created = prompt_version_create(
                template=template,
                created_by=signed_in(request.user),
                parent=label_version(template=template),
                **form.cleaned_data,
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                f"v{version.number} {'created' if created else 'exists'}"
                ": run it over a dataset, then compare it with production.",
            )
            return redirect(
                "version-scorecard", project_slug=project.slug, name=name, number=version.number
            )
    return _history_page(request, project, template, form)


@login_required
@require_safe
def prompt_history(request: HttpRequest, project_slug: str, name: str) -> HttpResponse:
    """Show every version of a prompt (scorecard, diff to parent) and every label move."""
    project, _, template = _template(request, project_slug, name)
    return _history_page(request, project, template, _new_version_form(template))


def _history_page(
    request: HttpRequest, project: Project, template: PromptTemplate, form: NewVersionForm
) -> HttpResponse:
    """Render the history page with ``form`` (400 when it carries a refused new version)."""
    history = template_history(template=template)
    criteria: list[str] = []
    for row in history["versions"]:
        criteria += [c for c in row["means"] if c not in criteria]
    for row in history["versions"]:
        row["cells"] = [row["means"].get(c) for c in criteria]
    return render(
        request,
        "llmops_core/versions/history.html",
        {"project": project, **history, "criteria": criteria, "new_form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_safe
def promotion_detail(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Show a promotion's lineage: the gate's checks and the evidence frozen at the time."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    promotion = promotion_get(project=project, pk=pk)
    if promotion is None:
        raise Http404("No such promotion.")
    evidence = promotion.evidence or {}
    comparison = evidence.get("comparison") or {}
    context = {
        "project": project,
        "promotion": promotion,
        "evidence": evidence,
        "gate": promotion.gate_result or {},
        "comparison": comparison,
        "criteria": (comparison.get("results") or {}).get("criteria", {}),
        "scorecard": evidence.get("scorecard") or {},
        "ratings": evidence.get("ratings") or {},
        "rubric": evidence.get("rubric_version") or {},
        "judges": evidence.get("judges") or [],
        "evidence_json": json.dumps(evidence, indent=2, sort_keys=True, ensure_ascii=False),
    }
    return render(request, "llmops_core/versions/promotion.html", context)
