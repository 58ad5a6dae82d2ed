"""Release gates: a project's rules a prompt version must pass before it becomes production.

Rules are a JSON list stored on ``ReleaseGate.rules``; each is an object with a ``rule`` kind:

- ``no_significant_regression`` (``include_judge``: also judge scores): no criterion is
  significantly worse than production in the latest comparison (bootstrap CI and Wilcoxon agree);
- ``min_mean`` (``criterion``, ``value``): the candidate's human mean on a criterion is at least
  ``value`` (from its latest scorecard);
- ``min_judge_agreement`` (``value``, ``metric``: ``quadratic_kappa`` or ``within_1``): applies
  only when the comparison used judge scores; every judged criterion's agreement with the humans,
  from the judge's latest judge-vs-humans report, is at least ``value``;
- ``min_rated_items`` (``items``, ``reviewers``): at least ``items`` outputs of the candidate
  were rated by at least ``reviewers`` different reviewers.

``gate_evaluate`` only reads; it returns every check with the evidence it looked at.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils import timezone

from llmops_core.errors import DomainError, NotAllowed
from llmops_core.models import Project, PromptVersion, ReleaseGate, Report, ReportKind, Role
from llmops_core.selectors.projects import project_role, role_allows
from llmops_core.selectors.prompts import (
    label_version,
)
from llmops_core.selectors.versions import (
    judge_calibration,
    release_gate_get,
    version_report_latest,
)
from llmops_core.services.audit import audit_record

DEFAULT_RULES: list[dict[str, Any]] = [
    {"rule": "no_significant_regression"},
    {"rule": "min_rated_items", "items": 20, "reviewers": 2},
]
JUDGE_METRICS = ("quadratic_kappa", "within_1")
# rule kind -> {field: (type, required)}
RULE_FIELDS: dict[str, dict[str, tuple[type, bool]]] = {
    "no_significant_regression": {"include_judge": (bool, False)},
    "min_mean": {"criterion": (str, True), "value": (float, True)},
    "min_judge_agreement": {"value": (float, True), "metric": (str, False)},
    "min_rated_items": {"items": (int, True), "reviewers": (int, True)},
}


def _field(index: int, kind: str, rule: dict[str, Any], name: str, kind_of: type) -> Any:
    """Return the rule's field ``name`` as ``kind_of``, or raise naming rule and field."""
    value = rule[name]
    where = f'rule {index}, field "{name}"'
    if kind_of is bool:
        if not isinstance(value, bool):
            raise DomainError(f"{where}: {value!r} is not true or false")
        return value
    if kind_of is str:
        if not isinstance(value, str) or not value.strip():
            raise DomainError(f"{where}: needs a non-empty text")
        return value.strip()
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DomainError(f"{where}: {value!r} is not a number")
    if kind_of is int:
        if value != int(value) or value < 1:
            raise DomainError(f"{where}: {value!r} must be a whole number of at least 1")
        return int(value)
    return float(value)


