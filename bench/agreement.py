"""Benchmark the agreement engine: alpha vs the krippendorff package, bootstrap, full report."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

import krippendorff
import numpy as np

from llmops_core.metrics.agreement import (
    krippendorff_alpha_estimate,
    krippendorff_alpha_interval,
)
from llmops_core.metrics.krippendorff import LEVELS
from llmops_core.metrics.longformat import LongRatings
from llmops_core.metrics.report import agreement_report

# `python -m bench.agreement` runs the full sizes (about 1,000,000 ratings for alpha and a
# 100,000 items x 3 criteria x 3 reviewers + judge report); `--quick` runs small ones in a
# few seconds. The last line printed is one JSON object of figures.
FULL = {"items": 300_000, "reviewers": 5, "report_items": 100_000, "draws": 1000}
QUICK = {"items": 20_000, "reviewers": 5, "report_items": 5_000, "draws": 200}


def timed(function: Callable[[], Any], repeat: int = 1) -> tuple[Any, float]:
    """Return the function's result and its best wall time over `repeat` runs."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return result, best


def reliability_data(n_items: int, n_reviewers: int, seed: int = 0) -> np.ndarray:
    """Return reviewers x items scores on 1-5 around a true score, 30% missing (seeded)."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, 6, n_items)
    noise = rng.choice([-1, 0, 0, 1], size=(n_reviewers, n_items))
    data = np.clip(truth[None, :] + noise, 1, 5).astype(np.float64)
    data[rng.random(data.shape) < 0.3] = np.nan
    return data


def long_ratings(n_items: int, seed: int = 1) -> tuple[LongRatings, np.ndarray, dict]:
    """Return items x 3 criteria x 3 reviewers + a judge as long ratings, timestamps, gold."""
    rng = np.random.default_rng(seed)
    criteria = ("fluency", "relevance", "factuality")
    raters = ("ann", "bob", "cyd", "judge")
    item = np.repeat(np.array([f"out-{i}" for i in range(n_items)], dtype=object), 4)
    truth = rng.integers(1, 6, n_items)
    columns: dict[str, list[np.ndarray]] = {
        "item": [],
        "reviewer": [],
        "criterion": [],
        "score": [],
    }
    for name in criteria:
        bias = rng.choice([-1, 0, 0, 0, 1], size=(n_items, 4))
        columns["item"].append(item)
        columns["reviewer"].append(np.tile(np.array(raters, dtype=object), n_items))
        columns["criterion"].append(np.full(n_items * 4, name, dtype=object))
        columns["score"].append(np.clip(truth[:, None] + bias, 1, 5).ravel().astype(float))
    joined = {key: np.concatenate(value) for key, value in columns.items()}
    ratings = LongRatings.from_arrays(
        joined["item"], joined["reviewer"], joined["criterion"], joined["score"]
    )
    start = np.datetime64("2024-01-01T00:00:00")
    stamps = start + rng.integers(0, 90 * 86400, len(ratings)).astype("timedelta64[s]")
    gold = {(f"out-{i}", "fluency"): float(truth[i]) for i in range(0, n_items, 50)}
    return ratings, stamps, gold


def bench_alpha(n_items: int, n_reviewers: int, draws: int) -> dict[str, Any]:
    """Time alpha at every level against the krippendorff package, then the bootstrap."""
    data = reliability_data(n_items, n_reviewers)
    figures: dict[str, Any] = {"items": n_items, "ratings": int(np.isfinite(data).sum())}
    ours_total = theirs_total = 0.0
    for level in LEVELS:
        ours, ours_s = timed(lambda lv=level: krippendorff_alpha_estimate(data, lv), 5)
        theirs, theirs_s = timed(
            lambda lv=level: krippendorff.alpha(data, level_of_measurement=lv), 5
        )
        assert abs(ours.value - theirs) < 1e-9, (level, ours.value, theirs)
        print(
            f"alpha {level:<8} ours {ours.value:.6f} in {ours_s:.3f}s   "
            f"krippendorff {theirs:.6f} in {theirs_s:.3f}s"
        )
        figures[f"alpha_{level}"] = ours.value
        ours_total, theirs_total = ours_total + ours_s, theirs_total + theirs_s
    figures["alpha_seconds"] = ours_total
    figures["krippendorff_pkg_seconds"] = theirs_total

    def alpha_with_interval() -> tuple[Any, Any]:
        estimate = krippendorff_alpha_estimate(data, "ordinal")
        return estimate, krippendorff_alpha_interval(data, "ordinal", draws=draws, seed=0)

    (estimate, interval), seconds = timed(alpha_with_interval)
    print(
        f"ordinal alpha {estimate.value:.4f}, {draws}-draw 95% CI "
        f"[{interval.low:.4f}, {interval.high:.4f}] in {seconds:.3f}s"
    )
    figures.update(draws=draws, bootstrap_seconds=seconds)
    return figures


def bench_report(n_items: int, draws: int) -> dict[str, Any]:
    """Time the full report: 3 criteria x 3 reviewers + judge, gold and timestamps included."""
    (ratings, stamps, gold), build_s = timed(lambda: long_ratings(n_items))
    report, seconds = timed(
        lambda: agreement_report(
            ratings,
            scale=[1, 2, 3, 4, 5],
            judge="judge",
            bootstrap_draws=draws,
            seed=0,
            gold=gold,
            timestamps=stamps,
        )
    )
    json.dumps(report, allow_nan=False)
    fluency = report["criteria"]["fluency"]
    print(
        f"report: {len(ratings)} ratings ({n_items} items x 3 criteria x 3 reviewers + judge) "
        f"in {seconds:.2f}s (building the input took {build_s:.2f}s); fluency alpha "
        f"{fluency['krippendorff_alpha']['ordinal']:.4f}, judge spearman "
        f"{fluency['judge']['spearman']:.4f}"
    )
    return {"report_items": n_items, "report_ratings": len(ratings), "report_seconds": seconds}


def main() -> None:
    """Run the benchmark and print its figures, the JSON summary last."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, a few seconds")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    figures: dict[str, Any] = {"mode": "quick" if args.quick else "full"}
    figures.update(bench_alpha(sizes["items"], sizes["reviewers"], sizes["draws"]))
    figures.update(bench_report(sizes["report_items"], sizes["draws"]))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
