"""Benchmark judge-assisted estimates: speed at 1,000,000 judge scores, and a simulation.

The simulation draws synthetic studies with a known true mean and a judge of known bias and
reports how often each 95% interval covers the truth and how wide it is: human-only,
PPI++ with uniformly drawn human ratings, and active sampling (inclusion probabilities from
the judge's uncertainty, inverse-probability weights). tests/metrics/test_ppi_simulation.py
asserts on the same simulation.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from llmops_core.metrics.ppi import (
    calibration,
    clt_mean,
    draw_active,
    draw_uniform,
    estimate_outputs,
    forecast_widths,
    inclusion_probabilities,
    ppi_mean,
    ppi_mean_weighted,
    scored_outputs,
)
from llmops_core.metrics.ppi.mean import MeanInterval, PPIMean
from llmops_core.metrics.ppi.sampling import DEFAULT_UNIFORM_SHARE

FULL = {"judged": 1_000_000, "ratings": 10_000, "criteria": 3, "studies": 1000}
QUICK = {"judged": 100_000, "ratings": 2_000, "criteria": 1, "studies": 200}

TRUE_MEAN = 3.0
JUDGE_BIAS = 0.5
# Active sampling gets this share of the human-only budget: 30% fewer human ratings.
ACTIVE_SHARE = 0.7


@dataclass(frozen=True)
class Studies:
    """Synthetic studies, one row each: human labels, judge scores, judge uncertainty."""

    human: np.ndarray
    judge: np.ndarray
    uncertainty: np.ndarray
    truth: float


def synthetic_studies(studies: int, outputs: int, *, informative: bool, seed: int = 0) -> Studies:
    """Return studies x outputs labels and judge scores around a known mean (TRUE_MEAN).

    Human label = TRUE_MEAN + quality + noise (sd 0.3), so E[label] = TRUE_MEAN exactly. An
    informative judge scores quality + JUDGE_BIAS plus noise whose sd it knows (0.2 on 80%
    of the outputs, 2.0 on the hard rest): that sd is its uncertainty. An uninformative
    judge scores noise around TRUE_MEAN + JUDGE_BIAS, whatever the output.
    """
    rng = np.random.default_rng(seed)
    shape = (studies, outputs)
    quality = rng.normal(size=shape)
    human = TRUE_MEAN + quality + rng.normal(scale=0.3, size=shape)
    spread = np.where(rng.random(shape) < 0.8, 0.2, 2.0)
    signal = quality if informative else rng.normal(size=shape)
    judge = TRUE_MEAN + JUDGE_BIAS + signal + spread * rng.normal(size=shape)
    return Studies(human, judge, spread, TRUE_MEAN)


def _row(result: MeanInterval | PPIMean, truth: float) -> tuple[float, float, float]:
    """Return (covered, width, mean) of one interval; NaN when undefined."""
    if result.low is None or result.high is None or result.mean is None:
        return np.nan, np.nan, np.nan
    return float(result.low <= truth <= result.high), result.high - result.low, result.mean


def run_studies(data: Studies, labelled: int, *, seed: int = 1) -> dict:
    """Return per-study (covered, width, mean) of each method.

    human and ppi rate `labelled` outputs drawn uniformly; ppi_fewer and active rate
    ACTIVE_SHARE as many, uniformly and actively.
    """
    rng_seeds = np.random.default_rng(seed).integers(0, 2**32, size=(data.human.shape[0], 3))
    fewer = round(ACTIVE_SHARE * labelled)
    rows: dict[str, list[tuple[float, float, float]]] = {
        "human": [], "ppi": [], "ppi_fewer": [], "active": []
    }  # fmt: skip
    for s in range(data.human.shape[0]):
        y, f, u = data.human[s], data.judge[s], data.uncertainty[s]
        chosen = np.zeros(y.size, dtype=bool)
        chosen[draw_uniform(y.size, labelled, seed=int(rng_seeds[s, 0]))] = True
        rows["human"].append(_row(clt_mean(y[chosen]), data.truth))
        rows["ppi"].append(_row(ppi_mean(y[chosen], f[chosen], f[~chosen]), data.truth))
        chosen[:] = False
        chosen[draw_uniform(y.size, fewer, seed=int(rng_seeds[s, 2]))] = True
        rows["ppi_fewer"].append(_row(ppi_mean(y[chosen], f[chosen], f[~chosen]), data.truth))
        pi = inclusion_probabilities(u, fewer)
        drawn = np.zeros(y.size, dtype=bool)
        drawn[draw_active(pi, seed=int(rng_seeds[s, 1]))] = True
        active = ppi_mean_weighted(y[drawn], f[drawn], pi[drawn], f[~drawn])
        rows["active"].append(_row(active, data.truth))
    return {name: np.array(values) for name, values in rows.items()}


def summarise(rows: dict, truth: float) -> dict[str, Any]:
    """Return coverage, median width and bias of each method's intervals."""
    figures: dict[str, Any] = {}
    for name, table in rows.items():
        covered, width, mean = table[:, 0], table[:, 1], table[:, 2]
        figures[name] = {
            "coverage": float(np.nanmean(covered)),
            "median_width": float(np.nanmedian(width)),
            "bias": float(np.nanmean(mean) - truth),
            "undefined": int(np.isnan(width).sum()),
        }
    return figures


