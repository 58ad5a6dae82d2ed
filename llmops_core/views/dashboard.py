"""The project dashboard for product leads: what ships now, what could ship next, and at what cost.

Per prompt: the production version's scorecard (with its chart), every other version with its
comparison against production, and links to history and comparison pages. Around it: open
queues and their progress, the latest agreement and judge reports, and what the project spent.
Every number links to the page (or JSON) it comes from.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_safe

from annotate.selectors import queue_rows_for_user
from llmops_core.models import PromptTemplate, PromptVersion, Role
from llmops_core.permissions import project_for_request, signed_in
from llmops_core.selectors.feedback import feedback_summaries
from llmops_core.selectors.operations import versions_operations
from llmops_core.selectors.projects import prompt_template_list
from llmops_core.selectors.prompts import (
    template_versions_with_labels,
)
from llmops_core.selectors.versions import (
    comparisons_latest,
    project_costs,
    reports_latest,
    scorecards_latest,
)

MAX_TEMPLATES = 20
MAX_CANDIDATES = 6
REPORT_PAGES = {"agreement": "report-detail", "judge_comparison": "judge-report"}


def _link(name: str, *args: Any) -> str | None:
    """Return the URL of page ``name``, or None if that page does not exist (yet)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _scorecard_rows(report: Any) -> list[dict[str, Any]]:
    if report is None:
        return []
    return [
        {
            "name": c["name"],
            "mean": c["human"]["mean"],
            "low": c["human"]["ci_low"],
            "high": c["human"]["ci_high"],
            "n": c["human"]["n_items"],
            "judge": (c["judge"] or {}).get("mean"),
            "alpha": c["agreement"]["alpha"],
        }
        for c in report.results.get("criteria", [])
    ]


def _template_card(
    slug: str,
    template: PromptTemplate,
    versions: list[PromptVersion],
    cards: dict[int, Any],
    comparisons: dict[tuple[int, int], Any],
    operations: dict[int, Any],
) -> dict[str, Any]:
    """Return one prompt's card: production scorecard and the other versions' comparisons."""
    production = next(
        (v for v in versions if any(lb.name == "production" for lb in v.labels.all())), None
    )
    card = cards.get(production.pk) if production else None
    candidates = []
    for version in versions:
        if production is not None and version.pk == production.pk:
            continue
        comparison = comparisons.get((version.pk, production.pk)) if production else None
        candidates.append(
            {
                "version": version,
                "comparison": comparison,
                "scorecard": cards.get(version.pk),
                "labels": sorted(lb.name for lb in version.labels.all()),
                "operations": operations.get(version.pk),
            }
        )
    chart = (
        reverse("version-report-chart", args=[slug, card.pk, "scorecard", "svg"]) if card else None
    )
    return {
        "template": template,
        "production": production,
        "scorecard": card,
        "rows": _scorecard_rows(card),
        "chart": chart,
        "outputs": (card.results.get("outputs") if card else None),
        "candidates": candidates[:MAX_CANDIDATES],
        "operations": operations.get(production.pk) if production else None,
    }


def _with_feedback(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give each card's production version and candidates their end-user feedback (one query)."""
    ids = [c["production"].pk for c in cards if c["production"]]
    ids += [v["version"].pk for c in cards for v in c["candidates"]]
    feedback = feedback_summaries(version_ids=ids)
    for card in cards:
        card["feedback"] = feedback.get(card["production"].pk) if card["production"] else None
        for candidate in card["candidates"]:
            candidate["feedback"] = feedback.get(candidate["version"].pk)
    return cards


@login_required
@require_safe
def project_dashboard(request: HttpRequest, project_slug: str) -> HttpResponse:
    """Show the project dashboard (leads and admins)."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    templates = list(prompt_template_list(project=project).order_by("name")[:MAX_TEMPLATES])
    versions = {t.pk: list(template_versions_with_labels(template=t)[:20]) for t in templates}
    cards = scorecards_latest(versions=[v for vs in versions.values() for v in vs])
    comparisons = comparisons_latest(project=project)
    operations = versions_operations(v.pk for vs in versions.values() for v in vs)
    queues = queue_rows_for_user(
        user=signed_in(request.user), project=project, open_only=True, by_name=True, limit=50
    )
    reports = []
    for kind, row in reports_latest(project=project).items():
        if row is not None:
            summary = row["results__summary"]
            text = (
                summary.get("headline")
                if isinstance(summary, dict)
                else (summary[0] if summary else "")
            )
            reports.append(
                {
                    "kind": kind,
                    "row": row,
                    "text": text,
                    "url": _link(REPORT_PAGES[kind], project.slug, row["id"]),
                }
            )
    context = {
        "project": project,
        "cards": _with_feedback(
            [
                _template_card(project.slug, t, versions[t.pk], cards, comparisons, operations)
                for t in templates
            ]
        ),
        "queues": queues,
        "reports": reports,
        "costs": project_costs(project=project),
        "links": {
            "reports": _link("report-list", project.slug),
            "judges": _link("judge-list", project.slug),
            "gate": reverse("release-gate", args=[project.slug]),
            "datasets": reverse("dataset-list", args=[project.slug]),
        },
    }
    return render(request, "llmops_core/dashboard.html", context)
