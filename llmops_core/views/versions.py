"""HTML pages of the release loop: compare versions, gate and promote, scorecards, history, lineage.

Leads and admins only (reviewers get 403, non-members 404); only admins override a failing gate
or edit its rules. Reports are computed by Celery; their pages poll the API until they finish.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from annotate.selectors import (
    queue_output_counts,
)
from llmops_core.charts import FORMATS
from llmops_core.charts import render as render_chart
from llmops_core.charts.versions import CHARTS
from llmops_core.errors import DomainError
from llmops_core.forms.versions import CompareForm, GateRulesForm, NewVersionForm, PromoteForm
from llmops_core.models import JobStatus, Project, PromptTemplate, PromptVersion, Report, Role
from llmops_core.models import ReportKind as Kind
from llmops_core.permissions import project_for_request, signed_in
from llmops_core.selectors.projects import role_allows
from llmops_core.selectors.prompts import (
    label_version,
    promotion_get,
    template_get,
    template_history,
    template_version_get,
    template_versions_with_labels,
)
from llmops_core.selectors.versions import (
    version_fingerprint,
    version_report_get,
    version_report_latest,
)
from llmops_core.services.comparisons import comparison_request
from llmops_core.services.gates import gate_evaluate, gate_rules_for, release_gate_update
from llmops_core.services.promotion import PromotionRefused, prompt_promote
from llmops_core.services.prompts import prompt_version_create
from llmops_core.services.scorecards import scorecard_request

VERDICT_LABELS = {
    "better": "better",
    "worse": "worse",
    "not_distinguishable": "not distinguishable",
}


def _template(request: HttpRequest, slug: str, name: str) -> tuple[Project, str, PromptTemplate]:
    project, role = project_for_request(request.user, slug, Role.LEAD)
    template = template_get(project=project, name=name)
    if template is None:
        raise Http404("No such prompt.")
    return project, role, template


def _version(template: PromptTemplate, number: int | None) -> PromptVersion:
    version = template_version_get(template=template, number=number) if number else None
    if version is None:
        raise Http404("No such prompt version.")
    return version


def _poll_url(project: Project, report: Report | None) -> str:
    if report is None or report.is_finished:
        return ""
    return reverse("api-version-report", kwargs={"project_slug": project.slug, "pk": report.pk})


def _charts(project: Project, report: Report | None, kind: str) -> list[dict[str, Any]]:
    if report is None:
        return []
    return [
        {
            "name": name,
            "title": spec.title,
            "alt": spec.alt,
            "svg": reverse("version-report-chart", args=[project.slug, report.pk, name, "svg"]),
            "png": reverse("version-report-chart", args=[project.slug, report.pk, name, "png"]),
        }
        for name, spec in CHARTS.items()
        if spec.kind == kind
    ]


def _is_stale(report: Report | None, current: Any) -> bool:
    return report is not None and report.snapshot_counts.get("fingerprint") != current


def _default_pair(
    versions: list[PromptVersion], production: PromptVersion | None
) -> tuple[int | None, int | None]:
    """Return (candidate, baseline): the newest non-production version against production."""
    candidate = next((v for v in versions if production is None or v.pk != production.pk), None)
    if candidate is None:
        return None, None
    baseline = production or next((v for v in versions if v.pk == candidate.parent_id), None)
    return candidate.number, baseline.number if baseline else None


def _compare_context(
    request: HttpRequest, project: Project, role: str, template: PromptTemplate, query: Any
) -> dict[str, Any]:
    """Return the compare page's context for the versions named in ``query`` (or the defaults)."""
    versions = list(template_versions_with_labels(template=template))
    production = label_version(template=template)
    candidate_n, baseline_n = _default_pair(versions, production)
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
    context = _compare_context(request, project, role, template, {"candidate": number})
    context["promote_error"] = error or {"message": "Check the form.", "reasons": []}
    return render(request, "llmops_core/versions/compare.html", context, status=400)


@login_required
@require_safe
def version_scorecard(
    request: HttpRequest, project_slug: str, name: str, number: int
) -> HttpResponse:
    """Show a version: its prompt, its latest scorecard (or progress), and where its outputs are."""
    project, _, template = _template(request, project_slug, name)
    version = _version(template, number)
    latest = version_report_latest(version=version, kind=Kind.SCORECARD, finished=False)
    done = version_report_latest(version=version, kind=Kind.SCORECARD)
    current = json.loads(
        json.dumps(version_fingerprint(version=version), sort_keys=True, default=str)
    )
    context = {
        "project": project,
        "template": template,
        "version": version,
        "latest": latest,
        "report": done,
        "results": done.results if done else {},
        "stale": _is_stale(done, current),
        "poll_url": _poll_url(project, latest),
        "charts": _charts(project, done, Kind.SCORECARD),
        "queues": queue_output_counts(prompt_version_id=version.pk),
        "outputs_url": reverse("api-outputs", args=[project.slug])
        + f"?prompt_version_id={version.pk}",
        "production": label_version(template=template),
        "parameters_json": json.dumps(version.parameters, indent=2, sort_keys=True),
    }
    return render(request, "llmops_core/versions/scorecard.html", context)


@login_required
@require_POST
def version_scorecard_request(
    request: HttpRequest, project_slug: str, name: str, number: int
) -> HttpResponse:
    """Ask a worker to recompute the version's scorecard now."""
    _, _, template = _template(request, project_slug, name)
    scorecard_request(version=_version(template, number), requested_by=request.user)
    return redirect("version-scorecard", project_slug=project_slug, name=name, number=number)


