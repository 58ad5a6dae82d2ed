"""Promote a prompt version to a label through the release gate, freezing the evidence behind it.

Moving ``production`` runs the project's release gate. A failing gate refuses the move with its
reasons, unless a project admin overrides it with a written reason; the reason is kept on the
promotion, in the audit log and on the template's history. Every promotion freezes what it
rested on: the comparison and scorecard results, exactly which annotations by which reviewers,
the rubric version's criteria and each judge version with its calibration at that moment.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from llmops_core.errors import DomainError, NotAllowed
from llmops_core.models import Promotion, PromptTemplate, PromptVersion, Report, Role
from llmops_core.selectors.projects import project_role, role_allows
from llmops_core.selectors.versions import (
    PRODUCTION,
    judge_calibration,
    label_version,
    rubric_version_summary,
    version_ratings,
    version_rubric_version_ids,
)
from llmops_core.services.audit import audit_record
from llmops_core.services.comparisons import ratings_evidence
from llmops_core.services.gates import GateResult, gate_evaluate
from llmops_core.services.prompts import prompt_label_set
from llmops_core.services.serving import serving_invalidate


class PromotionRefused(DomainError):
    """The release gate failed and nobody overrode it; ``extra["reasons"]`` says why."""


def _version_facts(version: PromptVersion | None) -> dict[str, Any] | None:
    if version is None:
        return None
    return {
        "id": version.pk,
        "number": version.number,
        "content_hash": version.content_hash,
        "model": version.model_name,
        "parameters": version.parameters,
    }


def _report_facts(report: Report | None, drop: tuple[str, ...] = ()) -> dict[str, Any] | None:
    if report is None:
        return None
    return {
        "report_id": report.pk,
        "title": report.title,
        "kind": report.kind,
        "finished_at": report.finished_at.isoformat() if report.finished_at else None,
        "snapshot_hash": report.snapshot_hash,
        "snapshot_counts": report.snapshot_counts,
        "results": {k: v for k, v in report.results.items() if k not in drop},
    }


def promotion_evidence(*, version: PromptVersion, gate: GateResult) -> dict[str, Any]:
    """Return the evidence behind promoting ``version``, as it stands now (to be frozen)."""
    project_id = version.template.project_id
    comparison = scorecard = None
    if gate.context["comparison_id"]:
        comparison = Report.objects.get(pk=gate.context["comparison_id"])
    if gate.context["scorecard_id"]:
        scorecard = Report.objects.get(pk=gate.context["scorecard_id"])
    if comparison is not None:
        ratings = comparison.results["evidence"]
    else:
        rubric_ids = version_rubric_version_ids(project_id=project_id, version_ids=[version.pk])
        ratings = ratings_evidence(
            version_ratings(
                project_id=project_id,
                version_ids=[version.pk],
                rubric_version_id=rubric_ids[-1] if rubric_ids else None,
            )
        )
    judge_ids: dict[int, str] = {}
    if comparison is not None and comparison.results.get("judge", {}).get("judge_version_id"):
        judge = comparison.results["judge"]
        judge_ids[judge["judge_version_id"]] = judge["judge"]
    for judge in scorecard.results.get("judges", []) if scorecard else []:
        judge_ids.setdefault(judge["judge_version_id"], judge["judge"])
    production = label_version(template=version.template)
    return {
        "frozen_at": timezone.now().isoformat(),
        "candidate": _version_facts(version),
        "baseline": _version_facts(production if production != version else None),
        "comparison": _report_facts(comparison, drop=("evidence",)),
        "scorecard": _report_facts(scorecard, drop=("fingerprint",)),
        "ratings": ratings,
        "rubric_version": rubric_version_summary(rubric_version_id=ratings["rubric_version_id"]),
        "judges": [
            {
                "judge_version_id": pk,
                "judge": name,
                "calibration": judge_calibration(project_id=project_id, judge_version_id=pk),
            }
            for pk, name in sorted(judge_ids.items())
        ],
    }


def prompt_promote(
    *,
    version: PromptVersion,
    actor: User,
    label: str = PRODUCTION,
    override_reason: str = "",
) -> Promotion:
    """Point ``label`` at ``version`` if the gate passes (or an admin overrides it with a reason).

    Leads and admins may promote; only admins may override a failing gate. A refusal raises
    ``PromotionRefused`` (its message lists the failed checks) and is written to the audit log.
    Labels are case-insensitive, so "Production" is gated as "production" is.
    """
    label = label.lower()
    try:
        with transaction.atomic():
            return _promote(
                version=version, actor=actor, label=label, override_reason=override_reason.strip()
            )
    except PromotionRefused as exc:
        audit_record(
            actor=actor,
            action="prompt.promote_refused",
            obj=version,
            project=version.template.project,
            after={
                "label": label,
                "version": version.number,
                "reasons": exc.extra.get("reasons", []),
            },
        )
        raise


def _promote(*, version: PromptVersion, actor: User, label: str, override_reason: str) -> Promotion:
    template = version.template
    project = template.project
    role = project_role(user=actor, project=project)
    if not role_allows(role, Role.LEAD):
        raise NotAllowed(f'promoting a prompt in project "{project.slug}" needs the lead role')
    PromptTemplate.objects.select_for_update().filter(pk=template.pk).first()
    current = label_version(template=template, label=label)
    if current is not None and current.pk == version.pk:
        raise DomainError(
            f'v{version.number} is already the "{label}" version of "{template.name}"'
        )
    gate = gate_evaluate(version=version)
    overriding = label == PRODUCTION and not gate.passed
    if overriding and not override_reason:
        raise PromotionRefused(
            f'the release gate refuses v{version.number} of "{template.name}": '
            + "; ".join(gate.failures),
            reasons=gate.failures,
        )
    if overriding and not role_allows(role, Role.ADMIN):
        raise NotAllowed("only a project admin can override the release gate")
    promotion = prompt_label_set(
        version=version,
        label=label,
        actor=actor,
        gate_result=gate.as_dict(),
        gate_passed=gate.passed,
        evidence=promotion_evidence(version=version, gate=gate),
        override_reason=override_reason if overriding else "",
    )
    audit_record(
        actor=actor,
        action="prompt.promote",
        obj=promotion,
        project=project,
        before={"label": label, "version": current.number if current else None},
        after={
            "label": label,
            "version": version.number,
            "gate_passed": gate.passed,
            "overridden": overriding,
            "override_reason": override_reason if overriding else "",
        },
    )
    transaction.on_commit(lambda: serving_invalidate(template_id=template.pk))
    return promotion
