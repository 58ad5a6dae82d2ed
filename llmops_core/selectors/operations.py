"""What a prompt version costs and how it fails, next to its quality: read from the roll-ups."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from llmops_core.models import PromptVersion
from llmops_core.selectors.monitoring import rollup_figures


def versions_operations(version_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Return {version id: figures over all time} of the versions with outputs (three queries)."""
    ids = [i for i in version_ids if i]
    if not ids:
        return {}
    return rollup_figures(project=None, window=None, key=lambda k: k[1], versions=ids)


def version_operations(version_id: int) -> dict[str, Any] | None:
    """Return requests, error rate, mean cost, latency percentiles and tokens of a version.

    None when no output of the version was rolled up (nothing to show, not zeros).
    """
    return versions_operations([version_id]).get(version_id)


def _cost_part(candidate: dict[str, Any], baseline: dict[str, Any]) -> str | None:
    new, old = candidate["cost_mean"], baseline["cost_mean"]
    if new is None or old is None or old == 0:
        return None
    change = (new - old) / old * 100
    if round(change) == 0:
        return "costs the same"
    return f"costs {abs(change):.0f}% {'more' if change > 0 else 'less'}"


def _latency_part(candidate: dict[str, Any], baseline: dict[str, Any]) -> str | None:
    new, old = candidate["latency_p95_ms"], baseline["latency_p95_ms"]
    if new is None or old is None:
        return None
    change = new - old
    if round(change) == 0:
        return "is as fast at p95"
    return f"is {abs(change):.0f} ms {'slower' if change > 0 else 'faster'} at p95"


def operations_sentence(*, candidate: PromptVersion, baseline: PromptVersion) -> str:
    """Return one sentence comparing two versions' cost and p95 latency, or why it cannot."""
    figures = versions_operations([candidate.pk, baseline.pk])
    new, old = figures.get(candidate.pk), figures.get(baseline.pk)
    name, other = f"v{candidate.number}", f"v{baseline.number}"
    missing = [label for label, f in ((name, new), (other, old)) if f is None]
    if missing:
        return f"No operations data for {' or '.join(missing)} yet: nothing to compare."
    assert new is not None and old is not None
    parts = [p for p in (_cost_part(new, old), _latency_part(new, old)) if p]
    if not parts:
        return f"{name} and {other} lack the costs or latencies to compare."
    text = " and ".join(parts)
    if "same" in text or " as " in text:
        return f"Compared with {other}, {name} {text}."
    return f"{name} {text} than {other}."
