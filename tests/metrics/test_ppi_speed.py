"""Speed: 1,000,000 judge scores and 10,000 human ratings per criterion in well under 1 s."""

from __future__ import annotations

import time

import numpy as np

from llmops_core.metrics.ppi import calibration, estimate_outputs, scored_outputs


def test_a_million_judge_scores_take_well_under_a_second() -> None:
    """CPU time, so a busy machine does not fail it; bench.estimate reports wall time."""
    from scipy import stats  # noqa: F401  (imported once per process, not per criterion)

    rng = np.random.default_rng(0)
    items = np.arange(1_000_000, dtype=np.int64) * 3 + 1
    judge = rng.integers(1, 6, items.size).astype(float)
    rated = np.repeat(rng.choice(items, 5000, replace=False), 2)
    human = rng.integers(1, 6, rated.size).astype(float)
    start = time.process_time()
    outputs = scored_outputs(
        judge_items=items, judge_scores=judge, human_items=rated, human_scores=human
    )
    estimate, _ = estimate_outputs(outputs), calibration(outputs)
    seconds = time.process_time() - start
    assert estimate.ppi.n_judge == 995_000
    assert seconds < 1.0, f"{seconds:.2f}s of CPU for one criterion"