def gate_rules_clean(rules: Any) -> list[dict[str, Any]]:
    """Return the rules checked and normalised, or raise naming the first bad rule (1-based)."""
    if not isinstance(rules, list):
        raise DomainError("the gate's rules must be a list of objects")
    cleaned = []
    for index, rule in enumerate(rules, start=1):
        if not isinstance(rule, dict):
            raise DomainError(f"rule {index}: is not an object")
        kind = rule.get("rule")
        if kind not in RULE_FIELDS:
            raise DomainError(
                f'rule {index}, field "rule": {kind!r} is not one of {", ".join(RULE_FIELDS)}'
            )
        unknown = sorted(set(rule) - set(RULE_FIELDS[kind]) - {"rule"})
        if unknown:
            raise DomainError(f"rule {index}: unknown field(s) {', '.join(unknown)} for {kind}")
        out: dict[str, Any] = {"rule": kind}
        for name, (kind_of, required) in RULE_FIELDS[kind].items():
            if name in rule:
                out[name] = _field(index, kind, rule, name, kind_of)
            elif required:
                raise DomainError(f'rule {index}, field "{name}": {kind} needs it')
        metric = out.get("metric", JUDGE_METRICS[0])
        if kind == "min_judge_agreement" and metric not in JUDGE_METRICS:
            raise DomainError(
                f'rule {index}, field "metric": {out["metric"]!r} is not one of '
                f"{', '.join(JUDGE_METRICS)}"
            )
        cleaned.append(out)
    return cleaned


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
    cleaned = gate_rules_clean(rules)
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
class GateCheck:
    """One rule's outcome: did it pass, does it apply, why, and what it looked at."""

    rule: dict[str, Any]
    passed: bool
    message: str
    applies: bool = True
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass
class GateContext:
    """What the rules read: the versions and their latest scorecard and comparison."""

    candidate: PromptVersion
    production: PromptVersion | None
    scorecard: Report | None
    comparison: Report | None

    @property
    def compared(self) -> bool:
        return self.production is not None and self.production.pk != self.candidate.pk


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


def _no_comparison(ctx: GateContext) -> str:
    assert ctx.production is not None
    return (
        f"no comparison of v{ctx.candidate.number} with production "
        f"v{ctx.production.number} has been computed yet; compute one first"
    )


def check_no_regression(rule: dict[str, Any], ctx: GateContext) -> GateCheck:
    if not ctx.compared:
        return GateCheck(rule, True, "no other production version to regress from", applies=False)
    if ctx.comparison is None:
        return GateCheck(rule, False, _no_comparison(ctx))
    results = ctx.comparison.results
    sections = {name: c for name, c in results.get("criteria", {}).items()}
    if rule.get("include_judge"):
        sections.update(
            {
                f"{name} (judge)": c
                for name, c in results.get("judge", {}).get("criteria", {}).items()
            }
        )
    evidence = {
        "comparison_id": ctx.comparison.pk,
        "criteria": {
            name: {
                "verdict": c["verdict"],
                "mean_difference": c["mean_difference"],
                "ci_low": c["ci"]["low"],
                "ci_high": c["ci"]["high"],
                "p_value": c["wilcoxon"]["p_value"],
                "n": c["n"],
            }
            for name, c in sections.items()
        },
    }
    if not any(c["n"] for c in sections.values()):
        return GateCheck(
            rule,
            False,
            "no input has ratings of both versions, so a regression cannot be ruled out",
            evidence=evidence,
        )
    worse = [name for name, c in sections.items() if c["verdict"] == "worse"]
    if worse:
        return GateCheck(
            rule,
            False,
            f"significantly worse than production on {', '.join(worse)}",
            evidence=evidence,
        )
    return GateCheck(
        rule, True, "no criterion is significantly worse than production", evidence=evidence
    )


def check_min_mean(rule: dict[str, Any], ctx: GateContext) -> GateCheck:
    name, value = rule["criterion"], float(rule["value"])
    if ctx.scorecard is None:
        return GateCheck(
            rule, False, f"{name} mean unknown: v{ctx.candidate.number} has no scorecard yet"
        )
    card = next((c for c in ctx.scorecard.results.get("criteria", []) if c["name"] == name), None)
    mean = card["human"]["mean"] if card else None
    evidence = {
        "scorecard_id": ctx.scorecard.pk,
        "mean": mean,
        "n_items": card["human"]["n_items"] if card else 0,
    }
    if mean is None:
        return GateCheck(rule, False, f"no human ratings on {name}", evidence=evidence)
    if mean < value:
        return GateCheck(
            rule, False, f"{name} mean {mean:.2f} is below {value:g}", evidence=evidence
        )
    return GateCheck(rule, True, f"{name} mean {mean:.2f} is at least {value:g}", evidence=evidence)


