"""Every sentence of a version comparison, against the numbers it states."""

from __future__ import annotations

import re
from typing import Any

import pytest

from llmops_core.metrics.significance import (
    BETTER,
    NOT_DISTINGUISHABLE,
    WORSE,
    headline,
    paired_compare,
    verdict_sentence,
)


def _result(verdict: str, diff: float, low: float | None, high: float | None, **size: Any) -> Any:
    return {
        "n": 30,
        "mean_difference": diff,
        "ci": {"low": low, "high": high, "confidence": 0.95},
        "wilcoxon": {"p_value": 0.0004 if verdict != NOT_DISTINGUISHABLE else 0.31},
        "verdict": verdict,
        "sample_size": {"more": None, "alpha": 0.05, "power": 0.8, "reason": None, **size},
    }


@pytest.mark.parametrize(
    ("verdict", "diff", "low", "high", "start"),
    [
        (BETTER, 0.42, 0.2, 0.61, "v3 is better than v1 on fluency (+0.42; 95% CI +0.20 to +0.61"),
        (WORSE, -0.3, -0.5, -0.1, "v3 is worse than v1 on fluency (-0.30; 95% CI -0.50 to -0.10"),
    ],
)
def test_better_and_worse_state_a_difference_and_interval_of_that_sign(
    verdict: str, diff: float, low: float, high: float, start: str
) -> None:
    text = verdict_sentence(
        "fluency", _result(verdict, diff, low, high), candidate="v3", baseline="v1"
    )
    assert text.startswith(start) and text.endswith("; p < 0.001; 30 paired inputs).")
    stated = [float(x) for x in re.findall(r"[+-]\d\.\d\d", text)]
    sign = 1 if verdict == BETTER else -1
    assert all(sign * x > 0 for x in stated)


@pytest.mark.parametrize(
    ("size", "ending"),
    [
        (
            {"more": 40, "power": 0.9},
            " About 40 more paired inputs would be needed to detect a difference this size "
            "(90% power, alpha 0.05).",
        ),
        (
            {"more": 1},
            " About 1 more paired input would be needed to detect a difference this size "
            "(80% power, alpha 0.05).",
        ),
        ({"more": 0}, "but the two tests disagree; a few more ratings should settle it."),
        (
            {"more": None, "reason": "every paired difference is zero"},
            " How many more inputs would be needed: every paired difference is zero.",
        ),
    ],
)
def test_not_distinguishable_says_how_many_more_inputs(size: dict[str, Any], ending: str) -> None:
    result = _result(NOT_DISTINGUISHABLE, 0.05, -0.1, 0.2, **size)
    text = verdict_sentence("fluency", result, candidate="v3", baseline="v1")
    assert text.startswith(
        "v3 and v1 are not distinguishable on fluency with this much data "
        "(+0.05; 95% CI -0.10 to +0.20; p = 0.310; 30 paired inputs)."
    )
    assert text.endswith(ending)


def test_an_undefined_interval_is_left_out_not_printed_as_zero() -> None:
    result = paired_compare([4.0], [3.0], draws=50).as_dict()
    text = verdict_sentence("tone", result, candidate="v2", baseline="v1")
    assert "CI" not in text and "1 paired input)" in text and "+1.00" in text
    empty = verdict_sentence(
        "tone", paired_compare([], [], draws=5).as_dict(), candidate="v2", baseline="v1"
    )
    assert empty == "v2 and v1 cannot be compared on tone: no input was rated for both versions."


@pytest.mark.parametrize(
    ("verdicts", "sentence"),
    [
        ({}, "v3 and v1 have no ratings on the same inputs yet."),
        ({"a": BETTER}, "v3 vs v1: better on a."),
        ({"a": WORSE, "b": WORSE}, "v3 vs v1: worse on a and b."),
        (
            {"a": BETTER, "b": WORSE, "c": NOT_DISTINGUISHABLE},
            "v3 vs v1: better on a; worse on b; not distinguishable on c with this much data.",
        ),
    ],
)
def test_headline_groups_every_verdict(verdicts: dict[str, str], sentence: str) -> None:
    assert headline(verdicts, candidate="v3", baseline="v1") == sentence
