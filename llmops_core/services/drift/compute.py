"""Compute a drift report in a worker: read both windows in chunks, compare, store words.

Runs outside any transaction, like the other reports: every write is one short UPDATE guarded
by the row's status (``services.jobs``), so a redelivered task is harmless and a killed one
leaves the row for the stale-job sweep.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Final

import numpy as np
from django.conf import settings

from llmops_core.errors import DomainError
from llmops_core.metrics.drift import compare_windows
from llmops_core.metrics.drift.refusals import REFUSAL_PATTERNS
from llmops_core.metrics.drift.vocabulary import PERMUTATIONS, TOP_K, measure_vocabulary, tokens
from llmops_core.models import Report
from llmops_core.selectors.drift import (
    SAMPLE_CHARS,
    judge_version_latest,
    sample_texts,
    window_human_scores,
    window_judge_scores,
    window_numbers,
    window_outputs,
)
from llmops_core.services.drift.signals import WindowData, window_signals
from llmops_core.services.drift.spec import DriftSpec, Window
from llmops_core.services.drift.summary import histogram, summarise, window_label
from llmops_core.services.jobs import (
    TRANSIENT_ERRORS,
    UNFINISHED,
    job_fail,
    job_heartbeat,
    job_start,
    job_succeed,
)

logger = logging.getLogger(__name__)

RESULTS_SCHEMA: Final = 1
VOCABULARY_SAMPLE: Final = 2000  # outputs per window whose text the vocabulary reads


def drift_report_fail(*, report_id: int, reason: str) -> bool:
    """Mark an unfinished drift report failed with ``reason``."""
    return job_fail(model=Report, job_id=report_id, reason=reason[:4000], statuses=UNFINISHED)


def drift_report_compute(*, report_id: int) -> Report | None:
    """Compute drift report ``report_id``; return the row, or None if it was already finished."""
    if not job_start(model=Report, job_id=report_id, progress=0.02):
        return None
    report = Report.objects.select_related("project").get(pk=report_id)
    try:
        results = _build(report, lambda share: _progress(report_id, share))
    except DomainError as exc:
        drift_report_fail(report_id=report_id, reason=str(exc))
    except TRANSIENT_ERRORS:
        raise
    except Exception as exc:
        logger.exception("drift report %s failed", report_id)
        drift_report_fail(
            report_id=report_id, reason=f"internal error ({type(exc).__name__}): {exc}"
        )
    else:
        job_succeed(
            model=Report,
            job_id=report_id,
            results=results,
            error="",
            snapshot_counts=results["snapshot"],
        )
    return Report.objects.get(pk=report_id)


def _progress(report_id: int, share: float) -> None:
    job_heartbeat(model=Report, job_id=report_id, progress=round(min(max(share, 0.0), 0.99), 3))


def _read(
    project_id: int,
    window: Window,
    judge_version_id: int | None,
    progress: Callable[[float], None],
) -> WindowData:
    total = max(window_outputs(project_id=project_id, window=window).count(), 1)
    numbers = window_numbers(
        project_id=project_id, window=window, progress=lambda n: progress(0.8 * n / total)
    )
    ids = numbers.id_array()
    human = window_human_scores(project_id=project_id, window=window, ids=ids)
    progress(0.9)
    judge: dict[str, list[float]] = {}
    if judge_version_id is not None:
        judge = window_judge_scores(
            project_id=project_id, window=window, judge_version_id=judge_version_id, ids=ids
        )
    progress(1.0)
    return WindowData(project_id, window, numbers, human, judge)


def _vocabulary_sample(data: WindowData, rng: np.random.Generator) -> list[Any]:
    ids = data.ids
    if ids.size > VOCABULARY_SAMPLE:
        ids = np.sort(rng.choice(ids, VOCABULARY_SAMPLE, replace=False))
    return [tokens(text) for text in sample_texts(ids=ids)]


def _build(report: Report, progress: Callable[[float], None]) -> dict[str, Any]:
    spec = DriftSpec.from_parameters(report.parameters.get("spec") or {})
    project_id = report.project_id
    judge_version = None
    if spec.judge_version_id is None:
        judge_version = judge_version_latest(project_id=project_id)
    judge_id = spec.judge_version_id or (judge_version.pk if judge_version else None)
    before = _read(project_id, spec.before, judge_id, lambda s: progress(0.05 + 0.3 * s))
    after = _read(project_id, spec.after, judge_id, lambda s: progress(0.35 + 0.3 * s))
    rng = np.random.default_rng(spec.seed)
    vocabulary = measure_vocabulary(
        _vocabulary_sample(before, rng),
        _vocabulary_sample(after, rng),
        draws=_draws(),
        confidence=0.95,
        seed=spec.seed,
    )
    progress(0.8)
    signals_before, signals_after = window_signals(before), window_signals(after)
    drift = compare_windows(
        signals_before, signals_after, draws=_draws(), seed=spec.seed, measured=[vocabulary]
    ).as_dict()
    progress(0.95)
    labels = {
        "before": window_label(spec.before),
        "after": window_label(spec.after),
    }
    n_before, n_after = len(before.numbers.ids), len(after.numbers.ids)
    return {
        "schema": RESULTS_SCHEMA,
        "kind": report.kind,
        "windows": {
            "before": {**spec.before.as_parameters(), "label": labels["before"], "n": n_before},
            "after": {**spec.after.as_parameters(), "label": labels["after"], "n": n_after},
        },
        "judge_version_id": judge_id,
        "drift": drift,
        **summarise(drift, labels, spec),
        "histograms": {
            name: histogram(signals_before[name], signals_after[name])
            for name in ("output_length", "input_length", "latency_ms")
        },
        "method": {
            "refusal_patterns": list(REFUSAL_PATTERNS),
            "vocabulary": {
                "sample_per_window": VOCABULARY_SAMPLE,
                "characters_per_output": SAMPLE_CHARS,
                "top_k": TOP_K,
                "permutations": PERMUTATIONS,
            },
            "input_length": "characters of the input as stored (its JSON text)",
            "scores": "per output: the mean of its ratings; judge: its latest score",
        },
        "snapshot": {
            "outputs_before": n_before,
            "outputs_after": n_after,
            "max_id_before": int(before.ids.max()) if n_before else None,
            "max_id_after": int(after.ids.max()) if n_after else None,
        },
    }


def _draws() -> int:
    return int(getattr(settings, "REPORT_BOOTSTRAP_DRAWS", 2000))
