"""Each drift sentence states the report's own numbers, rounded, and points the right way."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from llmops_core.metrics.drift import Signal, compare_windows, render_report
from llmops_core.metrics.drift.effects import RELATIVE
from llmops_core.metrics.drift.sentences import describe

CONTINUOUS = re.compile(
    r"^(?P<subject>Outputs|Inputs|Responses|Cost per output) got (?P<pct>[\d.]+)% "
    r"(?P<direction>\w+) \(mean (?P<before>[\d,.]+) to (?P<after>[\d,.]+)(?: characters| ms)?; "
    r"95% CI (?P<ci>[^;]+); KS D = (?P<d>[\d.]+), q (?P<op>[<=]) (?P<q>[\d.]+)\)\.$"
)
SCORE = re.compile(
    r'^Scores for "(?P<criterion>[^"]+)" (?P<verb>rose|fell) from (?P<before>[\d.]+) to '
    r"(?P<after>[\d.]+) \((?P<effect>[+-][\d.]+) points; 95% CI (?P<low>[+-][\d.]+) to "
    r"(?P<high>[+-][\d.]+); chi-square (?P<chi>[\d.]+) on (?P<df>\d+) df, "
    r"q (?P<op>[<=]) (?P<q>[\d.]+)\)\.$"
)
CI_ONE_WAY = re.compile(r"^(?P<a>[\d.]+)% to (?P<b>[\d.]+)% (?P<word>\w+)$")
CI_BOTH_WAYS = re.compile(r"^(?P<a>[\d.]+)% (?P<down>\w+) to (?P<b>[\d.]+)% (?P<up>\w+)$")
WORDS = {
    "output_length": ("longer", "shorter"),
    "input_length": ("longer", "shorter"),
    "latency_ms": ("slower", "faster"),
    "cost": ("higher", "lower"),
}


def _close(stated: str, value: float, decimals: int) -> bool:
    return abs(float(stated.replace(",", "")) - value) <= 0.5 * 10**-decimals + 1e-9


def _mean_close(stated: str, value: float) -> bool:
    """Means are whole numbers from 100 up, three significant digits below."""
    decimals = 0 if abs(value) >= 100 else 2 - math.floor(math.log10(abs(value)))
    return _close(stated, value, decimals)


def _percent_close(stated: str, change: float) -> bool:
    return _close(stated, abs(change) * 100, 0 if "." not in stated else 1)


def _check_q(op: str, stated: str, q: float) -> None:
    if op == "<":
        assert stated == "0.001" and q < 0.001
    else:
        assert _close(stated, q, 3)


def _check_continuous(signal: Signal, sentence: str) -> None:
    match = CONTINUOUS.match(sentence)
    assert match, sentence
    assert signal.effect is not None and signal.low is not None and signal.high is not None
    assert signal.mean_before is not None and signal.mean_after is not None
    up, down = WORDS[signal.name]
    assert match["direction"] == (up if signal.effect > 0 else down)
    assert _percent_close(match["pct"], signal.effect)
    assert _mean_close(match["before"], signal.mean_before)
    assert _mean_close(match["after"], signal.mean_after)
    one_way = CI_ONE_WAY.match(match["ci"])
    if one_way:
        assert one_way["word"] == (up if signal.low > 0 else down)
        near, far = sorted((signal.low, signal.high), key=abs)
        assert _percent_close(one_way["a"], near) and _percent_close(one_way["b"], far)
    else:
        both = CI_BOTH_WAYS.match(match["ci"])
        assert both and (both["down"], both["up"]) == (down, up), match["ci"]
        assert _percent_close(both["a"], signal.low) and _percent_close(both["b"], signal.high)
    assert _close(match["d"], signal.statistic or 0, 3)
    _check_q(match["op"], match["q"], signal.q_value or 0)


def _check_score(signal: Signal, sentence: str) -> None:
    match = SCORE.match(sentence)
    assert match, sentence
    assert signal.effect is not None and signal.low is not None and signal.high is not None
    assert match["criterion"] == signal.name.removeprefix("score:")
    assert match["verb"] == ("rose" if signal.effect > 0 else "fell")
    assert _close(match["before"], signal.mean_before or 0, 2)
    assert _close(match["after"], signal.mean_after or 0, 2)
    assert _close(match["effect"], signal.effect, 2)
    assert _close(match["low"], signal.low, 2) and _close(match["high"], signal.high, 2)
    assert _close(match["chi"], signal.statistic or 0, 2)
    assert int(match["df"]) == signal.details["df"]
    _check_q(match["op"], match["q"], signal.q_value or 0)


@pytest.mark.parametrize("seed", range(12))
def test_every_sentence_states_the_numbers_of_its_signal(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(300, 3000))
    factors = rng.choice([0.6, 0.8, 0.9, 1.12, 1.3, 2.5], size=4)
    shares = rng.dirichlet(np.ones(5), size=2)
    before: dict[str, np.ndarray] = {}
    after: dict[str, np.ndarray] = {}
    for (name, median), factor in zip(
        (("output_length", 400), ("input_length", 60), ("latency_ms", 900), ("cost", 0.002)),
        factors,
        strict=True,
    ):
        before[name] = rng.lognormal(np.log(median), 0.5, n)
        after[name] = rng.lognormal(np.log(median * factor), 0.5, n)
        if name != "cost":
            before[name], after[name] = np.round(before[name]), np.round(after[name])
    before["score:relevance"] = rng.choice(np.arange(1.0, 6.0), n, p=shares[0])
    after["score:relevance"] = rng.choice(np.arange(1.0, 6.0), n, p=shares[1])
    report = compare_windows(before, after, draws=300, seed=seed)
    assert report.drifted, "every case shifts something"
    for signal in report.signals.values():
        if not signal.drifted:
            assert signal.sentence is None
            continue
        assert signal.sentence is not None
        check = _check_score if signal.is_score else _check_continuous
        check(signal, signal.sentence)
    assert report.as_dict()["summary"] == [s.sentence for s in report.drifted]


def _signal(**changes: object) -> Signal:
    base: dict[str, object] = {
        "name": "output_length",
        "test": "ks_2samp",
        "effect_kind": RELATIVE,
        "minimum_effect": 0.05,
        "n_before": 100,
        "n_after": 100,
        "mean_before": 412.3,
        "mean_after": 486.2,
        "statistic": 0.21,
        "p_value": 0.0001,
        "q_value": 0.0123,
        "effect": 0.18,
        "low": -0.031,
        "high": 0.22,
        "drifted": True,
    }
    return Signal(**{**base, **changes})  # type: ignore[arg-type]


def test_an_interval_across_zero_names_both_directions() -> None:
    sentence = describe(_signal(), 0.95)
    assert sentence == (
        "Outputs got 18% longer (mean 412 to 486 characters; 95% CI 3.1% shorter to 22% "
        "longer; KS D = 0.210, q = 0.012)."
    )


def test_a_fall_orders_its_interval_from_the_smaller_change() -> None:
    sentence = describe(_signal(effect=-0.18, low=-0.22, high=-0.14, mean_after=338.1), 0.95)
    assert "got 18% shorter" in sentence and "95% CI 14% to 22% shorter" in sentence


def test_without_an_interval_the_sentence_says_why() -> None:
    signal = _signal(low=None, high=None, interval_reason="bootstrap disabled (0 draws)")
    assert "no interval: bootstrap disabled (0 draws)" in describe(signal, 0.95)


def test_the_table_lists_every_signal_the_sentences_and_the_undefined() -> None:
    rng = np.random.default_rng(5)
    report = compare_windows(
        {"output_length": np.round(rng.lognormal(6, 0.5, 800)), "score:tone": [4.0] * 3},
        {"output_length": np.round(rng.lognormal(6.3, 0.5, 800)), "score:tone": [4.0] * 9},
        draws=100,
    )
    text = render_report(report)
    assert "output_length" in text and "score:tone" in text
    assert f"- {report.signals['output_length'].sentence}" in text
    assert "- score:tone: only 3 rows before have a value" in text
