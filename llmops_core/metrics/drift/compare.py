"""Compare two windows of outputs signal by signal, with Benjamini-Hochberg across the family."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from llmops_core.metrics.drift.categorical import measure_score
from llmops_core.metrics.drift.continuous import measure_continuous
from llmops_core.metrics.drift.fdr import benjamini_hochberg
from llmops_core.metrics.drift.rates import is_rate, measure_rate
from llmops_core.metrics.drift.sentences import describe
from llmops_core.metrics.drift.signal import Signal, is_score

DEFAULT_ALPHA: Final = 0.05
DEFAULT_CONFIDENCE: Final = 0.95
DEFAULT_DRAWS: Final = 2000
# Smallest changes worth an alarm: with thousands of outputs a test finds any difference,
# so a signal drifts only when the change is also this large (its point estimate).
MIN_RELATIVE_CHANGE: Final = 0.05  # 5% of the before mean, for lengths, latency and cost
MIN_SCORE_POINTS: Final = 0.1  # a tenth of a scale point, for scores
MIN_RATE_POINTS: Final = 0.01  # one percentage point, for rates (refusals, errors, feedback)
CONTINUOUS_ORDER: Final = ("output_length", "input_length", "latency_ms", "cost")


@dataclass(frozen=True)
class DriftReport:
    """Every signal's comparison, and the settings the decisions were made with."""

    signals: dict[str, Signal]
    alpha: float
    confidence: float
    draws: int
    seed: int

    @property
    def drifted(self) -> list[Signal]:
        """Return the signals that drifted, in report order."""
        return [signal for signal in self.signals.values() if signal.drifted]

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form of the report."""
        return {
            "signals": {name: signal.as_dict() for name, signal in self.signals.items()},
            "summary": [signal.sentence for signal in self.drifted],
            "alpha": self.alpha,
            "confidence": self.confidence,
            "draws": self.draws,
            "seed": self.seed,
            "minimum_effect": {
                "relative_change": MIN_RELATIVE_CHANGE,
                "score_points": MIN_SCORE_POINTS,
                "rate_points": MIN_RATE_POINTS,
            },
        }


def signal_order(names: list[str]) -> list[str]:
    """Return the names with the usual continuous signals first, then others, then scores."""

    def key(name: str) -> tuple[int, int, str]:
        if name in CONTINUOUS_ORDER:
            return (0, CONTINUOUS_ORDER.index(name), name)
        return (2 if is_score(name) else 1, 0, name)

    return sorted(names, key=key)


def decide(
    q_value: npt.ArrayLike, effect: npt.ArrayLike, minimum: float, alpha: float
) -> npt.NDArray[np.bool_]:
    """Return whether each signal drifted: q < alpha and |effect| at least the minimum.

    Elementwise, so the simulation suite decides a stack of comparisons with the same rule.
    """
    q = np.asarray(q_value, dtype=np.float64)
    return (q < alpha) & (np.abs(np.asarray(effect, dtype=np.float64)) >= minimum)


def compare_windows(
    before: Mapping[str, npt.ArrayLike],
    after: Mapping[str, npt.ArrayLike],
    *,
    alpha: float = DEFAULT_ALPHA,
    confidence: float = DEFAULT_CONFIDENCE,
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
    measured: Sequence[Signal] = (),
) -> DriftReport:
    """Compare each signal named in either window and decide which drifted.

    Names starting with "score:" or "judge:" are a criterion's scores, names ending in
    "_rate" are rates (0 or 1 per output), every other name is continuous. A window without
    values for a signal counts as empty, and the signal is undefined. ``measured`` adds
    signals already tested elsewhere (the vocabulary) to the family Benjamini-Hochberg
    controls, after the others.
    """
    signals: dict[str, Signal] = {}
    for name in signal_order(sorted(set(before) | set(after))):
        b = _values(before.get(name, ()))
        a = _values(after.get(name, ()))
        measure, minimum = _measure(name)
        signals[name] = measure(
            name, b, a, minimum=minimum, draws=draws, confidence=confidence, seed=seed
        )
    for signal in measured:
        if signal.name in signals:
            raise ValueError(f"signal {signal.name!r} is given twice")
        signals[signal.name] = signal
    p = [np.nan if s.p_value is None else s.p_value for s in signals.values()]
    q_values = benjamini_hochberg(p) if signals else np.empty(0)
    for (name, signal), q in zip(list(signals.items()), q_values, strict=True):
        q_value = float(q) if np.isfinite(q) else None
        drifted = None  # undefined when the q-value or the effect is: nothing to decide on
        if q_value is not None and signal.effect is not None:
            drifted = bool(decide(q_value, signal.effect, signal.minimum_effect, alpha))
        signal = replace(signal, q_value=q_value, drifted=drifted)
        signals[name] = replace(signal, sentence=describe(signal, confidence) if drifted else None)
    return DriftReport(signals, alpha=alpha, confidence=confidence, draws=draws, seed=seed)


def _measure(name: str) -> tuple[Callable[..., Signal], float]:
    """Return how a signal is compared, and its minimum effect, from its name."""
    if is_score(name):
        return measure_score, MIN_SCORE_POINTS
    if is_rate(name):
        return measure_rate, MIN_RATE_POINTS
    return measure_continuous, MIN_RELATIVE_CHANGE


def _values(values: npt.ArrayLike) -> npt.NDArray[np.float64]:
    array = np.asarray(values, dtype=np.float64).ravel()
    if not np.all(np.isfinite(array)):
        raise ValueError("signal values must be finite numbers")
    return array
