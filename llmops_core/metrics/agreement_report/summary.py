"""The plain-words summary of an agreement report, for leads who do not read kappa tables.

Verdicts follow Krippendorff's guidance for alpha (Content Analysis, 2004, p. 241): rely on
data with alpha >= 0.800, draw only tentative conclusions from 0.667 to 0.800, and discard
data below 0.667.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llmops_core.metrics.agreement_report.standouts import reviewer_summary
from llmops_core.metrics.words import count, join, label

GOOD = 0.8
TENTATIVE = 0.667
FEW_ITEMS = 10  # fewer items rated by two or more reviewers than this: say the estimate is rough
PHRASES = {"good": "well", "tentative": "only tentatively", "poor": "poorly"}
ADVICE = {
    "good": "",
    "tentative": "Good enough for tentative conclusions only.",
    "poor": "Too low to rely on these labels: go through the guidelines with the reviewers "
    "and look at the most contested items.",
}


def agreement_level(alpha: float | None) -> str:
    """Return "good", "tentative", "poor" or "undefined" for an alpha value."""
    if alpha is None:
        return "undefined"
    if alpha >= GOOD:
        return "good"
    if alpha >= TENTATIVE:
        return "tentative"
    return "poor"


def _interval(low: float | None, high: float | None) -> str:
    """Return ", 95% CI 0.77-0.85" (or "... -0.10 to 0.30"), or "" without an interval."""
    if low is None or high is None:
        return ""
    joiner = "-" if low >= 0 else " to "
    return f", 95% CI {low:.2f}{joiner}{high:.2f}"


def criterion_verdict(name: str, section: dict[str, Any], level_name: str) -> dict[str, Any]:
    """Return the verdict on one criterion: level, alpha, interval and a sentence."""
    alpha = section["krippendorff_alpha"][level_name]
    ci = section["krippendorff_alpha_ci"][level_name]
    level = agreement_level(alpha)
    verdict: dict[str, Any] = {
        "criterion": name,
        "level": level,
        "alpha": alpha,
        "ci_low": ci.get("low"),
        "ci_high": ci.get("high"),
        "n_items": section["n_items_rated_by_two_or_more"],
    }
    if alpha is None:
        reason = section["reasons"].get("krippendorff_alpha", {}).get(level_name, "undefined")
        verdict["fragment"] = f"cannot be measured on {label(name)}"
        verdict["text"] = f"Agreement on {label(name)} cannot be measured: {reason}."
        return verdict
    verdict["fragment"] = (
        f"{PHRASES[level]} on {label(name)} "
        f"(alpha {alpha:.2f}{_interval(ci.get('low'), ci.get('high'))})"
    )
    parts = [f"Reviewers agree {verdict['fragment']}.", ADVICE[level], *_caveats(verdict)]
    verdict["text"] = " ".join(p for p in parts if p)
    return verdict


def _caveats(verdict: dict[str, Any]) -> list[str]:
    """Return warnings: an interval crossing a threshold, too few overlapping items."""
    out = []
    low, level = verdict["ci_low"], verdict["level"]
    threshold = {"good": GOOD, "tentative": TENTATIVE}.get(level)
    if low is not None and threshold is not None and low < threshold:
        out.append(f"The interval reaches below {threshold:g}, so this verdict is uncertain.")
    n = verdict["n_items"]
    if n < FEW_ITEMS:
        out.append(
            f"Only {count(n, 'item')} {'was' if n == 1 else 'were'} rated by two or more "
            "reviewers: "
            "too few overlapping items for a firm estimate."
        )
    return out


def headline(verdicts: Sequence[dict[str, Any]]) -> str:
    """Return one sentence over every criterion, e.g. "Reviewers agree well on fluency (...)"."""
    measured = [v["fragment"] for v in verdicts if v["alpha"] is not None]
    unmeasured = [label(v["criterion"]) for v in verdicts if v["alpha"] is None]
    sentences = []
    if measured:
        sentences.append(f"Reviewers agree {join(measured)}.")
    if unmeasured:
        sentences.append(f"Agreement cannot be measured on {join(unmeasured)} (see below why).")
    return " ".join(sentences) or "There are no ratings to measure agreement on."


def build_summary(
    sections: dict[str, Any],
    order: Sequence[str],
    snapshot: dict[str, Any],
    notes: Sequence[str],
    level_name: str = "ordinal",
) -> dict[str, Any]:
    """Return the summary block: headline, one verdict per criterion, and notes on the data."""
    verdicts = [
        criterion_verdict(name, sections[name], level_name) for name in order if name in sections
    ]
    missing = [name for name in order if name not in sections]
    all_notes = list(notes)
    if missing:
        all_notes.append(f"No ratings on {join([label(m) for m in missing])} in this selection.")
    all_notes.append(
        f"Computed from {snapshot['ratings']} ratings of {snapshot['items']} items by "
        f"{snapshot['reviewers']} reviewers (Krippendorff's alpha, {level_name} level; "
        "good >= 0.8, tentative 0.667-0.8, poor below 0.667)."
    )
    return {
        "headline": headline(verdicts),
        "criteria": verdicts,
        "reviewers": reviewer_summary(sections, [name for name in order if name in sections]),
        "notes": all_notes,
        "thresholds": {"good": GOOD, "tentative": TENTATIVE},
    }
