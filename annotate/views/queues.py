"""HTML pages of the annotation app: the rating page, a queue's page, adjudication, new queue."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from annotate.models import Flag
from annotate.permissions import queue_for_request
from annotate.rendering import safe_markdown
from annotate.selectors.builder import queue_arms
from annotate.selectors.preferences import queue_has_pairs
from annotate.selectors.queues import done_today, queue_item_counts
from annotate.selectors.reviewers import reviewer_rows
from annotate.serializers import rubric_payload
from llmops_core.models import Role
from llmops_core.permissions import signed_in
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
        # What produced the items is shown only to those who may see it in a blind queue.
        "arms": queue_arms(queue_id=queue.pk) if role_allows(role, Role.ADJUDICATOR) else [],
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
