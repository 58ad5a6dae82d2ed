"""The signals a drift report compares, and how each is read from a window's data.

``SIGNALS`` maps a signal name to a function of a ``WindowData`` returning one value per
output (NaN-free). Adding a signal is one line here: a name (ending in ``_rate`` for a 0/1
rate, ``score:``/``judge:`` for scores, anything else for a continuous number) and its reader,
for instance ``"feedback_rate": lambda w: feedback_flags(output_ids=w.ids)`` with a selector
that returns 0 or 1 per id, in the order of ``w.ids``. The engine (``metrics.drift``) picks the
test from the name and Benjamini-Hochberg takes the new signal into the family.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from llmops_core.metrics.drift import SCORE_PREFIX
from llmops_core.metrics.drift.signal import JUDGE_PREFIX
from llmops_core.selectors.drift import WindowNumbers
from llmops_core.selectors.feedback import feedback_down_flags


@dataclass(frozen=True)
class WindowData:
    """What was read for one window: per-output numbers and per-criterion scores."""

    project_id: int
    window: Any
    numbers: WindowNumbers
    human: dict[str, list[float]]
    judge: dict[str, list[float]]

    @property
    def ids(self) -> np.ndarray:
        return self.numbers.id_array()


Reader = Callable[[WindowData], np.ndarray]

SIGNALS: Final[dict[str, Reader]] = {
    "output_length": lambda w: w.numbers.column("output_length"),
    "input_length": lambda w: w.numbers.column("input_length"),
    "latency_ms": lambda w: w.numbers.column("latency_ms"),
    "cost": lambda w: w.numbers.column("cost"),
    "error_rate": lambda w: w.numbers.column("error"),
    "refusal_rate": lambda w: w.numbers.column("refusal"),
    "feedback_down_rate": lambda w: np.asarray(
        feedback_down_flags(output_ids=w.ids.tolist()), dtype=np.float64
    ),
}


def window_signals(data: WindowData) -> dict[str, np.ndarray]:
    """Return every signal's values for one window: the registry's, then scores per criterion."""
    values = {name: read(data) for name, read in SIGNALS.items()}
    for criterion, scores in data.human.items():
        values[SCORE_PREFIX + criterion] = np.asarray(scores, dtype=np.float64)
    for criterion, scores in data.judge.items():
        values[JUDGE_PREFIX + criterion] = np.asarray(scores, dtype=np.float64)
    return values