def check_judge_agreement(rule: dict[str, Any], ctx: GateContext) -> GateCheck:
    metric, value = rule.get("metric", JUDGE_METRICS[0]), float(rule["value"])
    judge = (ctx.comparison.results.get("judge") or {}) if ctx.comparison else {}
    if not judge.get("criteria"):
        return GateCheck(rule, True, "the comparison uses no judge scores", applies=False)
    calibration = judge_calibration(
        project_id=ctx.candidate.template.project_id, judge_version_id=judge["judge_version_id"]
    )
    if calibration is None:
        return GateCheck(
            rule,
            False,
            f"judge {judge['judge']} has no judge-vs-human report yet, "
            "so its agreement with humans is unknown",
        )
    evidence = {
        "judge_version_id": judge["judge_version_id"],
        "metric": metric,
        "report_id": calibration["report_id"],
        "criteria": {n: calibration["criteria"].get(n, {}).get(metric) for n in judge["criteria"]},
    }
    low = [
        f"{n} ({'unknown' if v is None else f'{v:.2f}'})"
        for n, v in evidence["criteria"].items()
        if v is None or v < value
    ]
    if low:
        return GateCheck(
            rule,
            False,
            f"judge {judge['judge']} agrees with humans below "
            f"{value:g} ({metric}) on {', '.join(low)}",
            evidence=evidence,
        )
    return GateCheck(
        rule,
        True,
        f"judge {judge['judge']} agrees with humans at least "
        f"{value:g} ({metric}) on every judged criterion",
        evidence=evidence,
    )


def check_rated_items(rule: dict[str, Any], ctx: GateContext) -> GateCheck:
    items, reviewers = int(rule["items"]), int(rule["reviewers"])
    if ctx.scorecard is None:
        return GateCheck(
            rule, False, f"rated outputs unknown: v{ctx.candidate.number} has no scorecard yet"
        )
    have = int(ctx.scorecard.results.get("items_by_reviewers", {}).get(str(reviewers), 0))
    evidence = {"scorecard_id": ctx.scorecard.pk, "items": have}
    words = f"{have} outputs rated by at least {reviewers} reviewers"
    if have < items:
        return GateCheck(rule, False, f"only {words}; the gate needs {items}", evidence=evidence)
    return GateCheck(rule, True, f"{words} (needs {items})", evidence=evidence)


CHECKS = {
    "no_significant_regression": check_no_regression,
    "min_mean": check_min_mean,
    "min_judge_agreement": check_judge_agreement,
    "min_rated_items": check_rated_items,
}


def gate_context(*, version: PromptVersion) -> GateContext:
    """Read what the gate looks at for ``version``: production, latest scorecard, comparison."""
    production = label_version(template=version.template)
    comparison = None
    if production is not None and production.pk != version.pk:
        comparison = version_report_latest(
            version=version, kind=ReportKind.VERSION_COMPARISON, baseline=production
        )
    scorecard = version_report_latest(version=version, kind=ReportKind.SCORECARD)
    return GateContext(version, production, scorecard, comparison)


def gate_evaluate(*, version: PromptVersion) -> GateResult:
    """Check ``version`` against its project's release gate; every check carries its evidence."""
    project = version.template.project
    rules, default = gate_rules_for(project=project)
    ctx = gate_context(version=version)
    checks = [CHECKS[rule["rule"]](rule, ctx) for rule in rules]
    context = {
        "candidate": {"id": version.pk, "number": version.number},
        "baseline": (
            {"id": ctx.production.pk, "number": ctx.production.number} if ctx.production else None
        ),
        "comparison_id": ctx.comparison.pk if ctx.comparison else None,
        "scorecard_id": ctx.scorecard.pk if ctx.scorecard else None,
        "rules": rules,
        "default_rules": default,
        "evaluated_at": timezone.now().isoformat(),
    }
    return GateResult(all(c.passed for c in checks), checks, context)
