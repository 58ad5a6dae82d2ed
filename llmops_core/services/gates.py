"""Release gates: whether a prompt version may become production, and the project's rules.

The rules, their kinds and their one validator live in ``services.gate_rules``. Here they are
read and saved (``gate_rules_for``, ``release_gate_update``) and applied (``gate_evaluate``).
Before the first promotion there is no production to regress from, so the regression rule
compares the candidate with every other version of the prompt rated on the same inputs: a
version significantly worse than another candidate does not become the first production.

``gate_evaluate`` only reads; it returns every check with the evidence it looked at.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils import timezone

from llmops_core.errors import NotAllowed
from llmops_core.hashing import canonical_json
from llmops_core.models import Project, PromptVersion, ReleaseGate, Report, ReportKind, Role
from llmops_core.selectors.gates import gate_peer_versions
from llmops_core.selectors.projects import project_role, role_allows
from llmops_core.selectors.prompts import (
    label_version,
)
from llmops_core.selectors.rubrics import rubric_criteria_scales
from llmops_core.selectors.versions import (
    release_gate_get,
    version_fingerprint,
    version_report_latest,
)
from llmops_core.services.audit import audit_record
from llmops_core.services.gate_checks import GateCheck, GateContext, PeerComparison
from llmops_core.services.gate_estimates import check_for
from llmops_core.services.gate_rules import DEFAULT_RULES, gate_rules_check, gate_rules_clean

__all__ = [
    "DEFAULT_RULES",
    "GateCheck",
    "GateResult",
    "gate_evaluate",
    "gate_rules_check",
    "gate_rules_clean",
    "gate_rules_for",
    "release_gate_update",
]


def gate_rules_for(*, project: Project) -> tuple[list[dict[str, Any]], bool]:
    """Return the project's rules and whether they are the defaults (no gate saved yet)."""
    gate = release_gate_get(project=project)
    if gate is None:
        return [dict(r) for r in DEFAULT_RULES], True
    return list(gate.rules), False


@transaction.atomic
def release_gate_update(
    *, project: Project, rules: Any, actor: User | AnonymousUser
) -> ReleaseGate:
    """Replace the project's gate rules (admins only) and audit the change."""
    if not role_allows(project_role(user=actor, project=project), Role.ADMIN):
        raise NotAllowed(f'changing the release gate of "{project.slug}" needs the admin role')
    cleaned = gate_rules_clean(rules, scales=rubric_criteria_scales(project=project))
    gate = ReleaseGate.objects.select_for_update().filter(project=project).first()
    before = list(gate.rules) if gate else None
    if gate is None:
        gate = ReleaseGate.objects.create(project=project, rules=cleaned)
    else:
        gate.rules = cleaned
        gate.save(update_fields=["rules", "updated_at"])
    audit_record(
        actor=actor,
        action="release_gate.update",
        obj=gate,
        project=project,
        before={"rules": before},
        after={"rules": cleaned},
    )
    return gate


@dataclass
class GateResult:
    passed: bool
    checks: list[GateCheck]
    context: dict[str, Any]

    @property
    def failures(self) -> list[str]:
        return [c.message for c in self.checks if not c.passed]

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form kept on the promotion."""
        return {"passed": self.passed, "checks": [asdict(c) for c in self.checks], **self.context}


def gate_context(*, version: PromptVersion) -> GateContext:
    """Read what the gate looks at for ``version``: production, latest scorecard, comparison."""
    production = label_version(template=version.template)
    comparison = None
    if production is not None and production.pk != version.pk:
        comparison = version_report_latest(
            version=version, kind=ReportKind.VERSION_COMPARISON, baseline=production
        )
    scorecard = version_report_latest(version=version, kind=ReportKind.SCORECARD)
    peers = [] if production is not None else _peer_comparisons(version)
    return GateContext(version, production, scorecard, comparison, peers)


def _peer_comparisons(version: PromptVersion) -> list[PeerComparison]:
    """Return the versions rated alongside ``version``, each with their latest comparison."""
    peers = []
    for peer in gate_peer_versions(version=version):
        kind = ReportKind.VERSION_COMPARISON
        report = version_report_latest(version=version, kind=kind, baseline=peer)
        flipped = report is None
        if flipped:
            report = version_report_latest(version=peer, kind=kind, baseline=version)
        stale = report is not None and _is_stale(
            report, *((peer, version) if flipped else (version, peer))
        )
        peers.append(
            PeerComparison(peer, report, reversed=flipped and report is not None, stale=stale)
        )
    return peers


def _is_stale(report: Report, subject: PromptVersion, baseline: PromptVersion) -> bool:
    """Return whether ratings, scores or outputs of the pair changed since ``report``.

    A first promotion rests on comparisons nobody keeps fresh (the periodic refresh follows
    production only), so one computed before the ratings were in must not be trusted.
    """
    current = json.loads(
        canonical_json(
            {
                "candidate": version_fingerprint(version=subject),
                "baseline": version_fingerprint(version=baseline),
            }
        )
    )
    return bool(report.snapshot_counts.get("fingerprint") != current)


def gate_evaluate(*, version: PromptVersion) -> GateResult:
    """Check ``version`` against its project's release gate; every check carries its evidence."""
    project = version.template.project
    rules, default = gate_rules_for(project=project)
    ctx = gate_context(version=version)
    checks = [check_for(rule)(rule, ctx) for rule in rules]
    context = {
        "candidate": {"id": version.pk, "number": version.number},
        "baseline": (
            {"id": ctx.production.pk, "number": ctx.production.number} if ctx.production else None
        ),
        "comparison_id": ctx.comparison.pk if ctx.comparison else None,
        "peer_comparison_ids": [p.report.pk for p in ctx.peers if p.report is not None],
        "scorecard_id": ctx.scorecard.pk if ctx.scorecard else None,
        "rules": rules,
        "default_rules": default,
        "evaluated_at": timezone.now().isoformat(),
    }
    return GateResult(all(c.passed for c in checks), checks, context)
