"""Render a drift report as a readable table followed by its sentences and undefined reasons."""

from __future__ import annotations

from llmops_core.metrics.drift.compare import MIN_RELATIVE_CHANGE, MIN_SCORE_POINTS, DriftReport
from llmops_core.metrics.drift.signal import Signal

HEADER = (
    "signal",
    "test",
    "n before",
    "n after",
    "mean before",
    "mean after",
    "effect [CI]",
    "p",
    "q",
    "PSI",
    "drifted",
)


def _p(value: float | None) -> str:
    if value is None:
        return "n/a"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _mean(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.1f}" if abs(value) >= 100 else f"{value:.4g}"


def _effect(signal: Signal) -> str:
    if signal.effect is None:
        return "n/a"

    def show(value: float) -> str:
        return f"{value:+.2f}" if signal.is_score else f"{value * 100:+.1f}%"

    if signal.low is None or signal.high is None:
        return f"{show(signal.effect)} [no CI]"
    return f"{show(signal.effect)} [{show(signal.low)}, {show(signal.high)}]"


def _drifted(value: bool | None) -> str:
    return "n/a" if value is None else ("yes" if value else "no")


def _row(signal: Signal) -> tuple[str, ...]:
    return (
        signal.name,
        signal.test,
        str(signal.n_before),
        str(signal.n_after),
        _mean(signal.mean_before),
        _mean(signal.mean_after),
        _effect(signal),
        _p(signal.p_value),
        _p(signal.q_value),
        "n/a" if signal.psi is None else f"{signal.psi:.3f}",
        _drifted(signal.drifted),
    )


def render_report(report: DriftReport) -> str:
    """Return the report as text: settings, one table row per signal, then the sentences."""
    rows = [HEADER, *(_row(signal) for signal in report.signals.values())]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = [
        f"Drift over {len(report.signals)} signals: Benjamini-Hochberg at q < {report.alpha:g}, "
        f"minimum effect {MIN_RELATIVE_CHANGE:.0%} of the mean (lengths, latency, cost) or "
        f"{MIN_SCORE_POINTS:g} points (scores); {report.confidence:.0%} bootstrap CIs "
        f"({report.draws} draws, seed {report.seed}).",
        "",
        *(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            for row in rows
        ),
        "",
    ]
    drifted = report.drifted
    if drifted:
        lines += ["What changed:", *(f"- {signal.sentence}" for signal in drifted)]
    else:
        lines.append("No signal drifted.")
    undefined = [signal for signal in report.signals.values() if signal.reason]
    if undefined:
        lines += ["", "Undefined:", *(f"- {s.name}: {s.reason}" for s in undefined)]
    return "\n".join(lines) + "\n"
