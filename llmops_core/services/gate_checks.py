"""The release gate's checks: one function per rule kind, reading a ``GateContext``.

Each check returns a ``GateCheck`` saying whether it passed, whether it applies, why (in words
a lead can act on) and the evidence it looked at. Checks only read what ``gates.gate_context``
gathered: the candidate's scorecard and the finished comparisons the gate rests on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llmops_core.models import PromptVersion, Report
from llmops_core.selectors.versions import judge_calibration
from llmops_core.services.gate_rules import JUDGE_METRICS, rule_words

FLIPPED = {"better": "worse", "worse": "better"}


@dataclass
class GateCheck:
    """One rule's outcome: did it pass, does it apply, why, and what it looked at."""

    rule: dict[str, Any]
    passed: bool
    message: str
    applies: bool = True
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def words(self) -> str:
        """Return the rule in words (what the gate asked for)."""
        return rule_words(self.rule)


@dataclass
class PeerComparison:
    """Another version rated on inputs the candidate answered, and their latest comparison.

    ``reversed`` marks a comparison computed the other way round (the peer as candidate), whose
    verdicts are read from the candidate's side; ``stale`` one whose data changed since.
    """

    version: PromptVersion
    report: Report | None
    reversed: bool = False
    stale: bool = False


@dataclass
class GateContext:
    """What the rules read: the versions, the latest scorecard and the comparisons."""

    candidate: PromptVersion
    production: PromptVersion | None
    scorecard: Report | None
    comparison: Report | None
    peers: list[PeerComparison] = field(default_factory=list)

    @property
    def compared(self) -> bool:
        return self.production is not None and self.production.pk != self.candidate.pk

    def comparisons(self) -> list[tuple[Report, bool]]:
        """Return the finished comparisons the gate rests on, each with its ``reversed`` flag."""
        if self.compared:
            return [(self.comparison, False)] if self.comparison is not None else []
        return [(p.report, p.reversed) for p in self.peers if p.report is not None]


def _flip(c: dict[str, Any]) -> dict[str, Any]:
    """Return a criterion's comparison read from the other side (verdict, difference, CI)."""
    ci = c.get("ci") or {}
    low, high = ci.get("low"), ci.get("high")
    return {
        **c,
        "verdict": FLIPPED.get(c["verdict"], c["verdict"]),
        "mean_difference": None if c["mean_difference"] is None else -c["mean_difference"],
        "ci": {"low": None if high is None else -high, "high": None if low is None else -low},
    }


def _sections(report: Report, rule: dict[str, Any], flip: bool) -> dict[str, dict[str, Any]]:
    results = report.results
    sections = dict(results.get("criteria", {}))
    if rule.get("include_judge"):
        judged = results.get("judge", {}).get("criteria", {})
        sections.update({f"{name} (judge)": c for name, c in judged.items()})
    return {name: _flip(c) if flip else c for name, c in sections.items()}


