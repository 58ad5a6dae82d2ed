"""Release gate rules: their kinds, their fields, and the one check every writer uses.

Rules are a JSON list stored on ``ReleaseGate.rules``; each is an object with a ``rule`` kind:

- ``no_significant_regression`` (``include_judge``: also judge scores): no criterion is
  significantly worse than production in the latest comparison (bootstrap CI and Wilcoxon
  agree); before the first promotion, than any other version rated on the same inputs;
- ``min_mean`` (``criterion``, ``value``): the candidate's human mean on a criterion is at least
  ``value`` (from its latest scorecard), a value on that criterion's scale;

both take ``basis``: ``human_only`` (the default: human ratings alone, as above) or
``judge_assisted`` (the PPI++ estimate and difference stored with the scorecard and the
comparison, ``services.gate_estimates``);
- ``min_judge_agreement`` (``value``, ``metric``: ``quadratic_kappa`` or ``within_1``): applies
  only when a comparison the gate reads used judge scores; every judged criterion's agreement
  with the humans, from the judge's latest judge-vs-humans report, is at least ``value``;
- ``min_rated_items`` (``items``, ``reviewers``): at least ``items`` outputs of the candidate
  were rated by at least ``reviewers`` different reviewers;
- ``min_reference_metric`` (``metric``: ``bleu``, ``chrf``, ``rouge1``, ``rouge2`` or ``rougeL``,
  ``value``): the candidate's mean over outputs of that metric against reference answers (from
  its latest scorecard) is at least ``value``, on the metric's scale (0-100 or 0-1).

``gate_rules_check`` is the single validator: the gate form, the API serializer and the service
all call it, so a rule refused in one place is refused in every place, in the same words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from llmops_core.errors import DomainError
from llmops_core.metrics.reference import LABELS as REFERENCE_LABELS
from llmops_core.metrics.reference import SCALES as REFERENCE_SCALES

DEFAULT_RULES: list[dict[str, Any]] = [
    {"rule": "no_significant_regression"},
    {"rule": "min_rated_items", "items": 20, "reviewers": 2},
]
JUDGE_METRICS = ("quadratic_kappa", "within_1")
HUMAN_ONLY, JUDGE_ASSISTED = "human_only", "judge_assisted"
BASES: Final = (HUMAN_ONLY, JUDGE_ASSISTED)
BASIS_LABELS: Final = {HUMAN_ONLY: "human ratings only", JUDGE_ASSISTED: "judge-assisted (PPI++)"}
# The range each agreement metric can take: kappa from -1 to 1, a share from 0 to 1.
METRIC_RANGES: Final = {"quadratic_kappa": (-1.0, 1.0), "within_1": (0.0, 1.0)}
# rule kind -> {field: (type, required)}
RULE_FIELDS: dict[str, dict[str, tuple[type, bool]]] = {
    "no_significant_regression": {"include_judge": (bool, False), "basis": (str, False)},
    "min_mean": {"criterion": (str, True), "value": (float, True), "basis": (str, False)},
    "min_judge_agreement": {"value": (float, True), "metric": (str, False)},
    "min_rated_items": {"items": (int, True), "reviewers": (int, True)},
    "min_reference_metric": {"metric": (str, True), "value": (float, True)},
}
RULE_LABELS: Final = {
    "no_significant_regression": "No significant regression",
    "min_mean": "Minimum mean of a criterion",
    "min_judge_agreement": "Minimum judge agreement with humans",
    "min_rated_items": "Minimum rated outputs",
    "min_reference_metric": "Minimum mean against reference answers",
}
# criterion name -> (scale min, scale max), from the project's rubrics.
Scales = Mapping[str, tuple[int, int]]


@dataclass(frozen=True)
class RuleProblem:
    """What is wrong with one rule: its 1-based position, the field (if one) and why."""

    index: int
    field: str | None
    problem: str

    def __str__(self) -> str:
        if self.field is None:
            return f"rule {self.index}: {self.problem}"
        return f'rule {self.index}, field "{self.field}": {self.problem}'


def rule_words(rule: Mapping[str, Any]) -> str:
    """Return the rule in words, as the gate page and a refusal name it."""
    kind = rule.get("rule")
    assisted = rule.get("basis") == JUDGE_ASSISTED
    if kind == "no_significant_regression":
        judge = " (judge scores too)" if rule.get("include_judge") else ""
        judge = " (judge-assisted PPI++ differences)" if assisted else judge
        return (
            "no criterion significantly worse than production, or before the first "
            f"promotion than another version rated on the same inputs{judge}"
        )
    if kind == "min_mean":
        which = "judge-assisted (PPI++) mean" if assisted else "human mean"
        return f"{which} of {rule.get('criterion')} at least {rule.get('value'):g}"
    if kind == "min_judge_agreement":
        metric = rule.get("metric", JUDGE_METRICS[0])
        return f"judge agreement with humans ({metric}) at least {rule.get('value'):g}"
    if kind == "min_rated_items":
        return (
            f"at least {rule.get('items')} outputs rated by at least "
            f"{rule.get('reviewers')} reviewers"
        )
    if kind == "min_reference_metric":
        label = REFERENCE_LABELS.get(str(rule.get("metric")), rule.get("metric"))
        return f"mean {label} against reference answers at least {rule.get('value'):g}"
    return str(kind)


def _reference_problems(index: int, rule: dict[str, Any]) -> list[RuleProblem]:
    """Return what is wrong with a reference-metric rule's metric and value."""
    metric = rule.get("metric")
    if metric not in REFERENCE_SCALES:
        return [
            RuleProblem(index, "metric", f"{metric!r} is not one of {', '.join(REFERENCE_SCALES)}")
        ]
    high = REFERENCE_SCALES[metric]
    if "value" in rule and not 0 <= rule["value"] <= high:
        return [RuleProblem(index, "value", f"{rule['value']:g} is outside {metric}'s 0-{high}")]
    return []


