"""The release gate's judge-assisted checks: min_mean and no_significant_regression on PPI++.

A rule with ``basis: judge_assisted`` reads the estimates stored with the candidate's scorecard
(``results["estimates"]``) and its comparisons, instead of the human-only numbers. Without a
usable estimate (no judge scores, a sample that is not random, an undefined value, a report
computed before estimates existed) the check fails and says why. Every check's evidence names
its basis and the numbers it read, and is frozen with the promotion.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llmops_core.models import Report
from llmops_core.services.gate_checks import CHECKS, FLIPPED, GateCheck, GateContext
from llmops_core.services.gate_rules import JUDGE_ASSISTED

Check = Callable[[dict[str, Any], GateContext], GateCheck]
NUMBERS = ("mean", "low", "high", "n_human", "n_judge", "lambda", "effective_n")


def check_for(rule: dict[str, Any]) -> Check:
    """Return the check of a rule: judge-assisted when its basis says so."""
    if rule.get("basis") == JUDGE_ASSISTED and rule["rule"] in ESTIMATE_CHECKS:
        return ESTIMATE_CHECKS[rule["rule"]]
    return CHECKS[rule["rule"]]


def check_min_mean_estimate(rule: dict[str, Any], ctx: GateContext) -> GateCheck:
    name, value = rule["criterion"], float(rule["value"])
    me = f"v{ctx.candidate.number}"
    if ctx.scorecard is None:
        return GateCheck(rule, False, f"{name} estimate unknown: {me} has no scorecard yet")
    estimates = ctx.scorecard.results.get("estimates")
    if estimates is None:
        return GateCheck(
            rule,
            False,
            f"{me}'s scorecard predates judge-assisted estimates; recompute it",
            evidence={"basis": JUDGE_ASSISTED, "scorecard_id": ctx.scorecard.pk},
        )
    block = next((e for e in estimates["criteria"] if e["name"] == name), None)
    evidence: dict[str, Any] = {"basis": JUDGE_ASSISTED, "scorecard_id": ctx.scorecard.pk}
    if block is not None:
        evidence.update(_numbers(block["ppi"]))
        evidence.update(
            judge=block["judge"], valid=block["valid"], design=estimates["design"]["kind"]
        )
    why = _unusable(block, name, me)
    if why is not None or block is None:
        return GateCheck(rule, False, why or "", evidence=evidence)
    ppi = block["ppi"]
    words = (
        f"judge-assisted {name} mean {ppi['mean']:.2f} ({ppi['n_human']} human-rated + "
        f"{ppi['n_judge']} judge-only outputs)"
    )
    if ppi["mean"] < value:
        return GateCheck(rule, False, f"{words} is below {value:g}", evidence=evidence)
    return GateCheck(rule, True, f"{words} is at least {value:g}", evidence=evidence)


def _numbers(ppi: dict[str, Any]) -> dict[str, Any]:
    return {key: ppi.get(key) for key in NUMBERS}


def _unusable(block: dict[str, Any] | None, name: str, me: str) -> str | None:
    """Return why a criterion's judge-assisted estimate cannot be used, or None."""
    if block is None:
        return f"no judge-assisted estimate of {name} for {me}"
    if block["judge"] is None:
        return f"no judge scored {me} on {name}, so there is no judge-assisted estimate"
    if not block["valid"]:
        return f"the judge-assisted estimate of {name} is not valid: {block['invalid_reason']}"
    if block["ppi"]["mean"] is None or block["ppi"]["low"] is None:
        return f"the judge-assisted estimate of {name} is undefined: {block['ppi']['reason']}"
    return None


def _flip(block: dict[str, Any]) -> dict[str, Any]:
    """Return a criterion's difference read from the other side (verdict, mean, interval)."""
    ppi = dict(block["ppi"])
    low, high = ppi["low"], ppi["high"]
    ppi.update(
        verdict=FLIPPED.get(ppi["verdict"], ppi["verdict"]),
        mean=None if ppi["mean"] is None else -ppi["mean"],
        low=None if high is None else -high,
        high=None if low is None else -low,
    )
    return {**block, "ppi": ppi}


def _comparison_outcome(
    report: Report, *, flip: bool, me: str, other: str
) -> tuple[list[str], dict[str, Any]]:
    """Return why the candidate fails against one comparison (empty if it passes), evidence."""
    estimates = report.results.get("estimates")
    evidence: dict[str, Any] = {"comparison_id": report.pk, "criteria": {}}
    if estimates is None:
        return [f"the comparison with {other} predates judge-assisted estimates; recompute it"], (
            evidence
        )
    if estimates["judge"] is None:
        return [f"no judge scored both {me} and {other}, so there is no judge-assisted "
                "difference"], evidence  # fmt: skip
    evidence["judge"] = estimates["judge"]
    problems, worse = [], []
    for block in estimates["criteria"]:
        block = _flip(block) if flip else block
        name = block["name"]
        evidence["criteria"][name] = {
            **_numbers(block["ppi"]),
            "verdict": block["ppi"]["verdict"],
            "design": block["design"],
            "valid": block["valid"],
        }
        if not block["valid"]:
            problems.append(f"against {other}, {name}: not valid: {block['invalid_reason']}")
        elif block["ppi"]["low"] is None:
            problems.append(f"against {other}, {name}: undefined: {block['ppi']['reason']}")
        elif block["ppi"]["verdict"] == "worse":
            worse.append(name)
    if worse:
        problems.insert(0, f"significantly worse than {other} on {', '.join(worse)} (PPI++)")
    return problems, evidence


def check_no_regression_estimate(rule: dict[str, Any], ctx: GateContext) -> GateCheck:
    me = f"v{ctx.candidate.number}"
    against: list[tuple[str, Report | None, bool, bool]]
    if ctx.production is not None and not ctx.compared:
        return GateCheck(rule, True, "this version is production already", applies=False)
    if ctx.production is not None:
        if ctx.comparison is None:
            return GateCheck(
                rule,
                False,
                f"no comparison of {me} with production v{ctx.production.number} has been "
                "computed yet; compute one first",
            )
        against = [(f"production v{ctx.production.number}", ctx.comparison, False, False)]
    else:
        against = [(f"v{p.version.number}", p.report, p.reversed, p.stale) for p in ctx.peers]
        if not against:
            return GateCheck(
                rule,
                True,
                "no production version yet, and no other version was rated on the same inputs",
                applies=False,
            )
    failures: list[str] = []
    evidence: dict[str, Any] = {"basis": JUDGE_ASSISTED, "comparisons": {}}
    for other, report, flip, stale in against:
        if report is None or stale:
            failures.append(
                f"the comparison of {me} with {other} is "
                f"{'out of date' if stale else 'not computed yet'}; compute it"
            )
            continue
        problems, found = _comparison_outcome(report, flip=flip, me=me, other=other)
        evidence["comparisons"][other] = found
        failures += problems
    if failures:
        return GateCheck(rule, False, "; ".join(failures), evidence=evidence)
    names = ", ".join(other for other, *_ in against)
    return GateCheck(
        rule,
        True,
        f"no criterion is significantly worse than {names} on the judge-assisted (PPI++) "
        "difference",
        evidence=evidence,
    )


ESTIMATE_CHECKS: dict[str, Check] = {
    "min_mean": check_min_mean_estimate,
    "no_significant_regression": check_no_regression_estimate,
}
