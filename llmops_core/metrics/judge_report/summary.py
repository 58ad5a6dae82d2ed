"""The plain-words summary of a judge comparison report, from its JSON sections.

Every sentence states its numbers and says which way they point; an undefined number is said
to be undefined, with its reason. ``tests/metrics/test_judge_summary.py`` checks each sentence
against the numbers it states.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llmops_core.metrics.judge_report.length import length_line
from llmops_core.metrics.words import capital, count, join, label, number, share, signed

BIAS_WORTH_SAYING = 0.25  # scale points of mean judge-minus-humans difference
SAME_CHANGE = 0.005  # a change smaller than this prints as 0.00: say "unchanged"
SAME_COST = 0.05  # cost ratios within 5% of 1 are "about the same cost"


def _ci(section: Mapping[str, Any], name: str) -> str:
    interval = (section.get("ci") or {}).get(name) or {}
    if interval.get("low") is None:
        return ""
    return f" [{interval['low']:.2f}, {interval['high']:.2f}]"


def _metric(agreement: Mapping[str, Any], name: str) -> str:
    reason = (agreement.get("reasons") or {}).get(name)
    return number(agreement.get(name), reason=reason or "no reason recorded") + _ci(agreement, name)


def criterion_line(name: str, section: Mapping[str, Any]) -> str:
    """Return one criterion's headline: kappa, Spearman, exact agreement, bias and the verdict."""
    agreement = section["agreement"]
    title = capital(label(name))
    if agreement["n_items"] == 0:
        return f"{title}: the judge scored none of the items the humans rated."
    bias = agreement.get("bias")
    leaning = ""
    if bias is not None and abs(bias) >= BIAS_WORTH_SAYING:
        word = "higher" if bias > 0 else "lower"
        leaning = f" It scores {abs(bias):.2f} points {word} than the humans on average."
    return (
        f"{title}: quadratic kappa {_metric(agreement, 'quadratic_kappa')}, "
        f"Spearman {_metric(agreement, 'spearman')}, exact agreement "
        f"{_metric(agreement, 'exact')} over {count(agreement['n_items'], 'item')}."
        f"{leaning} {section['alternative_annotator']['sentence']}"
    )


def verdict_line(criteria: Mapping[str, Any]) -> str | None:
    """Return on which criteria the judge can stand in for a reviewer, in one sentence."""
    verdicts = {label(n): c["alternative_annotator"]["verdict"] for n, c in criteria.items()}
    good = [n for n, v in verdicts.items() if v == "as_good"]
    bad = [n for n, v in verdicts.items() if v == "worse"]
    unknown = [n for n, v in verdicts.items() if v == "unknown"]
    parts = []
    if good:
        parts.append(f"the judge can be trusted on {join(good)}")
    if bad:
        subject = "it" if good else "the judge"
        parts.append(f"{subject} cannot be trusted yet on {join(bad)}")
    if unknown:
        parts.append(f"there is too little overlap to tell on {join(unknown)}")
    return f"In short: {'; '.join(parts)}." if parts else None


def alpha_line(criteria: Mapping[str, Any]) -> str | None:
    """Return how Krippendorff's alpha moves when the judge joins as one more reviewer."""
    parts = []
    for name, section in criteria.items():
        alpha = section["alpha"]
        before, after = alpha["humans"], alpha["with_judge"]
        if before["value"] is None or after["value"] is None:
            reason = before["reason"] if before["value"] is None else after["reason"]
            parts.append(f"on {label(name)} it is undefined ({reason})")
            continue
        change = after["value"] - before["value"]
        if abs(change) < SAME_CHANGE:
            parts.append(f"on {label(name)} it stays at {before['value']:.2f}")
        else:
            way = "rises" if change > 0 else "falls"
            parts.append(
                f"on {label(name)} it {way} from {before['value']:.2f} to {after['value']:.2f}"
            )
    if not parts:
        return None
    return "With the judge as one more reviewer, Krippendorff's alpha: " + "; ".join(parts) + "."