def _basis_problems(index: int, rule: dict[str, Any]) -> list[RuleProblem]:
    """Return what is wrong with the rule's basis (which estimate it reads)."""
    basis = rule.get("basis", HUMAN_ONLY)
    if basis not in BASES:
        return [RuleProblem(index, "basis", f"{basis!r} is not one of {', '.join(BASES)}")]
    if basis == JUDGE_ASSISTED and rule.get("include_judge"):
        return [
            RuleProblem(
                index,
                "include_judge",
                "judge-only verdicts do not mix with the judge-assisted basis, which already "
                "uses the judge's scores; choose one",
            )
        ]
    return []


def _typed(value: Any, kind_of: type) -> tuple[Any, str | None]:
    """Return ``value`` as ``kind_of``, or None and why it is not one."""
    if kind_of is bool:
        ok = isinstance(value, bool)
        return (value, None) if ok else (None, f"{value!r} is not true or false")
    if kind_of is str:
        if not isinstance(value, str) or not value.strip():
            return None, "needs a non-empty text"
        if "\x00" in value:
            return None, "contains a NUL character"
        return value.strip(), None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return None, f"{value!r} is not a number"
    if kind_of is int:
        if value != int(value) or value < 1:
            return None, f"{value!r} must be a whole number of at least 1"
        return int(value), None
    return float(value), None


def _against_scales(index: int, rule: dict[str, Any], scales: Scales) -> list[RuleProblem]:
    """Return what is wrong with the rule's criterion and value given the rubric's scales."""
    kind = rule["rule"]
    if kind == "min_mean" and "criterion" in rule and "value" in rule:
        name = rule["criterion"]
        if name not in scales:
            known = ", ".join(sorted(scales)) or "none yet"
            return [
                RuleProblem(
                    index,
                    "criterion",
                    f'"{name}" is not a criterion of the project\'s rubric ({known})',
                )
            ]
        low, high = scales[name]
        if not low <= rule["value"] <= high:
            return [
                RuleProblem(
                    index, "value", f"{rule['value']:g} is outside {name}'s scale {low}-{high}"
                )
            ]
    if kind == "min_judge_agreement" and "value" in rule:
        metric = rule.get("metric", JUDGE_METRICS[0])
        low_f, high_f = METRIC_RANGES.get(metric, (-1.0, 1.0))
        if not low_f <= rule["value"] <= high_f:
            return [
                RuleProblem(
                    index,
                    "value",
                    f"{rule['value']:g} is outside {metric}'s range {low_f:g} to {high_f:g}",
                )
            ]
    return []


def _one_rule(
    index: int, rule: Any, scales: Scales | None
) -> tuple[dict[str, Any] | None, list[RuleProblem]]:
    if not isinstance(rule, dict):
        return None, [RuleProblem(index, None, "is not an object")]
    kind = rule.get("rule")
    if kind not in RULE_FIELDS:
        return None, [
            RuleProblem(index, "rule", f"{kind!r} is not one of {', '.join(RULE_FIELDS)}")
        ]
    unknown = sorted(set(rule) - set(RULE_FIELDS[kind]) - {"rule"})
    if unknown:
        return None, [RuleProblem(index, None, f"unknown field(s) {', '.join(unknown)} for {kind}")]
    out: dict[str, Any] = {"rule": kind}
    problems = []
    for name, (kind_of, required) in RULE_FIELDS[kind].items():
        if name in rule:
            value, why = _typed(rule[name], kind_of)
            if why is None:
                out[name] = value
            else:
                problems.append(RuleProblem(index, name, why))
        elif required:
            problems.append(RuleProblem(index, name, f"{kind} needs it"))
    if kind == "min_judge_agreement" and out.get("metric", JUDGE_METRICS[0]) not in JUDGE_METRICS:
        problems.append(
            RuleProblem(
                index, "metric", f"{out['metric']!r} is not one of {', '.join(JUDGE_METRICS)}"
            )
        )
    if kind == "min_reference_metric" and "metric" in out:
        problems += _reference_problems(index, out)
    problems += _basis_problems(index, out)
    if not problems and scales is not None:
        problems = _against_scales(index, out, scales)
    return (None if problems else out), problems


def gate_rules_check(
    rules: Any, *, scales: Scales | None
) -> tuple[list[dict[str, Any]], list[RuleProblem]]:
    """Return the rules normalised and every problem found, each naming its rule and field.

    With ``scales`` (the project's criteria and their scales), a ``min_mean`` rule must name
    one of those criteria with a value on its scale. Without, only the shape is checked (how
    rules saved before a rubric changed are still read).
    """
    if not isinstance(rules, list):
        return [], [RuleProblem(0, None, "the gate's rules must be a list of objects")]
    cleaned: list[dict[str, Any]] = []
    problems: list[RuleProblem] = []
    for index, rule in enumerate(rules, start=1):
        out, found = _one_rule(index, rule, scales)
        problems += found
        if out is not None:
            cleaned.append(out)
    return cleaned, problems


def gate_rules_clean(rules: Any, *, scales: Scales | None = None) -> list[dict[str, Any]]:
    """Return the rules checked and normalised, or raise naming every bad rule and field."""
    cleaned, problems = gate_rules_check(rules, scales=scales)
    if problems:
        messages = [p.problem if p.index == 0 else str(p) for p in problems]
        raise DomainError("; ".join(messages), errors=messages)
    return cleaned
