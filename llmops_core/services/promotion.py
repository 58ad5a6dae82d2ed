"""Promote a prompt version to a label through the release gate, freezing the evidence behind it.

Moving ``production`` runs the project's release gate. A failing gate refuses the move with its
reasons, unless a project admin overrides it with a written reason; the reason is kept on the
promotion, in the audit log and on the template's history. Every promotion freezes what it
rested on: the comparison and scorecard results, exactly which annotations by which reviewers,
the rubric version's criteria and each judge version with its calibration at that moment.

Moves are made by a user (a lead or an admin) or by a project's ingest key through the
Langfuse-compatible API: a key moves labels as a lead does and can never override the gate.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from llmops_core.errors import DomainError, NotAllowed
from llmops_core.metrics.version_report.ratings import ratings_evidence
from llmops_core.models import IngestKey, Promotion, PromptTemplate, PromptVersion, Report, Role
from llmops_core.selectors.projects import project_role, role_allows
from llmops_core.selectors.prompts import (
    PRODUCTION,
    label_version,
)
from llmops_core.selectors.versions import (
    judge_calibration,
    rubric_version_summary,
    version_ratings,
    version_rubric_version_ids,
)
from llmops_core.services.audit import audit_record
from llmops_core.services.gate_rules import HUMAN_ONLY, RULE_FIELDS
from llmops_core.services.gates import GateResult, gate_evaluate
from llmops_core.services.prompts import prompt_label_set, prompt_template_lock


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
        "estimate_bases": [
            {
                "rule": check.rule,
                "basis": check.rule.get("basis", HUMAN_ONLY),
                "passed": check.passed,
                "evidence": check.evidence,
            }
            for check in gate.checks
            if "basis" in RULE_FIELDS[check.rule["rule"]]
        ],
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
            return prompt_label_move(
                version=version, actor=actor, label=label, override_reason=override_reason.strip()
            )
    except PromotionRefused as exc:
        promotion_refused_audit(
            obj=version, version=version, label=label, exc=exc, actor=actor, key=None
        )
        raise


def promotion_refused_audit(
    *,
    obj: Any,
    version: PromptVersion,
    label: str,
    exc: PromotionRefused,
    actor: User | None,
    key: IngestKey | None,
) -> None:
    """Write a refused move to the audit log, after the refused transaction rolled back."""
    audit_record(
        actor=actor,
        action="prompt.promote_refused",
        obj=obj,
        project=version.template.project,
        after={
            "label": label,
            "version": version.number,
            "reasons": exc.extra.get("reasons", []),
            **_via(key),
        },
    )


def _via(key: IngestKey | None) -> dict[str, str]:
    return {"ingest_key": key.public_key} if key is not None else {}


def _mover_role(*, actor: User | None, key: IngestKey | None, template: PromptTemplate) -> str:
    """Return the role a move is made with: the user's in the project, or a key's: lead.

    An ingest key is a machine credential of one project: it moves labels as a lead does
    (``production`` through the gate) and never as an admin, so it cannot override the gate.
    """
    project = template.project
    if key is not None:
        if key.project_id != project.pk:
            raise NotAllowed(f'this ingest key belongs to another project than "{project.slug}"')
        return Role.LEAD
    role = project_role(user=actor, project=project) if actor is not None else None
    if not role_allows(role, Role.LEAD):
        raise NotAllowed(f'promoting a prompt in project "{project.slug}" needs the lead role')
    assert role is not None
    return role


def prompt_label_move(
    *,
    version: PromptVersion,
    label: str,
    actor: User | None = None,
    key: IngestKey | None = None,
    override_reason: str = "",
) -> Promotion:
    """Move ``label`` to ``version`` in the caller's transaction, through the gate for production.

    The mover is a user (a lead; admins may override with ``override_reason``) or an ingest key
    (``key``: a lead that never overrides). Raises ``PromotionRefused`` when the gate refuses;
    the caller writes that to the audit log once its transaction rolled back
    (``promotion_refused_audit``), as ``prompt_promote`` does.
    """
    template = version.template
    project = template.project
    role = _mover_role(actor=actor, key=key, template=template)
    prompt_template_lock(template_id=template.pk)
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
            **_via(key),
        },
    )
    return promotion
