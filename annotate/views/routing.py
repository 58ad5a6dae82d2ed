"""Routing rule pages (leads): the list with what each rule did today, create, edit, pause,
resume and the history of revisions and days."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from annotate.forms.routing import RoutingRuleForm, routing_rule_initial
from annotate.selectors.routing import (
    routing_rule_days,
    routing_rule_queryset,
    routing_rule_revisions,
    routing_rule_rows,
    rule_rate_text,
)
from annotate.services.routing import (
    routing_rule_create,
    routing_rule_pause,
    routing_rule_update,
)
from llmops_core.errors import DomainError
from llmops_core.models import Project, Role, RoutingRule
from llmops_core.permissions import project_for_request, signed_in


def _rule(request: HttpRequest, slug: str, pk: int) -> tuple[Project, RoutingRule]:
    project, _ = project_for_request(request.user, slug, Role.LEAD)
    return project, get_object_or_404(routing_rule_queryset(project=project), pk=pk)


@login_required
@require_http_methods(["GET", "HEAD"])
def routing_rule_list(request: HttpRequest, project_slug: str) -> HttpResponse:
    """List the project's rules with what each did today."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    context = {"project": project, "rows": routing_rule_rows(project=project)}
    return render(request, "annotate/routing/list.html", context)


def _form_page(
    request: HttpRequest, project: Project, form: RoutingRuleForm, rule: RoutingRule | None
) -> HttpResponse:
    status = 400 if form.is_bound else 200
    context = {"project": project, "form": form, "rule": rule}
    return render(request, "annotate/routing/form.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def routing_rule_new(request: HttpRequest, project_slug: str) -> HttpResponse:
    """Create a rule."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    if request.method != "POST":
        return _form_page(request, project, RoutingRuleForm(project=project), None)
    form = RoutingRuleForm(request.POST, project=project)
    if form.is_valid():
        try:
            rule = routing_rule_create(
                project=project, data=form.service_data(), actor=signed_in(request.user)
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Rule “{rule.name}” created.")
            return redirect("routing-rules", project_slug=project.slug)
    return _form_page(request, project, form, None)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def routing_rule_edit(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Edit a rule: a new version; the previous definition stays in its history."""
    project, rule = _rule(request, project_slug, pk)
    if request.method != "POST":
        form = RoutingRuleForm(initial=routing_rule_initial(rule), project=project)
        return _form_page(request, project, form, rule)
    form = RoutingRuleForm(request.POST, project=project)
    if form.is_valid():
        try:
            rule = routing_rule_update(
                rule=rule, data=form.service_data(), actor=signed_in(request.user)
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Rule “{rule.name}” saved as version {rule.version}.")
            return redirect("routing-rules", project_slug=project.slug)
    return _form_page(request, project, form, rule)


@login_required
@require_POST
def routing_rule_pause_view(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Pause the rule, or resume it (``action=resume``)."""
    project, rule = _rule(request, project_slug, pk)
    paused = request.POST.get("action") != "resume"
    routing_rule_pause(rule=rule, paused=paused, actor=signed_in(request.user))
    messages.success(request, f"Rule “{rule.name}” {'paused' if paused else 'resumed'}.")
    return redirect("routing-rules", project_slug=project.slug)


@login_required
@require_http_methods(["GET", "HEAD"])
def routing_rule_history(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Show a rule's revisions and its last days."""
    project, rule = _rule(request, project_slug, pk)
    context = {
        "project": project,
        "rule": rule,
        "rate": rule_rate_text(rule),
        "revisions": routing_rule_revisions(rule=rule)[:100],
        "days": routing_rule_days(rule=rule),
    }
    return render(request, "annotate/routing/history.html", context)