def pairwise_lines(pairwise: Mapping[str, Any]) -> list[str]:
    """Return the position-bias and human-agreement sentences of a pairwise judge."""
    rate = pairwise.get("position_bias_rate")
    if rate is None:
        lines = ["Position bias is undefined: no pair was judged in both orders."]
    else:
        first = sum(c["prefers_first_shown"] for c in pairwise["criteria"].values())
        second = sum(c["prefers_second_shown"] for c in pairwise["criteria"].values())
        lean = ""
        if first > 2 * max(second, 1):
            lean = f" It tends to prefer the response shown first ({first} flips to {second})."
        elif second > 2 * max(first, 1):
            lean = f" It tends to prefer the response shown second ({second} flips to {first})."
        lines = [
            f"Position bias: the verdict changes in {share(rate)} of comparisons when "
            f"the two responses swap places.{lean} Such verdicts count as ties."
        ]
    agreement = pairwise.get("human_agreement")
    if agreement is None:
        lines.append(
            "Agreement with the human preference is undefined: no judged pair has human "
            f"ratings of both outputs. {pairwise['human_source']}"
        )
    else:
        lines.append(
            f"The judge's final verdicts match the human preference in "
            f"{share(agreement)} of pairs. {pairwise['human_source']}"
        )
    return lines


def _change_part(name: str, cell: Mapping[str, Any]) -> str:
    if cell.get("change") is None:
        return f"{label(name)} undefined (one of the two versions has no figure on it)"
    ci = cell.get("change_ci") or {}
    interval = f" [{ci['low']:+.2f}, {ci['high']:+.2f}]" if ci.get("low") is not None else ""
    verdict = ""
    if cell.get("significant") is not None:
        verdict = ", a real change" if cell["significant"] else ", within noise"
    return f"{label(name)} {signed(cell['change'])}{interval}{verdict}"


def trend_line(trend: list[Mapping[str, Any]]) -> str | None:
    """Return how agreement moved from the previous judge prompt version to this one."""
    if len(trend) < 2:
        return None
    last, before = trend[-1], trend[-2]
    first: Mapping[str, Any] = next(iter(last["criteria"].values()), {})
    metric = str(first.get("metric", "agreement")).replace("_", " ")
    changes = [c.get("change") for c in last["criteria"].values()]
    if not changes:
        return None
    if all(c is not None and abs(c) < SAME_CHANGE for c in changes):
        return (
            f"{last['label']} agrees with the humans exactly as {before['label']} did "
            f"({metric} unchanged on every criterion)."
        )
    parts = [_change_part(name, cell) for name, cell in last["criteria"].items()]
    return (
        f"From {before['label']} to {last['label']}, the judge's agreement "
        f"({metric}) changed: {'; '.join(parts)}."
    )


def _against(subject: Mapping[str, Any], other: Mapping[str, Any]) -> str:
    ratio = subject["cost_per_1000_items"] / other["cost_per_1000_items"]
    if abs(ratio - 1) < SAME_COST:
        cost = "about the same cost"
    else:
        cost = f"{ratio:.1f}x the cost" if ratio > 1 else f"{1 / ratio:.1f}x cheaper"
    gain = subject["trust"] - other["trust"]
    if abs(gain) < SAME_CHANGE:
        trust = "the same agreement"
    else:
        trust = f"{'higher' if gain > 0 else 'lower'} agreement ({signed(gain)})"
    return f" Against {other['label']} that is {cost} for {trust}."


def cost_line(versions: list[Mapping[str, Any]]) -> str | None:
    """Return what the subject costs per 1,000 items next to the cheapest other version."""
    subject = next((v for v in versions if v["is_subject"]), None)
    if subject is None:
        return None
    if subject["cost_per_1000_items"] is None:
        return (
            f"{subject['label']}'s cost per 1,000 items is undefined: none of its calls "
            "had a known price."
        )
    reason = "no item was compared with the humans"
    line = (
        f"{subject['label']} costs ${subject['cost_per_1000_items']:.4f} per 1,000 items "
        f"({subject['trust_metric']}: {number(subject['trust'], reason=reason)})."
    )
    others = [
        v
        for v in versions
        if not v["is_subject"]
        and v["cost_per_1000_items"]
        and v["trust"] is not None
        and subject["trust"] is not None
    ]
    if others:
        line += _against(subject, min(others, key=lambda v: v["cost_per_1000_items"]))
    return line


def summary_lines(results: Mapping[str, Any]) -> list[str]:
    """Return the report's summary as short sentences a product lead can read."""
    judge = results["judge"]
    lines = [
        f"{judge['label']} ({judge['model']}, {judge['mode']}) compared with human "
        f"ratings on {count(results['n_items'], 'item')} "
        f"({count(results['n_ratings'], 'rating')})."
    ]
    criteria = results.get("criteria") or {}
    lines += [criterion_line(name, section) for name, section in criteria.items()]
    if results.get("pairwise"):
        lines += pairwise_lines(results["pairwise"])
    for line in (
        verdict_line(criteria) if criteria else None,
        length_line(criteria),
        alpha_line(criteria),
        trend_line(results.get("trend") or []),
        cost_line(results.get("versions") or []),
    ):
        if line:
            lines.append(line)
    return lines