def _new_version_form(template: PromptTemplate, data: Any = None) -> NewVersionForm:
    """Return the new-version form, filled from the production (or newest) version."""
    base = label_version(template=template) or template.versions.order_by("-number").first()
    initial = (
        {}
        if base is None
        else {
            "system_message": base.system_message,
            "template_text": base.template_text,
            "model_name": base.model_name,
            "parameters": json.dumps(base.parameters),
        }
    )
    return NewVersionForm(data, initial=initial)


@login_required
@require_POST
def prompt_version_new(request: HttpRequest, project_slug: str, name: str) -> HttpResponse:
    """Create a version of the prompt (its parent is the current production version)."""
    project, _, template = _template(request, project_slug, name)
    form = _new_version_form(template, request.POST)
    if form.is_valid():
        try:
            version, created = prompt_version_create(
                template=template,
                created_by=signed_in(request.user),
                parent=label_version(template=template),
                **form.cleaned_data,
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                f"v{version.number} {'created' if created else 'exists'}"
                ": run it over a dataset, then compare it with production.",
            )
            return redirect(
                "version-scorecard", project_slug=project.slug, name=name, number=version.number
            )
    return _history_page(request, project, template, form)


@login_required
@require_safe
def prompt_history(request: HttpRequest, project_slug: str, name: str) -> HttpResponse:
    """Show every version of a prompt (scorecard, diff to parent) and every label move."""
    project, _, template = _template(request, project_slug, name)
    return _history_page(request, project, template, _new_version_form(template))


def _history_page(
    request: HttpRequest, project: Project, template: PromptTemplate, form: NewVersionForm
) -> HttpResponse:
    """Render the history page with ``form`` (400 when it carries a refused new version)."""
    history = template_history(template=template)
    criteria: list[str] = []
    for row in history["versions"]:
        criteria += [c for c in row["means"] if c not in criteria]
    for row in history["versions"]:
        row["cells"] = [row["means"].get(c) for c in criteria]
    return render(
        request,
        "llmops_core/versions/history.html",
        {"project": project, **history, "criteria": criteria, "new_form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_safe
def promotion_detail(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Show a promotion's lineage: the gate's checks and the evidence frozen at the time."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    promotion = promotion_get(project=project, pk=pk)
    if promotion is None:
        raise Http404("No such promotion.")
    evidence = promotion.evidence or {}
    comparison = evidence.get("comparison") or {}
    context = {
        "project": project,
        "promotion": promotion,
        "evidence": evidence,
        "gate": promotion.gate_result or {},
        "comparison": comparison,
        "criteria": (comparison.get("results") or {}).get("criteria", {}),
        "scorecard": evidence.get("scorecard") or {},
        "ratings": evidence.get("ratings") or {},
        "rubric": evidence.get("rubric_version") or {},
        "judges": evidence.get("judges") or [],
        "evidence_json": json.dumps(evidence, indent=2, sort_keys=True, ensure_ascii=False),
    }
    return render(request, "llmops_core/versions/promotion.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def release_gate(request: HttpRequest, project_slug: str) -> HttpResponse:
    """Show the project's release gate rules; admins edit them."""
    project, role = project_for_request(request.user, project_slug, Role.LEAD)
    rules, default = gate_rules_for(project=project)
    is_admin = role_allows(role, Role.ADMIN)
    form = GateRulesForm(request.POST or None, initial={"rules": json.dumps(rules, indent=2)})
    if request.method == "POST":
        if not is_admin:
            raise PermissionDenied(
                f"changing the release gate needs the admin role in project {project.slug}"
            )
        if form.is_valid():
            try:
                release_gate_update(
                    project=project, rules=form.cleaned_data["rules"], actor=request.user
                )
            except DomainError as exc:
                form.add_error("rules", str(exc))
            else:
                messages.success(request, "The release gate was saved.")
                return redirect("release-gate", project_slug=project.slug)
    context = {
        "project": project,
        "rules": rules,
        "default": default,
        "form": form,
        "is_admin": is_admin,
    }
    return render(
        request, "llmops_core/versions/gate.html", context, status=400 if form.errors else 200
    )


def _finished_report(request: HttpRequest, slug: str, pk: int) -> Report:
    project, _ = project_for_request(request.user, slug, Role.LEAD)
    report = version_report_get(project=project, pk=pk)
    if report is None or report.status != JobStatus.SUCCEEDED:
        raise Http404("No such finished report.")
    return report


@login_required
@require_safe
def version_report_chart(
    request: HttpRequest, project_slug: str, pk: int, name: str, fmt: str
) -> HttpResponse:
    """Return a chart of a scorecard or comparison as SVG or PNG (``?download=1`` to save)."""
    report = _finished_report(request, project_slug, pk)
    spec = CHARTS.get(name)
    if spec is None or spec.kind != report.kind or fmt not in FORMATS:
        raise Http404("No such chart.")
    key = f"version-chart:{report.pk}:{report.snapshot_hash}:{name}:{fmt}"
    body = cache.get(key)
    if body is None:
        body = render_chart(spec.build(report.results), fmt)
        cache.set(key, body, 3600)
    response = HttpResponse(body, content_type=FORMATS[fmt])
    response["Cache-Control"] = "private, max-age=3600"
    # matplotlib's SVG styles its shapes with style attributes: allow those, and nothing else.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="report-{pk}-{name}.{fmt}"'
    return response


@login_required
@require_safe
def version_report_json(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Download a scorecard or comparison with every number and the data it rests on."""
    report = _finished_report(request, project_slug, pk)
    body = json.dumps(
        {
            "id": report.pk,
            "kind": report.kind,
            "title": report.title,
            "snapshot_hash": report.snapshot_hash,
            "snapshot_counts": report.snapshot_counts,
            "results": report.results,
        },
        indent=2,
        default=str,
    )
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{report.kind}-{report.pk}.json"'
    return response
