"""The lead's controls of a queue: state, settings, outputs, reviewers and quotas, pins, gold.

Leads and admins only (reviewers and adjudicators 403, non-members 404), the roles the API's
reviewers, pins and gold endpoints require. The page is read with GET; each form posts to its
own URL, which calls the services and redirects back, or shows the page again with the form's
errors (400; 409 when the queue's state refuses the change) and nothing written. An
archived queue's page is read-only: it shows the state form alone.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from annotate.errors import Conflict
from annotate.forms import (
    GoldForm,
    OutputChoiceForm,
    PinForm,
    QueueSettingsForm,
    QueueStateForm,
    ReviewersForm,
)
from annotate.models import Queue
from annotate.permissions import queue_for_request
from annotate.selectors.builder import output_ids_chosen
from annotate.selectors.queues import (
    item_for_rating,
    item_pin_usernames,
    queue_gold_items,
    queue_items_for_lead,
)
from annotate.selectors.reviewers import gold_accuracy_rows, queue_reviewer_candidates
from annotate.services.gold import gold_mark, gold_unmark
from annotate.services.queues import queue_add_outputs, queue_update
from annotate.services.queues_state import queue_transition
from annotate.services.reviewers import items_pin, items_unpin, queue_reviewers_update
from llmops_core.errors import DomainError
from llmops_core.models import Project, Role
from llmops_core.permissions import signed_in

ITEMS_PER_PAGE = 50
GOLD_SHOWN = 200


def _lead_queue(request: HttpRequest, project_slug: str, pk: int) -> tuple[Project, Queue]:
    """Return the project and queue for a lead or admin (``annotate.permissions``' rule)."""
    access = queue_for_request(request.user, project_slug, pk, role=Role.LEAD)
    return access.project, access.queue


def _forms(request: HttpRequest, queue: Queue, bound: str = "") -> dict[str, Any]:
    """Return the page's three forms; the one named ``bound`` holds the request's POST."""
    candidates = queue_reviewer_candidates(queue=queue)
    reviewers = [c.user for c in candidates if c.is_reviewer]
    criteria = list(queue.rubric_version.criteria.all())

    def data(name: str) -> Any:
        return request.POST if name == bound else None

    return {
        "settings_form": QueueSettingsForm(
            data("settings"), prefix="set", initial=QueueSettingsForm.initial_of(queue)
        ),
        "outputs_form": OutputChoiceForm(data("outputs"), prefix="add", project=queue.project),
        "state_form": QueueStateForm(data("state")),
        "reviewers_form": ReviewersForm(data("reviewers"), prefix="rv", candidates=candidates),
        "pin_form": PinForm(data("pins"), prefix="pin", queue=queue, reviewers=reviewers),
        "gold_form": GoldForm(data("gold"), prefix="gold", queue=queue, criteria=criteria),
    }


def _page(
    request: HttpRequest, project: Project, queue: Queue, forms: dict[str, Any], status: int = 200
) -> HttpResponse:
    items = Paginator(
        queue_items_for_lead(queue=queue).order_by("position", "id"), ITEMS_PER_PAGE
    ).get_page(request.GET.get("page"))
    gold = list(queue_gold_items(queue=queue)[: GOLD_SHOWN + 1])
    pins = item_pin_usernames(item_ids=[i.pk for i in items])
    criteria = forms["gold_form"].criteria
    context = {
        "project": project,
        "queue": queue,
        **forms,
        "items": [(item, pins.get(item.pk, [])) for item in items],
        "page": items,
        "gold": [
            (item, [item.gold_scores.get(c.name) for c in criteria]) for item in gold[:GOLD_SHOWN]
        ],
        "gold_more": len(gold) > GOLD_SHOWN,
        "criteria": criteria,
        "accuracy": gold_accuracy_rows(queue_id=queue.pk),
    }
    return render(request, "annotate/queue_controls.html", context, status=status)


def _back(project: Project, queue: Queue, anchor: str) -> HttpResponse:
    return redirect(reverse("queue-controls", args=[project.slug, queue.pk]) + anchor)


@login_required
@require_safe
def queue_controls(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Show the queue's reviewers and quotas, its items and pins, and its gold items."""
    project, queue = _lead_queue(request, project_slug, pk)
    return _page(request, project, queue, _forms(request, queue))


def _refused(form: Any, exc: DomainError) -> int:
    """Put the service's refusal on the form; return the status: 409 for a state clash."""
    form.add_error(None, str(exc))
    return 409 if isinstance(exc, Conflict) else 400


@login_required
@require_POST
def queue_controls_state(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Pause, reopen, close, archive or unarchive the queue."""
    project, queue = _lead_queue(request, project_slug, pk)
    forms = _forms(request, queue, "state")
    form, status = forms["state_form"], 400
    if form.is_valid():
        action = form.cleaned_data["action"]
        try:
            queue = queue_transition(queue=queue, action=action, actor=signed_in(request.user))
        except DomainError as exc:
            status = _refused(form, exc)
        else:
            messages.success(request, f"The queue is now {_state_word(queue)}.")
            return _back(project, queue, "#state")
    return _page(request, project, queue, forms, status=status)


def _state_word(queue: Queue) -> str:
    return "archived" if queue.is_archived else str(queue.get_status_display()).lower()


@login_required
@require_POST
def queue_controls_settings(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Change the queue's name, guidelines, overlap, lease and gold rate."""
    project, queue = _lead_queue(request, project_slug, pk)
    forms = _forms(request, queue, "settings")
    form, status = forms["settings_form"], 400
    if form.is_valid():
        try:
            queue_update(queue=queue, changes=form.changes(queue), actor=signed_in(request.user))
        except DomainError as exc:
            status = _refused(form, exc)
        else:
            messages.success(request, "Settings saved.")
            return _back(project, queue, "#settings")
    return _page(request, project, queue, forms, status=status)


@login_required
@require_POST
def queue_controls_outputs(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Add outputs (by prompt version, model or id) to the queue, in its served order."""
    project, queue = _lead_queue(request, project_slug, pk)
    forms = _forms(request, queue, "outputs")
    form, status = forms["outputs_form"], 400
    if form.is_valid():
        try:
            added = queue_add_outputs(
                queue=queue, output_ids=output_ids_chosen(project=project, choice=form.choice())
            )
        except DomainError as exc:
            status = _refused(form, exc)
        else:
            messages.success(request, f"{added} output(s) added; {queue.item_count} items now.")
            return _back(project, queue, "#add-outputs")
    return _page(request, project, queue, forms, status=status)


@login_required
@require_POST
def queue_controls_reviewers(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Set the queue's reviewers and their quotas in one transaction."""
    project, queue = _lead_queue(request, project_slug, pk)
    forms = _forms(request, queue, "reviewers")
    form, status = forms["reviewers_form"], 400
    if form.is_valid():
        try:
            queue_reviewers_update(
                queue=queue, reviewers=form.cleaned_data["reviewers"], actor=signed_in(request.user)
            )
        except DomainError as exc:
            status = _refused(form, exc)
        else:
            messages.success(request, "Reviewers and quotas saved.")
            return _back(project, queue, "#reviewers")
    return _page(request, project, queue, forms, status=status)


@login_required
@require_POST
def queue_controls_pins(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Pin items to a reviewer of the queue, or unpin them."""
    project, queue = _lead_queue(request, project_slug, pk)
    forms = _forms(request, queue, "pins")
    form, status = forms["pin_form"], 400
    if form.is_valid():
        data = form.cleaned_data
        service = items_pin if data["action"] == "pin" else items_unpin
        try:
            changed = service(
                queue=queue,
                reviewer=data["reviewer_user"],
                item_ids=data["item_ids"],
                actor=signed_in(request.user),
            )
        except DomainError as exc:
            status = _refused(form, exc)
        else:
            done = "pinned to" if data["action"] == "pin" else "unpinned from"
            messages.success(request, f"{changed} item(s) {done} {data['reviewer']}.")
            return _back(project, queue, "#items")
    return _page(request, project, queue, forms, status=status)


@login_required
@require_POST
def queue_controls_gold(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Mark an item gold with its expected scores, or make it an ordinary item again."""
    project, queue = _lead_queue(request, project_slug, pk)
    forms = _forms(request, queue, "gold")
    form, status = forms["gold_form"], 400
    if form.is_valid():
        data = form.cleaned_data
        item = item_for_rating(item_id=data["item_id"], queue=queue)
        try:
            if item is None:
                raise DomainError(f'no item {data["item_id"]} in queue "{queue.name}"')
            if data["action"] == "mark":
                gold_mark(item=item, scores=data["scores"], actor=signed_in(request.user))
            else:
                gold_unmark(item=item, actor=signed_in(request.user))
        except DomainError as exc:
            status = _refused(form, exc)
        else:
            done = "is now gold" if data["action"] == "mark" else "is no longer gold"
            messages.success(request, f"Item {item.pk} {done}.")
            return _back(project, queue, "#gold")
    return _page(request, project, queue, forms, status=status)