def timed(function: Callable[[], Any]) -> tuple[Any, float, float]:
    """Return the function's result, its wall time and its CPU time."""
    start, cpu = time.perf_counter(), time.process_time()
    result = function()
    return result, time.perf_counter() - start, time.process_time() - cpu


def bench_speed(judged: int, ratings: int, criteria: int) -> dict[str, Any]:
    """Time estimates + calibration from per-rating arrays: judged outputs, human ratings.

    The clock starts with the per-rating arrays a selector returns (integer output ids) and
    stops with the estimates and the calibration curve; the first criterion also pays for
    importing scipy (the calibration's t quantiles), as a worker's first report would.
    """
    rng = np.random.default_rng(0)
    items = np.arange(judged, dtype=np.int64) * 7 + 11  # ids as a database hands them out
    walls, cpus = [], []
    for criterion in range(criteria):
        quality = rng.integers(1, 6, judged)
        judge = np.clip(quality + rng.choice([-1, 0, 0, 0, 1], judged), 1, 5).astype(float)
        rated = rng.choice(items, ratings // 2, replace=False)
        human_items = np.repeat(rated, 2)  # two reviewers per rated output
        truth = quality[(human_items - 11) // 7]
        human = np.clip(truth + rng.choice([-1, 0, 0, 1], human_items.size), 1, 5).astype(float)

        def run(
            judge: np.ndarray = judge,
            human_items: np.ndarray = human_items,
            human: np.ndarray = human,
        ) -> tuple[Any, Any]:
            outputs = scored_outputs(
                judge_items=items, judge_scores=judge, human_items=human_items, human_scores=human
            )
            return estimate_outputs(outputs), calibration(outputs)

        (estimate, _), wall, cpu = timed(run)
        walls.append(wall)
        cpus.append(cpu)
        ppi = estimate.ppi
        print(
            f"criterion {criterion}: {judged:,} judge scores + {human.size:,} human ratings "
            f"in {wall:.3f}s (CPU {cpu:.3f}s); PPI++ {ppi.mean:.4f} [{ppi.low:.4f}, "
            f"{ppi.high:.4f}], "
            f"lambda {ppi.lam:.3f}, effective n {ppi.effective_n:.0f} from {ppi.n_human} rated"
        )
    return {
        "judged": judged,
        "human_ratings": ratings,
        "criteria": criteria,
        "seconds_first_criterion": walls[0],
        "seconds_per_criterion_after": float(np.median(walls[1:] or walls)),
        "cpu_seconds_per_criterion_after": float(np.median(cpus[1:] or cpus)),
    }


def bench_simulation(studies: int) -> dict[str, Any]:
    """Run the simulation: an informative judge, an uninformative one, active at 70%."""
    outputs, labelled = 2000, 200
    figures: dict[str, Any] = {"studies": studies, "outputs": outputs, "labelled": labelled}
    start = time.perf_counter()
    for informative in (True, False):
        data = synthetic_studies(studies, outputs, informative=informative, seed=int(informative))
        rows = run_studies(data, labelled)
        summary = summarise(rows, data.truth)
        key = "informative" if informative else "uninformative"
        figures[key] = summary
        for name, row in summary.items():
            print(
                f"{key:<13} {name:<9} coverage {row['coverage']:.3f}  median width "
                f"{row['median_width']:.4f}  bias {row['bias']:+.4f}"
            )
    pilot = synthetic_studies(1, outputs, informative=True, seed=7)
    forecast = forecast_widths(
        pilot.uncertainty[0],
        ACTIVE_SHARE * labelled,
        pilot_human=pilot.human[0, :100],
        pilot_judge=pilot.judge[0, :100],
        pilot_uncertainty=pilot.uncertainty[0, :100],
        uniform_share=DEFAULT_UNIFORM_SHARE,
    )
    figures["forecast"] = forecast.as_dict()
    figures["simulation_seconds"] = time.perf_counter() - start
    print(
        f"forecast from a 100-output pilot for {ACTIVE_SHARE * labelled:.0f} ratings: human-only "
        f"{forecast.human_only:.4f}, uniform PPI {forecast.uniform:.4f}, active "
        f"{forecast.active:.4f} (simulated active median "
        f"{figures['informative']['active']['median_width']:.4f})"
    )
    return figures


def main() -> None:
    """Run the benchmark and print its figures, the JSON summary last."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, a few seconds")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    figures: dict[str, Any] = {"mode": "quick" if args.quick else "full"}
    figures.update(bench_speed(sizes["judged"], sizes["ratings"], sizes["criteria"]))
    figures.update(bench_simulation(sizes["studies"]))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
