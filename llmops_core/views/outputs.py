"""The outputs pages of a project: a filtered, paged list and one output's detail (leads).

Reviewers and adjudicators are refused (403): the list filters and shows outputs by prompt
version, model and judge score, exactly what a blind queue hides from them; they read outputs
through their queues' pages, which apply each queue's blindness.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from statistics import fmean
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from annotate.selectors import (
    OutputLabel,
    OutputQueueRow,
    output_label_counts,
    output_labels,
    output_queues,
)
from llmops_core.forms.outputs import OutputFilterForm, filter_query
from llmops_core.models import ModelOutput, Role
from llmops_core.permissions import project_for_request, signed_in
from llmops_core.selectors.feedback import FeedbackCounts, feedback_counts, output_feedback
from llmops_core.selectors.outputs import (
    output_judge_score_rows,
    output_judge_scores,
    outputs_filter,
)
from llmops_core.selectors.projects import output_list

PAGE_SIZE = 50
PREVIEW_CHARS = 160


def input_preview(value: Any) -> str:
    """Return an input as one line of text: a string, ``name: value`` pairs, or the last message."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and isinstance(value[-1], dict):
        return str(value[-1].get("content", ""))
    if isinstance(value, dict):
        return " · ".join(f"{k}: {v}" for k, v in value.items())
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class OutputRow:
    """One line of the outputs list."""

    output: ModelOutput
    input_text: str
    labels: int
    queues: list[OutputQueueRow]
    judge: dict[str, int]
    feedback: FeedbackCounts | None = None


def _rows(outputs: list[ModelOutput]) -> list[OutputRow]:
    """Return the page's outputs with labels, queues, judge scores and feedback (four queries)."""
    ids = [o.pk for o in outputs]
    labels = output_label_counts(output_ids=ids)
    queues = output_queues(output_ids=ids)
    judge = output_judge_scores(output_ids=ids)
    feedback = feedback_counts(output_ids=ids)
    return [
        OutputRow(
            output=o,
            input_text=input_preview(o.input),
            labels=labels.get(o.pk, 0),
            queues=queues.get(o.pk, []),
            judge=judge.get(o.pk, {}),
            feedback=feedback.get(o.pk),
        )
        for o in outputs
    ]


def _page_number(raw: str) -> int | None:
    """Return ``?page=`` as a number from 1, or None if it is not one."""
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 10**9 else None


@login_required
@require_safe
def output_list_view(request: HttpRequest, project_slug: str) -> HttpResponse:
    """List the project's outputs matching the filter, newest first, 50 a page."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    params = filter_query(request.GET)
    page_raw = request.GET.get("page", "1")
    form = OutputFilterForm(params, project=project, user=signed_in(request.user))
    context: dict[str, Any] = {"project": project, "form": form, "querystring": ""}
    number = _page_number(page_raw)
    errors = [] if number is not None else [f"page: {page_raw!r} is not a whole number from 1"]
    if not form.is_valid():
        errors = form.error_lines() + errors
    if errors:
        context["errors"] = errors
        return render(request, "llmops_core/outputs/list.html", context, status=400)
    assert number is not None
    paginator = Paginator(outputs_filter(project=project, flt=form.to_filter()), PAGE_SIZE)
    page: Page[ModelOutput] = paginator.page(min(number, paginator.num_pages))
    context.update(
        page=page,
        rows=_rows(list(page.object_list)),
        total=paginator.count,
        filtered=form.to_filter().narrows,
        querystring=params.urlencode(),
    )
    return render(request, "llmops_core/outputs/list.html", context)


@dataclass(frozen=True)
class CriterionSummary:
    """The labels' scores on one criterion: how many and their mean."""

    name: str
    count: int
    mean: float


def label_summary(labels: list[OutputLabel]) -> list[CriterionSummary]:
    """Return each criterion's count and mean score over the labels, by criterion name."""
    scores: dict[str, list[int]] = {}
    for label in labels:
        for name, score in label.scores.items():
            scores.setdefault(name, []).append(score)
    return [CriterionSummary(n, len(v), fmean(v)) for n, v in sorted(scores.items())]


@login_required
@require_safe
def output_detail(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Show one output: input, output, what produced it, its queues, labels and judge scores."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    output = get_object_or_404(output_list(project=project), pk=pk)
    labels = output_labels(output_id=output.pk)
    context = {
        "project": project,
        "output": output,
        "input_json": json.dumps(output.input, ensure_ascii=False, indent=2),
        "input_is_text": isinstance(output.input, str),
        "metadata_json": json.dumps(output.metadata, ensure_ascii=False, indent=2),
        "queues": output_queues(output_ids=[output.pk]).get(output.pk, []),
        "labels": labels,
        "summary": label_summary(labels),
        "judge": output_judge_score_rows(output_id=output.pk),
        "feedback": output_feedback(output_id=output.pk),
    }
    return render(request, "llmops_core/outputs/detail.html", context)
