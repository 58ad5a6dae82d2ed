"""The calibration queue page (leads and admins): plan a random sample, see its forecast, create.

Like the queue builder, the forecast is previewed two ways: the page's script asks
``calibration_queue_preview`` (JSON) whenever the plan changes, and without a script the
"Preview" button posts the form and the page comes back with the forecast, nothing created.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from annotate.forms.calibration import CalibrationPlanForm, CalibrationQueueForm
from annotate.selectors.calibration import CalibrationPlan, calibration_plan
from annotate.services.calibration import calibration_queue_create
from llmops_core.errors import DomainError
from llmops_core.models import Project, Role
from llmops_core.permissions import project_for_request, signed_in

TEMPLATE = "annotate/calibration_queue_form.html"
INITIAL_FIELDS = ("version", "judge_version", "criterion", "budget", "sampling")


def _plan(form: CalibrationPlanForm) -> CalibrationPlan:
    data = form.cleaned_data
    return calibration_plan(
        version=data["version"],
        judge_version=data["judge_version"],
        criterion=data["criterion"],
        budget=data["budget"],
        sampling=data["sampling"],
    )


def _form_errors(form: CalibrationPlanForm) -> dict[str, Any]:
    errors = {k: [str(e) for e in v] for k, v in form.errors.items()}
    return {"detail": "; ".join(e for v in errors.values() for e in v), "errors": errors}


@login_required
@require_safe
def calibration_queue_preview(request: HttpRequest, project_slug: str) -> JsonResponse:
    """Return the plan's frame, probabilities' design and forecast widths (JSON), or a 400."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    form = CalibrationPlanForm(request.GET, project=project)
    if not form.is_valid():
        return JsonResponse(_form_errors(form), status=400)
    try:
        plan = _plan(form)
    except DomainError as exc:
        return JsonResponse({"detail": str(exc), "errors": {}}, status=400)
    return JsonResponse(plan.as_dict())


def _create(request: HttpRequest, project: Project, form: CalibrationQueueForm) -> HttpResponse:
    data = form.cleaned_data
    queue = calibration_queue_create(
        version=data["version"],
        judge_version=data["judge_version"],
        criterion=data["criterion"],
        budget=data["budget"],
        sampling=data["sampling"],
        name=data["name"],
        rubric_version=data["rubric_version"],
        overlap=data["overlap"],
        max_overlap=data["max_overlap"],
        disagreement_threshold=data["disagreement_threshold"],
        blind=data["blind"],
        guidelines=data["guidelines"],
        lease_seconds=data["lease_minutes"] * 60,
        gold_every=data["gold_every"],
        seed=data["seed"],
        reviewers=list(data["reviewers"]),
        created_by=signed_in(request.user),
    )
    return redirect("queue-detail", project_slug=project.slug, pk=queue.pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def calibration_queue_new(request: HttpRequest, project_slug: str) -> HttpResponse:
    """Plan a calibration queue (``?version=<id>`` prefills it); preview; create it."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    context: dict[str, Any] = {"project": project, "plan": None, "plan_error": None}
    if request.method != "POST":
        initial = {k: request.GET[k] for k in INITIAL_FIELDS if request.GET.get(k)}
        context["form"] = CalibrationQueueForm(initial=initial, project=project)
        return render(request, TEMPLATE, context)
    form = context["form"] = CalibrationQueueForm(request.POST, project=project)
    valid = form.is_valid()
    if "preview" in request.POST:
        # The forecast needs only the plan: a queue name not chosen yet does not hide it.
        plan_form = CalibrationPlanForm(request.POST, project=project)
        if plan_form.is_valid():
            try:
                context["plan"] = _plan(plan_form)
            except DomainError as exc:
                form.add_error(None, str(exc))
        return render(request, TEMPLATE, context, status=200 if context["plan"] else 400)
    if valid:
        try:
            return _create(request, project, form)
        except DomainError as exc:
            form.add_error(None, str(exc))
    return render(request, TEMPLATE, context, status=400)
