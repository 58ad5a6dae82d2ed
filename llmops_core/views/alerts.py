"""Alert pages (leads): the rules with their state, the rule form, a rule's history."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from llmops_core.errors import DomainError
from llmops_core.forms.alerts import AlertRuleForm, metric_help
from llmops_core.models import AlertEvent, AlertRule, Project, Role
from llmops_core.permissions import project_for_request, signed_in
from llmops_core.selectors.alerts import alert_events_for_project, alert_rules_for_project
from llmops_core.services.alerts import (
    METRICS,
    alert_event_acknowledge,
    alert_rule_create,
    alert_rule_update,
    window_text,
)

EVENTS_PER_PAGE = 50
RULES_PER_PAGE = 100


@login_required
@require_http_methods(["GET", "HEAD"])
def alert_rule_list(request: HttpRequest, project_slug: str) -> HttpResponse:
    """List the project's alert rules with their current state."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    page = Paginator(alert_rules_for_project(project), RULES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    rules = [
        {"rule": rule, "window": window_text(rule.window_seconds), "unit": _unit(rule)}
        for rule in page
    ]
    context = {"project": project, "rules": rules, "page": page}
    return render(request, "llmops_core/alerts/list.html", context)


def _unit(rule: AlertRule) -> str:
    metric = METRICS.get(rule.metric)
    return metric.unit if metric else ""


def _form_page(
    request: HttpRequest, project: Project, form: AlertRuleForm, rule: AlertRule | None
) -> HttpResponse:
    context = {"project": project, "form": form, "rule": rule, "metrics": metric_help()}
    return render(
        request, "llmops_core/alerts/form.html", context, status=400 if form.errors else 200
    )


def _save(
    request: HttpRequest, project: Project, form: AlertRuleForm, rule: AlertRule | None
) -> HttpResponse:
    """Save the valid form through the service; put its errors on the form's fields."""
    actor = signed_in(request.user)
    try:
        if rule is None:
            rule, secret = alert_rule_create(project=project, data=form.rule_input(), actor=actor)
        else:
            rule, secret = alert_rule_update(rule=rule, data=form.rule_input(), actor=actor)
    except DomainError as exc:
        name = str(exc.extra.get("field", ""))
        form.add_error(name if name in form.fields else None, str(exc))
        return _form_page(request, project, form, rule)
    if secret:
        # Shown once, on this page; the POST renders it rather than redirecting.
        return _detail_page(request, project, rule, created_secret=secret)
    messages.success(request, f"Alert rule “{rule.name}” saved.")
    return redirect("alert-rule", project_slug=project.slug, pk=rule.pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def alert_rule_new(request: HttpRequest, project_slug: str) -> HttpResponse:
    """Create an alert rule."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    form = AlertRuleForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        return _save(request, project, form, None)
    return _form_page(request, project, form, None)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def alert_rule_edit(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Change an alert rule (its state and history stay)."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    rule = get_object_or_404(AlertRule, pk=pk, project=project)
    if request.method == "POST":
        form = AlertRuleForm(request.POST, project=project)
        if form.is_valid():
            return _save(request, project, form, rule)
    else:
        form = AlertRuleForm(initial=AlertRuleForm.initial_for(rule), project=project)
    return _form_page(request, project, form, rule)


def _detail_page(
    request: HttpRequest, project: Project, rule: AlertRule, *, created_secret: str = ""
) -> HttpResponse:
    events = alert_events_for_project(project, rule_id=rule.pk).order_by("-window_end", "-id")
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "project": project,
        "rule": rule,
        "window": window_text(rule.window_seconds),
        "unit": _unit(rule),
        "page": page,
        "created_secret": created_secret,
    }
    return render(request, "llmops_core/alerts/detail.html", context)


@login_required
@require_http_methods(["GET", "HEAD"])
def alert_rule_detail(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Show a rule, its events (newest first, paginated) and each event's deliveries."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    rule = get_object_or_404(
        AlertRule.objects.select_related("prompt_version__template"), pk=pk, project=project
    )
    return _detail_page(request, project, rule)


@login_required
@require_POST
def alert_event_acknowledge_view(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Acknowledge one warning or alert event."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    event = get_object_or_404(AlertEvent, pk=pk, rule__project=project)
    try:
        alert_event_acknowledge(event=event, actor=signed_in(request.user))
        messages.success(request, "Acknowledged.")
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("alert-rule", project_slug=project.slug, pk=event.rule_id)
