"""The project's release gate page: leads read the rules, admins edit them as rows of a form."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from llmops_core.errors import DomainError
from llmops_core.forms.gates import gate_rules_formset
from llmops_core.models import Role
from llmops_core.permissions import project_for_request
from llmops_core.selectors.projects import role_allows
from llmops_core.selectors.rubrics import rubric_criteria_scales
from llmops_core.services.gate_rules import RULE_LABELS, rule_words
from llmops_core.services.gates import gate_rules_for, release_gate_update


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def release_gate(request: HttpRequest, project_slug: str) -> HttpResponse:
    """Show the project's release gate rules; admins edit them, row by row."""
    project, role = project_for_request(request.user, project_slug, Role.LEAD)
    is_admin = role_allows(role, Role.ADMIN)
    if request.method == "POST" and not is_admin:
        raise PermissionDenied(
            f"changing the release gate needs the admin role in project {project.slug}"
        )
    rules, default = gate_rules_for(project=project)
    scales = rubric_criteria_scales(project=project)
    formset = gate_rules_formset(
        request.POST if request.method == "POST" else None, rules=rules, scales=scales
    )
    errors: list[str] = []
    if request.method == "POST":
        if formset.is_valid():
            try:
                release_gate_update(project=project, rules=formset.rules, actor=request.user)
            except DomainError as exc:
                errors = exc.extra.get("errors") or [str(exc)]
            else:
                messages.success(request, "The release gate was saved.")
                return redirect("release-gate", project_slug=project.slug)
        else:
            errors = [str(e) for e in formset.non_form_errors()]
    context = {
        "project": project,
        "rules": rules,
        "rules_json": json.dumps(rules, indent=2),
        "rule_words": [rule_words(rule) for rule in rules],
        "default": default,
        "formset": formset,
        "errors": errors,
        "scales": sorted(scales.items()),
        "rule_labels": RULE_LABELS,
        "is_admin": is_admin,
    }
    return render(request, "llmops_core/versions/gate.html", context, status=400 if errors else 200)
