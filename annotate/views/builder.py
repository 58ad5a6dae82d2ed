"""The queue builder (leads and admins): choose outputs, see how many, then create the queue.

The count is previewed two ways: the page's script asks ``queue_new_preview`` (JSON) whenever
the choice changes, and without a script the "Preview" button posts the form and the page
comes back with the count and nothing created.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from annotate.forms import OutputChoiceForm, QueueForm, initial_choice
from annotate.models import QueueOrder
from annotate.selectors.builder import (
    ChoiceSummary,
    output_ids_chosen,
    outputs_chosen_summary,
)
from annotate.services.queues import queue_create
from annotate.views.carried_filter import CarriedFilter, carried_filter
from llmops_core.errors import DomainError
from llmops_core.models import Project, Role
from llmops_core.permissions import project_for_request, signed_in


def _summary_json(summary: ChoiceSummary) -> dict[str, Any]:
    return {
        "count": summary.count,
        "arms": [{"prompt_version": v, "model": m, "count": n} for v, m, n in summary.arms],
    }


@login_required
@require_safe
def queue_new_preview(request: HttpRequest, project_slug: str) -> JsonResponse:
    """Return how many outputs the builder's choice takes, by version and model (JSON)."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    form = OutputChoiceForm(request.GET, project=project, require_choice=False)
    if not form.is_valid():
        errors = {k: [str(e) for e in v] for k, v in form.errors.items()}
        detail = "; ".join(e for v in errors.values() for e in v)
        return JsonResponse({"detail": detail, "errors": errors}, status=400)
    return JsonResponse(
        _summary_json(outputs_chosen_summary(project=project, choice=form.choice()))
    )


def _create(
    request: HttpRequest, project: Project, form: QueueForm, carried: CarriedFilter | None
) -> HttpResponse | None:
    """Create the queue from the valid form; None (and the form's error) if a rule refused."""
    data = form.cleaned_data
    ids = list(carried.output_ids) if carried is not None else []
    ids += output_ids_chosen(project=project, choice=form.choice())
    try:
        queue = queue_create(
            project=project,
            name=data["name"],
            rubric_version=data["rubric_version"],
            overlap=data["overlap"],
            max_overlap=data["max_overlap"],
            disagreement_threshold=data["disagreement_threshold"],
            blind=data["blind"],
            guidelines=data["guidelines"],
            lease_seconds=data["lease_minutes"] * 60,
            gold_every=data["gold_every"],
            order=data["order"] or QueueOrder.RANDOM,
            seed=data["seed"],
            reviewers=list(data["reviewers"]),
            output_ids=list(dict.fromkeys(ids)),
            created_by=signed_in(request.user),
        )
    except DomainError as exc:
        form.add_error(None, str(exc))
        return None
    return redirect("queue-detail", project_slug=project.slug, pk=queue.pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def queue_new(request: HttpRequest, project_slug: str) -> HttpResponse:
    """Build a queue: prompt versions, models and/or output ids; preview the count; create.

    A link may prefill the choice (``?output=<id>&output=…``, ``?prompt_version=``,
    ``?model=``), or carry the outputs list's filter (``?from_outputs=1&…``, its "make a
    queue from these results" link), whose outputs are added to those chosen here.
    """
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    # A filter carried from the outputs list (or an import's page) chooses outputs too; its
    # parameters are not the builder's, so they tick no boxes.
    carried = carried_filter(query=request.GET, project=project, user=signed_in(request.user))
    context: dict[str, Any] = {"project": project, "carried": carried}
    if request.method != "POST":
        initial = initial_choice(request.GET) if carried is None else {}
        context["form"] = QueueForm(
            initial=initial, project=project, require_choice=carried is None
        )
        status = 400 if carried is not None and carried.errors else 200
        return render(request, "annotate/queue_form.html", context, status=status)
    form = context["form"] = QueueForm(
        request.POST, project=project, require_choice=carried is None
    )
    if carried is not None and carried.errors:
        return render(request, "annotate/queue_form.html", context, status=400)
    summary = None
    if form.is_valid():
        if "preview" not in request.POST and (done := _create(request, project, form, carried)):
            return done
        summary = outputs_chosen_summary(project=project, choice=form.choice())
    status = 200 if form.is_valid() and "preview" in request.POST else 400
    context["summary"] = summary
    return render(request, "annotate/queue_form.html", context, status=status)
