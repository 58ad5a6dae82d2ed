"""Plain words for a drift report: the windows' labels, the headline, the judge's agreement."""

from __future__ import annotations

from typing import Any, Final

import numpy as np

from llmops_core.metrics.drift import SCORE_PREFIX
from llmops_core.metrics.drift.signal import JUDGE_PREFIX
from llmops_core.models import PromptVersion

HISTOGRAM_BINS: Final = 30


def _version_text(pk: int | None) -> str:
    if pk is None:
        return ""
    version = PromptVersion.objects.select_related("template").filter(pk=pk).first()
    return f"{version.template.name} v{version.number}" if version else f"prompt version {pk}"


def window_label(window: Any) -> str:
    """Return e.g. "support v7, gpt-4o, 2026-11-23 to 2026-11-30"."""
    until = window.until
    parts = [_version_text(window.prompt_version_id), window.model_name]
    parts.append(f"{window.since:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M}")
    return ", ".join(p for p in parts if p)


def _subject(spec: Any) -> str:
    before, after = spec.before.prompt_version_id, spec.after.prompt_version_id
    if before == after and before is not None:
        return f"{_version_text(after)}, {_period(spec)}"
    if before != after:
        first = _version_text(before) or "all versions"
        second = _version_text(after) or "all versions"
        return f"{second} against {first}"
    return _period(spec).capitalize()


def _period(spec: Any) -> str:
    return f"{spec.after.since:%Y-%m-%d} to {spec.after.until:%Y-%m-%d} against the window before"


def judge_notes(signals: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Return, per criterion whose human scores drifted, what the judge's scores say."""
    notes: dict[str, str] = {}
    for name, human in signals.items():
        if not name.startswith(SCORE_PREFIX) or not human.get("drifted"):
            continue
        criterion = name.removeprefix(SCORE_PREFIX)
        judge = signals.get(JUDGE_PREFIX + criterion)
        if judge is None or judge.get("drifted") is None:
            notes[criterion] = "no judge scores to compare"
        elif judge["drifted"] and np.sign(judge["effect"]) == np.sign(human["effect"]):
            notes[criterion] = "the judge agrees"
        elif judge["drifted"]:
            notes[criterion] = "the judge's scores moved the other way"
        else:
            notes[criterion] = "the judge's scores did not drift"
    return notes


def summarise(drift: dict[str, Any], labels: dict[str, str], spec: Any) -> dict[str, Any]:
    """Return the headline, the sentences (with the judge's view) and the undefined signals."""
    signals = drift["signals"]
    notes = judge_notes(signals)
    sentences = []
    for name, signal in signals.items():
        sentence = signal.get("sentence")
        if not sentence:
            continue
        criterion = name.removeprefix(SCORE_PREFIX)
        if name.startswith(SCORE_PREFIX) and criterion in notes:
            sentence = f"{sentence[:-1]}; {notes[criterion]}."
        sentences.append(sentence)
    subject = _subject(spec)
    if sentences:
        headline = f"{subject}: {sentences[0]}"
        if len(sentences) > 1:
            headline += f" (and {len(sentences) - 1} more change{'s' * (len(sentences) > 2)})"
    else:
        headline = f"{subject}: no signal drifted."
    return {
        "headline": headline,
        "sentences": sentences,
        "judge_notes": notes,
        "undefined": [
            {"signal": name, "reason": s["reason"]}
            for name, s in signals.items()
            if s.get("reason")
        ],
    }


def histogram(before: np.ndarray, after: np.ndarray) -> dict[str, Any]:
    """Return shared bins and each window's counts (for the distribution chart)."""
    pooled = np.concatenate([before, after])
    if pooled.size == 0:
        return {"edges": [], "before": [], "after": []}
    high = float(np.percentile(pooled, 99)) if pooled.size > 1 else float(pooled[0])
    low = float(pooled.min())
    if high <= low:
        high = low + 1.0
    edges = np.linspace(low, high, HISTOGRAM_BINS + 1)
    clipped = [np.clip(values, low, high) for values in (before, after)]
    return {
        "edges": [float(e) for e in edges],
        "before": np.histogram(clipped[0], edges)[0].tolist(),
        "after": np.histogram(clipped[1], edges)[0].tolist(),
    }
