"""Compare two versions of a prompt, ask for a comparison, and promote through the gate."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from annotate.selectors import (
    queue_output_counts,
)
from llmops_core.errors import DomainError
from llmops_core.forms.versions import CompareForm, PromoteForm
from llmops_core.models import Project, PromptTemplate, PromptVersion, Role
from llmops_core.models import ReportKind as Kind
from llmops_core.permissions import signed_in
from llmops_core.selectors.operations import operations_sentence
from llmops_core.selectors.prompts import (
    label_version,
    template_versions_with_labels,
)
from llmops_core.selectors.versions import (
    version_fingerprint,
    version_report_latest,
)
from llmops_core.services.comparisons import comparison_request
from llmops_core.services.gates import gate_evaluate
from llmops_core.services.promotion import PromotionRefused, prompt_promote
from llmops_core.views.versions._common import (
    VERDICT_LABELS,
    _charts,
    _is_stale,
    _poll_url,
    _template,
    _version,
)


def _default_pair(
    versions: list[PromptVersion], production: PromptVersion | None, candidate_n: Any = None
) -> tuple[int | None, int | None]:
    """Return (candidate, baseline): by default the newest non-production version.

    The baseline is production; before the first promotion, the candidate's parent or else
    the newest other version (the one a first promotion is checked against).
    """
    chosen = next((v for v in versions if str(v.number) == str(candidate_n)), None)
    candidate = chosen or next(
        (v for v in versions if production is None or v.pk != production.pk), None
    )
    if candidate is None:
        return None, None
    others = [v for v in versions if v.pk != candidate.pk]
    baseline = (
        (production if production is not None and production.pk != candidate.pk else None)
        or next((v for v in others if v.pk == candidate.parent_id), None)
        or next(iter(others), None)
    )
    return candidate.number, baseline.number if baseline else None


def _compare_context(
    request: HttpRequest, project: Project, role: str, template: PromptTemplate, query: Any
) -> dict[str, Any]:
    """Return the compare page's context for the versions named in ``query`` (or the defaults)."""
    versions = list(template_versions_with_labels(template=template))
    production = label_version(template=template)
    candidate_n, baseline_n = _default_pair(versions, production, query.get("candidate"))
    form = CompareForm(
        {
            "candidate": query.get("candidate", candidate_n),
            "baseline": query.get("baseline", baseline_n),
        },
        versions=versions,
    )
    context: dict[str, Any] = {
        "project": project,
        "template": template,
        "form": form,
        "production": production,
        "is_admin": role == Role.ADMIN,
        "versions": versions,
    }
    if not form.is_valid():
        return context
    candidate = _version(template, form.cleaned_data["candidate"])
    baseline = _version(template, form.cleaned_data["baseline"])
    latest = version_report_latest(
        version=candidate, kind=Kind.VERSION_COMPARISON, baseline=baseline, finished=False
    )
    done = version_report_latest(version=candidate, kind=Kind.VERSION_COMPARISON, baseline=baseline)
    current = json.loads(
        json.dumps(
            {
                "candidate": version_fingerprint(version=candidate),
                "baseline": version_fingerprint(version=baseline),
            },
            sort_keys=True,
            default=str,
        )
    )
    gated = production is not None and baseline.pk == production.pk
    context.update(
        {
            "candidate": candidate,
            "baseline": baseline,
            "latest": latest,
            "report": done,
            "results": done.results if done else {},
            "stale": _is_stale(done, current),
            "rows": [
                {"name": name, "c": c, "verdict": VERDICT_LABELS.get(c["verdict"], "")}
                for name, c in (done.results.get("criteria", {}) if done else {}).items()
            ],
            "poll_url": _poll_url(project, latest),
            "charts": _charts(project, done, Kind.VERSION_COMPARISON)
            if done and done.results.get("n_pairs")
            else [],
            "gate": gate_evaluate(version=candidate) if gated or production is None else None,
            "operations_sentence": operations_sentence(candidate=candidate, baseline=baseline),
            "promote_form": PromoteForm(request.POST or None),
            "can_promote": production is None or candidate.pk != production.pk,
            "pair_queues": queue_output_counts(
                prompt_version_id=candidate.pk, reviewer=signed_in(request.user)
            ),
        }
    )
    return context


@login_required
@require_safe
def version_compare(request: HttpRequest, project_slug: str, name: str) -> HttpResponse:
    """Compare two versions of a prompt: verdicts, charts, the gate and the Promote button."""
    project, role, template = _template(request, project_slug, name)
    context = _compare_context(request, project, role, template, request.GET)
    return render(request, "llmops_core/versions/compare.html", context)


@login_required
@require_POST
def version_compare_request(request: HttpRequest, project_slug: str, name: str) -> HttpResponse:
    """Ask a worker for a fresh comparison of the two versions in the form."""
    _, _, template = _template(request, project_slug, name)
    versions = list(template_versions_with_labels(template=template))
    form = CompareForm(request.POST, versions=versions)
    if not form.is_valid():
        messages.error(request, "; ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect("version-compare", project_slug=project_slug, name=name)
    candidate = _version(template, form.cleaned_data["candidate"])
    baseline = _version(template, form.cleaned_data["baseline"])
    try:
        comparison_request(candidate=candidate, baseline=baseline, requested_by=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    url = reverse("version-compare", args=[project_slug, name])
    return redirect(f"{url}?candidate={candidate.number}&baseline={baseline.number}")


@login_required
@require_POST
def version_promote(
    request: HttpRequest, project_slug: str, name: str, number: int
) -> HttpResponse:
    """Promote a version through the gate; a refusal re-renders the page with the reasons."""
    project, role, template = _template(request, project_slug, name)
    version = _version(template, number)
    form = PromoteForm(request.POST)
    error = None
    if form.is_valid():
        try:
            promotion = prompt_promote(
                version=version,
                actor=signed_in(request.user),
                label=form.cleaned_data["label"],
                override_reason=form.cleaned_data["override_reason"],
            )
        except PromotionRefused as exc:
            error = {
                "message": f"Promotion refused: v{number} does not pass the release gate.",
                "reasons": exc.extra.get("reasons", []),
            }
        except DomainError as exc:
            error = {"message": str(exc), "reasons": []}
        else:
            messages.success(request, f"v{number} is now {promotion.label}.")
            return redirect("promotion-detail", project_slug=project.slug, pk=promotion.pk)
    shown: dict[str, Any] = {"candidate": number}
    if request.GET.get("baseline"):
        shown["baseline"] = request.GET["baseline"]  # the pair the page showed; checked by the form
    context = _compare_context(request, project, role, template, shown)
    context["promote_error"] = error or {"message": "Check the form.", "reasons": []}
    return render(request, "llmops_core/versions/compare.html", context, status=400)
