"""HTML pages of the annotation app: the rating page, a queue's page, adjudication, new queue."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from annotate.forms import QueueForm
from annotate.models import Flag
from annotate.permissions import queue_for_request
from annotate.rendering import safe_markdown
from annotate.selectors.preferences import queue_has_pairs
from annotate.selectors.queues import done_today, output_ids_matching, queue_item_counts
from annotate.selectors.reviewers import reviewer_rows
from annotate.serializers import rubric_payload
from annotate.services.queues import queue_create
from annotate.views.carried_filter import carried_filter
from llmops_core.errors import DomainError
from llmops_core.models import Role
from llmops_core.permissions import project_for_request, signed_in
from llmops_core.selectors.projects import role_allows

SKIP_REASONS = ["Can't judge this", "Needs expertise I don't have", "Input is unclear", "Other"]
PLACEHOLDER = 999_999_999  # stands for an id in URL templates handed to the page's script


def _url(name: str, *args: Any) -> str:
    return reverse(name, args=args).replace(str(PLACEHOLDER), "{id}")


@login_required
@require_safe
def queue_detail(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Show a queue: per-reviewer progress for leads; progress and guidelines for reviewers."""
    access = queue_for_request(request.user, project_slug, pk)
    project, role, queue, membership = access.project, access.role, access.queue, access.membership
    is_lead = role_allows(role, Role.LEAD)
    context = {
        "project": project,
        "queue": queue,
        "role": role,
        "is_lead": is_lead,
        "can_adjudicate": role_allows(role, Role.ADJUDICATOR),
        "membership": membership,
        # Only the queue's reviewers may open its pairwise page: a link for them alone.
        "pairwise": membership is not None and queue_has_pairs(queue=queue),
        "today": done_today(queue=queue, reviewer=signed_in(request.user)) if membership else 0,
        "percent": int(100 * queue.complete_count / queue.item_count) if queue.item_count else 0,
        "fraction": queue.complete_count / queue.item_count if queue.item_count else 0.0,
        "guidelines_html": safe_markdown(queue.guidelines),
        "rows": reviewer_rows(queue=queue) if is_lead else [],
        "counts": queue_item_counts(queue=queue) if role_allows(role, Role.ADJUDICATOR) else {},
    }
    return render(request, "annotate/queue_detail.html", context)


@login_required
@require_safe
def rate(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """The rating page of a queue's reviewer; its script drives the rating API."""
    access = queue_for_request(request.user, project_slug, pk, reviewers_only=True)
    project, queue, membership = access.project, access.queue, access.membership
    assert membership is not None  # the rule let only the queue's reviewers through
    slug = project.slug
    rubric = rubric_payload(queue.rubric_version)
    config = {
        "queue": {"id": queue.pk, "name": queue.name, "blind": queue.blind},
        "rubric": rubric,
        "flags": [[value, label] for value, label in Flag.choices],
        "skipReasons": SKIP_REASONS,
        "user": request.user.get_username(),
        "csrf": get_token(request),
        "progress": {
            "complete": queue.complete_count,
            "items": queue.item_count,
            "reviews": queue.review_count,
            "mine": membership.done_count,
            "quota": membership.quota,
            "today": done_today(queue=queue, reviewer=signed_in(request.user)),
        },
        "urls": {
            "next": _url("api-queue-next", slug, queue.pk),
            "undo": _url("api-queue-undo", slug, queue.pk),
            "progress": _url("api-queue-progress", slug, queue.pk),
            "release": _url("api-queue-release", slug, queue.pk),
            "history": _url("api-queue-annotations", slug, queue.pk),
            "submit": _url("api-item-submit", slug, queue.pk, PLACEHOLDER),
            "skip": _url("api-item-skip", slug, queue.pk, PLACEHOLDER),
            "renew": _url("api-item-renew", slug, queue.pk, PLACEHOLDER),
            "annotation": _url("api-annotation", slug, PLACEHOLDER),
            "queue": reverse("queue-detail", args=[slug, queue.pk]),
        },
    }
    context = {
        "project": project,
        "queue": queue,
        "config": config,
        "rubric": rubric,
        "flags": Flag.choices,
        "skip_reasons": SKIP_REASONS,
        "guidelines_html": safe_markdown(queue.guidelines),
    }
    return render(request, "annotate/rate.html", context)


@login_required
@require_safe
def adjudicate(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """The adjudication stream of a queue: contested items, all ratings side by side."""
    access = queue_for_request(request.user, project_slug, pk, role=Role.ADJUDICATOR)
    project, queue = access.project, access.queue
    slug = project.slug
    config = {
        "queue": {"id": queue.pk, "name": queue.name},
        "urls": {
            "next": _url("api-queue-adjudication-next", slug, queue.pk),
            "adjudicate": _url("api-item-adjudicate", slug, queue.pk, PLACEHOLDER),
            "queue": reverse("queue-detail", args=[slug, queue.pk]),
        },
    }
    return render(
        request, "annotate/adjudicate.html", {"project": project, "queue": queue, "config": config}
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def queue_new(request: HttpRequest, project_slug: str) -> HttpResponse:
    """Create a queue from a prompt version, a model, output ids and/or the outputs list's
    filter (carried in the query string by its "make a queue" link) (leads)."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    carried = carried_filter(query=request.GET, project=project, user=signed_in(request.user))
    form = QueueForm(request.POST or None, project=project, outputs_chosen=carried is not None)
    if carried is not None and carried.errors:
        context = {"project": project, "form": form, "carried": carried}
        return render(request, "annotate/queue_form.html", context, status=400)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ids = list(carried.output_ids) if carried is not None else []
        ids += list(data["output_ids"])
        if data["prompt_version"] or data["model"]:
            ids += output_ids_matching(
                project=project,
                prompt_version_id=data["prompt_version"].pk if data["prompt_version"] else None,
                model_name=data["model"] or None,
            )
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
                reviewers=list(data["reviewers"]),
                output_ids=ids,
                created_by=signed_in(request.user),
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("queue-detail", project_slug=project.slug, pk=queue.pk)
    context = {"project": project, "form": form, "carried": carried}
    return render(request, "annotate/queue_form.html", context)