def _evidence(report: Report, sections: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "comparison_id": report.pk,
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


def _worse(sections: dict[str, dict[str, Any]]) -> list[str]:
    return [name for name, c in sections.items() if c["verdict"] == "worse"]


def check_no_regression(rule: dict[str, Any], ctx: GateContext) -> GateCheck:
    if ctx.production is not None and not ctx.compared:
        return GateCheck(rule, True, "this version is production already", applies=False)
    if ctx.production is None:
        return _check_against_peers(rule, ctx)
    if ctx.comparison is None:
        return GateCheck(
            rule,
            False,
            f"no comparison of v{ctx.candidate.number} with production "
            f"v{ctx.production.number} has been computed yet; compute one first",
        )
    sections = _sections(ctx.comparison, rule, flip=False)
    evidence = _evidence(ctx.comparison, sections)
    if not any(c["n"] for c in sections.values()):
        return GateCheck(
            rule,
            False,
            "no input has ratings of both versions, so a regression cannot be ruled out",
            evidence=evidence,
        )
    worse = _worse(sections)
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


def _check_against_peers(rule: dict[str, Any], ctx: GateContext) -> GateCheck:
    """Check a first promotion: not significantly worse than any version rated alongside it."""
    me = f"v{ctx.candidate.number}"
    missing, stale, failures, compared = [], [], [], []
    evidence: dict[str, Any] = {"peers": {}}
    for peer in ctx.peers:
        name = f"v{peer.version.number}"
        if peer.report is None:
            missing.append(name)
            continue
        if peer.stale:
            stale.append(name)
            continue
        sections = _sections(peer.report, rule, flip=peer.reversed)
        if not any(c["n"] for c in sections.values()):
            continue  # rated, but never on an input the candidate's ratings share
        evidence["peers"][name] = _evidence(peer.report, sections)
        compared.append(name)
        worse = _worse(sections)
        if worse:
            failures.append(f"significantly worse than {name} on {', '.join(worse)}")
    if missing:
        failures.append(
            f"{', '.join(missing)} {'was' if len(missing) == 1 else 'were'} also rated on inputs "
            f"{me} answered, but no comparison of {me} with "
            f"{'it' if len(missing) == 1 else 'them'} has been computed yet; compare them first"
        )
    if stale:
        failures.append(
            f"new ratings or outputs arrived since {me} was compared with {', '.join(stale)}; "
            "compute the comparison again"
        )
    if failures:
        return GateCheck(
            rule,
            False,
            "there is no production version yet, so this first promotion is checked against "
            f"the other candidates: {'; '.join(failures)}",
            evidence=evidence,
        )
    if not compared:
        return GateCheck(
            rule,
            True,
            "no production version yet, and no other version was rated on the same inputs",
            applies=False,
        )
    return GateCheck(
        rule,
        True,
        f"no production version yet; not significantly worse than {', '.join(compared)}, "
        "rated on the same inputs",
        evidence=evidence,
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


def _judge_outcome(
    judge: dict[str, Any], metric: str, value: float, project_id: int
) -> tuple[str | None, dict[str, Any]]:
    """Return why the judge falls short (None if it does not) and the evidence."""
    calibration = judge_calibration(
        project_id=project_id, judge_version_id=judge["judge_version_id"]
    )
    if calibration is None:
        return (
            f"judge {judge['judge']} has no judge-vs-human report yet, "
            "so its agreement with humans is unknown"
        ), {}
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
        return (
            f"judge {judge['judge']} agrees with humans below "
            f"{value:g} ({metric}) on {', '.join(low)}"
        ), evidence
    return None, evidence


def check_judge_agreement(rule: dict[str, Any], ctx: GateContext) -> GateCheck:
    metric, value = rule.get("metric", JUDGE_METRICS[0]), float(rule["value"])
    judges: dict[int, dict[str, Any]] = {}
    for report, _ in ctx.comparisons():
        judge = report.results.get("judge") or {}
        if judge.get("criteria"):
            judges.setdefault(judge["judge_version_id"], judge)
    if not judges:
        return GateCheck(rule, True, "the comparison uses no judge scores", applies=False)
    project_id = ctx.candidate.template.project_id
    outcomes = [_judge_outcome(j, metric, value, project_id) for j in judges.values()]
    problems = [why for why, _ in outcomes if why is not None]
    evidence = outcomes[0][1] if len(outcomes) == 1 else {"judges": [e for _, e in outcomes]}
    if problems:
        return GateCheck(rule, False, "; ".join(problems), evidence=evidence)
    names = ", ".join(j["judge"] for j in judges.values())
    return GateCheck(
        rule,
        True,
        f"judge {names} agrees with humans at least {value:g} ({metric}) on every judged criterion",
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


def check_reference_metric(rule: dict[str, Any], ctx: GateContext) -> GateCheck:
    metric, value = rule["metric"], float(rule["value"])
    if ctx.scorecard is None:
        return GateCheck(
            rule, False, f"{metric} unknown: v{ctx.candidate.number} has no scorecard yet"
        )
    reference = ctx.scorecard.results.get("reference")
    if reference is None:
        return GateCheck(
            rule, False, f"{metric} unknown: the scorecard predates reference metrics; recompute"
        )
    card = next((m for m in reference["metrics"] if m["name"] == metric), None)
    mean = card["mean"] if card else None
    evidence = {"scorecard_id": ctx.scorecard.pk, "mean": mean, "n": card["n"] if card else 0}
    if card is None or mean is None:
        reason = card["reason"] if card else "not computed"
        return GateCheck(rule, False, f"{metric} undefined: {reason}", evidence=evidence)
    words = f"mean {card['label']} {mean:.3g} over {card['n']} outputs"
    if mean < value:
        return GateCheck(rule, False, f"{words} is below {value:g}", evidence=evidence)
    return GateCheck(rule, True, f"{words} is at least {value:g}", evidence=evidence)


CHECKS = {
    "no_significant_regression": check_no_regression,
    "min_mean": check_min_mean,
    "min_judge_agreement": check_judge_agreement,
    "min_rated_items": check_rated_items,
    "min_reference_metric": check_reference_metric,
}
