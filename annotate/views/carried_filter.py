"""A filter of the outputs list carried to the new-queue page by its "make a queue" link.

The link is the new-queue URL with the list's query parameters and ``from_outputs=1``; the
page's form posts back to the same URL, so the filter is read from the query string both when
the page is shown and when the queue is created, by the same form as the list's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.http import QueryDict

from llmops_core.forms.outputs import OutputFilterForm, filter_query
from llmops_core.models import Project
from llmops_core.selectors.outputs import output_ids_for_filter

MARKER = "from_outputs"


@dataclass(frozen=True)
class CarriedFilter:
    """The outputs a carried filter chose, or why it cannot be used, and how to show it."""

    output_ids: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    summary: list[tuple[str, str]] = field(default_factory=list)  # (parameter, value)
    querystring: str = ""


def carried_filter(*, query: QueryDict, project: Project, user: User) -> CarriedFilter | None:
    """Return the outputs list's filter the query carries, or None when it carries none."""
    if MARKER not in query:
        return None
    params = filter_query(query)
    summary = [(name, value) for name in params for value in params.getlist(name)]
    form = OutputFilterForm(params, project=project, user=user)
    if not form.is_valid():
        return CarriedFilter(errors=form.error_lines(), summary=summary)
    ids = output_ids_for_filter(project=project, flt=form.to_filter())
    errors = [] if ids else ["the filter from the outputs list matches no outputs"]
    return CarriedFilter(ids, errors, summary, params.urlencode())
