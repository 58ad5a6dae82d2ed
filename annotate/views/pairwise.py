"""The blind side-by-side page of a queue: which of two versions' answers is better?

A queue's reviewers see two outputs for the same input, from two versions of one prompt, in a
random left/right order and without version names; they pick left, right or a tie (keys 1, 2,
0), optionally per criterion. Which output was on the left travels in a signed token, so the
page cannot be made to record a pair it did not show.
"""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods

from annotate.models import Queue
from annotate.permissions import queue_for_request
from annotate.rendering import input_view, safe_markdown
from annotate.selectors.preferences import next_pair, pair_outputs
from annotate.services.preferences import preference_submit
from llmops_core.errors import DomainError
from llmops_core.permissions import signed_in

SALT = "annotate.pairwise"


def _submit(request: HttpRequest, queue: Queue) -> HttpResponse | None:
    """Record the posted choice; return an error response, or None when it was stored."""
    try:
        shown = signing.loads(request.POST.get("token", ""), salt=SALT, max_age=86_400)
    except signing.BadSignature:
        return HttpResponseBadRequest("This page is out of date; reload it.")
    if shown.get("q") != queue.pk:
        return HttpResponseBadRequest("This pair belongs to another queue.")
    criteria = {
        key.removeprefix("crit-"): str(value)
        for key, value in request.POST.items()
        if key.startswith("crit-") and value
    }
    try:
        preference_submit(
            queue=queue,
            reviewer=signed_in(request.user),
            left_id=shown["l"],
            right_id=shown["r"],
            side=request.POST.get("side", ""),
            criteria=criteria,
        )
    except DomainError as exc:
        messages.error(request, str(exc))
    return None


def _input(value: object) -> dict[str, object]:
    """Return the pair's input as the page shows it: variables as text, messages as HTML."""
    view = input_view(value)
    # The HTML comes from annotate.rendering: Markdown with raw HTML off, sanitised by nh3.
    html = [(m["role"], mark_safe(m["html"])) for m in view["messages"]]  # noqa: S308
    return {"variables": view["variables"], "messages": html, "html": mark_safe(view["html"])}  # noqa: S308


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def pairwise(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Show the reviewer's next pair, or record their choice and move on."""
    queue = queue_for_request(request.user, project_slug, pk, reviewers_only=True).queue
    if request.method == "POST":
        refused = _submit(request, queue)
        return refused or redirect("queue-pairwise", project_slug=project_slug, pk=pk)
    pair, done, total = next_pair(queue=queue, reviewer=request.user)
    context = {
        "queue": queue,
        "project": queue.project,
        "done": done,
        "total": total,
        "criteria": list(queue.rubric_version.criteria.values_list("name", flat=True)),
    }
    if pair is not None:
        outputs = {o.pk: o for o in pair_outputs(queue=queue, ids=pair)}
        left, right = pair if secrets.randbelow(2) else pair[::-1]
        context.update(
            {
                "input": _input(outputs[left].input),
                "left": safe_markdown(outputs[left].output_text),
                "right": safe_markdown(outputs[right].output_text),
                "token": signing.dumps({"q": queue.pk, "l": left, "r": right}, salt=SALT),
            }
        )
    return render(request, "annotate/pairwise.html", context)
