"""Charts of drift reports, drawn from stored results: what changed, and how lengths moved.

Criterion names are user text: matplotlib escapes them in SVG, and mathtext is off for every
chart (``charts._matplotlib``), so a name is drawn as written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from llmops_core.charts import PALETTE, draw_interval, empty_chart, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MUTED = "#687083"
DRIFTED = "#b42318"


def _signals(results: dict[str, Any], want: Callable[[str, dict[str, Any]], bool]) -> list[Any]:
    signals = ((results.get("drift") or {}).get("signals")) or {}
    return [(n, s) for n, s in signals.items() if s.get("effect") is not None and want(n, s)]


def _interval_chart(rows: list[Any], scale: float, xlabel: str, empty: str) -> Figure:
    if not rows:
        return empty_chart(empty)
    fig, ax = new_figure(6.4, 1.0 + 0.45 * len(rows))
    ax.axvline(0, color=MUTED, linewidth=0.9, zorder=1)
    labels = []
    for y, (name, s) in enumerate(reversed(rows)):
        colour = DRIFTED if s.get("drifted") else PALETTE[0]
        low, high = s.get("low"), s.get("high")
        draw_interval(
            ax,
            s["effect"] * scale,
            y,
            None if low is None else low * scale,
            None if high is None else high * scale,
            color=colour,
        )
        labels.append(f"{name} (q={s['q_value']:.3f})" if s.get("q_value") is not None else name)
    ax.set_yticks(range(len(rows)), labels)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlabel(xlabel)
    return fig


def changes_chart(results: dict[str, Any]) -> Figure:
    """Plot the relative change of each continuous signal's mean with its 95% interval."""
    rows = _signals(results, lambda n, s: s.get("effect_kind") == "relative_change_of_mean")
    return _interval_chart(
        rows,
        100.0,
        "change of the mean, after against before (%), 95% bootstrap CI; red: drifted",
        "No length, latency or cost could be compared: nothing to plot.",
    )


def scores_chart(results: dict[str, Any]) -> Figure:
    """Plot each criterion's change of mean score (humans and judge) with its 95% interval."""
    rows = _signals(results, lambda n, s: n.startswith(("score:", "judge:")))
    return _interval_chart(
        rows,
        1.0,
        "change of the mean score (scale points), 95% bootstrap CI; red: drifted",
        "No human or judge scores in both windows: nothing to plot.",
    )


def lengths_chart(results: dict[str, Any]) -> Figure:
    """Plot the share of outputs by length in each window (the top 1% folded into the last bin)."""
    hist = (results.get("histograms") or {}).get("output_length") or {}
    edges = hist.get("edges") or []
    if not edges:
        return empty_chart("No outputs in either window: nothing to plot.")
    fig, ax = new_figure(6.4, 3.0)
    windows = results.get("windows") or {}
    for colour, key in ((MUTED, "before"), (PALETTE[0], "after")):
        counts = np.asarray(hist.get(key) or [], dtype=float)
        if counts.sum() == 0:
            continue
        label = f"{key}: {(windows.get(key) or {}).get('label', '')}"
        ax.stairs(counts / counts.sum(), edges, color=colour, linewidth=1.6, label=label)
    ax.set_xlabel("output length (characters)")
    ax.set_ylabel("share of outputs")
    ax.legend(frameon=False, fontsize=8, loc="upper right")
    return fig


@dataclass(frozen=True)
class ChartSpec:
    title: str
    alt: str
    build: Callable[[dict[str, Any]], Figure]


CHARTS: dict[str, ChartSpec] = {
    "changes": ChartSpec(
        "Lengths, latency and cost",
        "Relative change of each mean with 95% intervals",
        changes_chart,
    ),
    "scores": ChartSpec(
        "Scores", "Change of each criterion's mean score with 95% intervals", scores_chart
    ),
    "lengths": ChartSpec(
        "Output lengths", "Share of outputs by length, before and after", lengths_chart
    ),
}
