"""The plain-words summary of a judge comparison report, from its JSON sections."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LENGTH_GAP = 0.15  # difference in rho worth a sentence


def _num(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _ci(section: Mapping[str, Any], name: str) -> str:
    interval = (section.get("ci") or {}).get(name) or {}
    if interval.get("low") is None:
        return ""
    return f" [{interval['low']:.2f}, {interval['high']:.2f}]"


def _criterion_line(name: str, section: Mapping[str, Any]) -> str:
    """Return one criterion's headline: kappa, bias, and the alternative-annotator verdict."""
    agreement = section["agreement"]
    if agreement["n_items"] == 0:
        return f"{name.capitalize()}: the judge scored none of the items the humans rated."
    bias = agreement.get("bias")
    leaning = ""
    if bias is not None and abs(bias) >= 0.25:
        word = "higher" if bias > 0 else "lower"
        leaning = f" It scores {abs(bias):.2f} points {word} than the humans on average."
    return (
        f"{name.capitalize()}: quadratic kappa {_num(agreement['quadratic_kappa'])}"
        f"{_ci(agreement, 'quadratic_kappa')}, Spearman {_num(agreement['spearman'])}, "
        f"exact agreement {_num(agreement['exact'])} over {agreement['n_items']} items."
        f"{leaning} {section['alternative_annotator']['sentence']}"
    )


def _verdict_line(criteria: Mapping[str, Any]) -> str | None:
    """Return which criteria the judge can be trusted on, in one sentence."""
    verdicts = {name: c["alternative_annotator"]["verdict"] for name, c in criteria.items()}
    good = [n for n, v in verdicts.items() if v == "as_good"]
    bad = [n for n, v in verdicts.items() if v == "worse"]
    unknown = [n for n, v in verdicts.items() if v == "unknown"]
    parts = []
    if good:
        parts.append(f"trustworthy for {', '.join(good)}")
    if bad:
        parts.append(f"not yet for {', '.join(bad)}")
    if unknown:
        parts.append(f"too little overlap to tell for {', '.join(unknown)}")
    return f"In short: the judge is {'; '.join(parts)}." if parts else None


def _length_line(criteria: Mapping[str, Any]) -> str | None:
    """Return a sentence when the judge rewards (or punishes) length unlike the humans."""
    found: dict[str, list[str]] = {"more": [], "less": []}
    for name, section in criteria.items():
        bias = section["length_bias"]
        judge, humans = bias["judge"]["value"], bias["humans"]["value"]
        if judge is None or humans is None or abs(judge - humans) < LENGTH_GAP:
            continue
        found["more" if judge > humans else "less"].append(
            f"{name} (rho {judge:.2f} vs {humans:.2f})"
        )
    parts = [
        f"{word} than the humans' do on {', '.join(names)}"
        for word, names in found.items()
        if names
    ]
    if not parts:
        return None
    return "Length: the judge's scores follow answer length " + "; and ".join(parts) + "."


def _alpha_line(criteria: Mapping[str, Any]) -> str | None:
    parts = []
    for name, section in criteria.items():
        alpha = section["alpha"]
        before, after = alpha["humans"]["value"], alpha["with_judge"]["value"]
        if before is not None and after is not None:
            parts.append(f"{name} {before:.2f} → {after:.2f}")
    if not parts:
        return None
    return "Krippendorff's alpha with the judge as one more reviewer: " + ", ".join(parts) + "."


def _pairwise_lines(pairwise: Mapping[str, Any]) -> list[str]:
    lines = []
    rate = pairwise.get("position_bias_rate")
    if rate is not None:
        first = sum(c["prefers_first_shown"] for c in pairwise["criteria"].values())
        second = sum(c["prefers_second_shown"] for c in pairwise["criteria"].values())
        lean = ""
        if first > 2 * max(second, 1):
            lean = " It tends to prefer the response shown first."
        elif second > 2 * max(first, 1):
            lean = " It tends to prefer the response shown second."
        lines.append(
            f"Position bias: the verdict changes in {rate:.0%} of comparisons when "
            f"the two responses swap places.{lean} Such verdicts count as ties."
        )
    agreement = pairwise.get("human_agreement")
    if agreement is not None:
        lines.append(
            f"The judge's final verdicts match the human preference in "
            f"{agreement:.0%} of pairs. {pairwise['human_source']}"
        )
    return lines


def _trend_line(trend: list[Mapping[str, Any]]) -> str | None:
    """Return how agreement moved from the previous judge prompt version to this one."""
    if len(trend) < 2:
        return None
    last, before = trend[-1], trend[-2]
    first: Mapping[str, Any] = next(iter(last["criteria"].values()), {})
    metric = str(first.get("metric", "agreement"))
    changes = [c.get("change") for c in last["criteria"].values()]
    if changes and all(c is not None and abs(c) < 0.005 for c in changes):
        return (
            f"{last['label']} agrees with the humans exactly as {before['label']} did "
            f"({metric.replace('_', ' ')} unchanged on every criterion)."
        )
    parts = []
    for name, cell in last["criteria"].items():
        if cell.get("change") is None:
            continue
        ci = cell.get("change_ci") or {}
        interval = f" [{ci['low']:+.2f}, {ci['high']:+.2f}]" if ci.get("low") is not None else ""
        verdict = (
            ""
            if cell.get("significant") is None
            else (", a real change" if cell["significant"] else ", within noise")
        )
        parts.append(f"{name} {cell['change']:+.2f}{interval}{verdict}")
    if not parts:
        return None
    return (
        f"From {before['label']} to {last['label']}, the judge's agreement "
        f"({metric.replace('_', ' ')}) changed: {'; '.join(parts)}."
    )


def _cost_line(versions: list[Mapping[str, Any]]) -> str | None:
    """Return what the subject costs per 1,000 items next to the cheapest other version."""
    subject = next((v for v in versions if v["is_subject"]), None)
    if subject is None or subject["cost_per_1000_items"] is None:
        return None
    line = (
        f"{subject['label']} costs ${subject['cost_per_1000_items']:.4f} per 1,000 items "
        f"({subject['trust_metric']}: {_num(subject['trust'])})."
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
        other = min(others, key=lambda v: v["cost_per_1000_items"])
        ratio = subject["cost_per_1000_items"] / other["cost_per_1000_items"]
        gain = subject["trust"] - other["trust"]
        line += (
            f" Against {other['label']} that is {ratio:.1f}x the cost for {gain:+.2f} agreement."
        )
    return line


def summary_lines(results: Mapping[str, Any]) -> list[str]:
    """Return the report's summary as short sentences a product lead can read."""
    judge = results["judge"]
    lines = [
        f"{judge['label']} ({judge['model']}, {judge['mode']}) compared with human "
        f"ratings on {results['n_items']} items ({results['n_ratings']} ratings)."
    ]
    criteria = results.get("criteria") or {}
    lines += [_criterion_line(name, section) for name, section in criteria.items()]
    if results.get("pairwise"):
        lines += _pairwise_lines(results["pairwise"])
    for line in (
        _verdict_line(criteria) if criteria else None,
        _length_line(criteria),
        _alpha_line(criteria),
        _trend_line(results.get("trend") or []),
        _cost_line(results.get("versions") or []),
    ):
        if line:
            lines.append(line)
    return lines
