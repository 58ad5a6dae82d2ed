"""The audit log of a project, for leads and admins."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from llmops_core.models import AuditEvent, Role
from llmops_core.permissions import project_for_request


@login_required
@require_safe
def audit_log(request: HttpRequest, project_slug: str) -> HttpResponse:
    """List the project's audit events, newest first, 50 a page."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    events = AuditEvent.objects.filter(project=project).select_related("actor")
    action = request.GET.get("action", "")
    if action:
        events = events.filter(action=action)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(
        request, "llmops_core/audit.html", {"project": project, "page": page, "action": action}
    )
