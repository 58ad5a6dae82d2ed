"""Plain-words sentences for drifted signals; every number in them is the report's, rounded."""

from __future__ import annotations

from typing import Final, NamedTuple

from llmops_core.metrics.drift.rates import is_rate
from llmops_core.metrics.drift.signal import JUDGE_PREFIX, SCORE_PREFIX, Signal
from llmops_core.metrics.drift.vocabulary import VOCABULARY


class Wording(NamedTuple):
    subject: str
    up: str
    down: str
    unit: str


WORDINGS: Final = {
    "output_length": Wording("Outputs", "longer", "shorter", " characters"),
    "input_length": Wording("Inputs", "longer", "shorter", " characters"),
    "latency_ms": Wording("Responses", "slower", "faster", " ms"),
    "cost": Wording("Cost per output", "higher", "lower", ""),
}
RATE_SUBJECTS: Final = {
    "refusal_rate": "Refusals",
    "error_rate": "Errors",
    "feedback_down_rate": "Thumbs down from end users",
}


def percent(change: float) -> str:
    """Return the size of a relative change as a percentage: "18%", "5.3%"."""
    size = abs(change) * 100
    return f"{size:.0f}%" if round(size, 1) >= 10 else f"{size:.1f}%"


def amount(value: float) -> str:
    """Return a mean in plain digits: "1,204" from 100 up, three significant digits below."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def q_text(q_value: float) -> str:
    """Return "q < 0.001" or "q = 0.012"."""
    return "q < 0.001" if q_value < 0.001 else f"q = {q_value:.3f}"


def _relative_interval(low: float, high: float, wording: Wording) -> str:
    if low > 0:
        return f"{percent(low)} to {percent(high)} {wording.up}"
    if high < 0:
        return f"{percent(high)} to {percent(low)} {wording.down}"
    return f"{percent(low)} {wording.down} to {percent(high)} {wording.up}"


def _interval(signal: Signal, confidence: float, text: str | None) -> str:
    if text is None:
        return f"no interval: {signal.interval_reason}"
    return f"{confidence:.0%} CI {text}"


def describe_continuous(signal: Signal, confidence: float) -> str:
    """Return e.g. "Outputs got 18% longer (mean 412 to 486 characters; 95% CI 14% to 22%
    longer; KS D = 0.210, q < 0.001)."."""
    assert signal.effect is not None and signal.q_value is not None
    assert signal.mean_before is not None and signal.mean_after is not None
    wording = WORDINGS.get(signal.name, Wording(signal.name, "higher", "lower", ""))
    direction = wording.up if signal.effect > 0 else wording.down
    ci = None
    if signal.low is not None and signal.high is not None:
        ci = _relative_interval(signal.low, signal.high, wording)
    return (
        f"{wording.subject} got {percent(signal.effect)} {direction} "
        f"(mean {amount(signal.mean_before)} to {amount(signal.mean_after)}{wording.unit}; "
        f"{_interval(signal, confidence, ci)}; "
        f"KS D = {signal.statistic:.3f}, {q_text(signal.q_value)})."
    )


def describe_score(signal: Signal, confidence: float) -> str:
    """Return e.g. 'Scores for "relevance" fell from 4.10 to 3.80 (-0.30 points; 95% CI -0.42
    to -0.18; chi-square 12.30 on 3 df, q = 0.002).'."""
    assert signal.effect is not None and signal.q_value is not None
    assert signal.mean_before is not None and signal.mean_after is not None
    judge = signal.name.startswith(JUDGE_PREFIX)
    criterion = signal.name.removeprefix(JUDGE_PREFIX if judge else SCORE_PREFIX)
    verb = "rose" if signal.effect > 0 else "fell"
    ci = None
    if signal.low is not None and signal.high is not None:
        ci = f"{signal.low:+.2f} to {signal.high:+.2f}"
    return (
        f'{"Judge scores" if judge else "Scores"} for "{criterion}" {verb} from '
        f"{signal.mean_before:.2f} to "
        f"{signal.mean_after:.2f} ({signal.effect:+.2f} points; "
        f"{_interval(signal, confidence, ci)}; "
        f"chi-square {signal.statistic:.2f} on {signal.details['df']} df, "
        f"{q_text(signal.q_value)})."
    )


def _points(value: float) -> str:
    return f"{value * 100:+.1f} points"


def describe_rate(signal: Signal, confidence: float) -> str:
    """Return e.g. "Refusals rose from 2.0% to 5.1% of outputs (+3.1 points; 95% CI +2.0
    points to +4.2 points; chi-square 21.40, q < 0.001)."."""
    assert signal.effect is not None and signal.q_value is not None
    assert signal.mean_before is not None and signal.mean_after is not None
    subject = RATE_SUBJECTS.get(signal.name, f'"{signal.name}"')
    verb = "rose" if signal.effect > 0 else "fell"
    ci = None
    if signal.low is not None and signal.high is not None:
        ci = f"{_points(signal.low)} to {_points(signal.high)}"
    test = (
        "Fisher's exact test"
        if signal.test == "fisher_exact"
        else (f"chi-square {signal.statistic:.2f}")
    )
    return (
        f"{subject} {verb} from {signal.mean_before:.1%} to {signal.mean_after:.1%} of outputs "
        f"({_points(signal.effect)}; {_interval(signal, confidence, ci)}; "
        f"{test}, {q_text(signal.q_value)})."
    )


def describe_vocabulary(signal: Signal, confidence: float) -> str:
    """Return e.g. 'The wording changed: 12% of the word mass among the 50 most frequent words
    moved (95% CI 9% to 15%; most: "refund" 0.4% to 2.1%; permutation q = 0.002).'."""
    assert signal.effect is not None and signal.q_value is not None
    ci = None
    if signal.low is not None and signal.high is not None:
        ci = f"{percent(signal.low)} to {percent(signal.high)}"
    moved = signal.details.get("moved") or []
    most = ""
    if moved:
        top = moved[0]
        most = f'; most: "{top["token"]}" {top["share_before"]:.1%} to {top["share_after"]:.1%}'
    return (
        f"The wording changed: {percent(signal.effect)} of the word mass among the "
        f"{signal.details.get('top_k')} most frequent words moved "
        f"({_interval(signal, confidence, ci)}{most}; permutation {q_text(signal.q_value)})."
    )


def describe(signal: Signal, confidence: float) -> str:
    """Return the sentence for a drifted signal."""
    if signal.is_score:
        return describe_score(signal, confidence)
    if is_rate(signal.name):
        return describe_rate(signal, confidence)
    if signal.name == VOCABULARY:
        return describe_vocabulary(signal, confidence)
    return describe_continuous(signal, confidence)
