"""The project's release gate page: leads read the rules, admins edit them."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from llmops_core.errors import DomainError
from llmops_core.forms.versions import GateRulesForm
from llmops_core.models import Role
from llmops_core.permissions import project_for_request
from llmops_core.selectors.projects import role_allows
from llmops_core.services.gates import gate_rules_for, release_gate_update


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def release_gate(request: HttpRequest, project_slug: str) -> HttpResponse:
    """Show the project's release gate rules; admins edit them."""
    project, role = project_for_request(request.user, project_slug, Role.LEAD)
    rules, default = gate_rules_for(project=project)
    is_admin = role_allows(role, Role.ADMIN)
    form = GateRulesForm(request.POST or None, initial={"rules": json.dumps(rules, indent=2)})
    if request.method == "POST":
        if not is_admin:
            raise PermissionDenied(
                f"changing the release gate needs the admin role in project {project.slug}"
            )
        if form.is_valid():
            try:
                release_gate_update(
                    project=project, rules=form.cleaned_data["rules"], actor=request.user
                )
            except DomainError as exc:
                form.add_error("rules", str(exc))
            else:
                messages.success(request, "The release gate was saved.")
                return redirect("release-gate", project_slug=project.slug)
    context = {
        "project": project,
        "rules": rules,
        "default": default,
        "form": form,
        "is_admin": is_admin,
    }
    return render(
        request, "llmops_core/versions/gate.html", context, status=400 if form.errors else 200
    )
