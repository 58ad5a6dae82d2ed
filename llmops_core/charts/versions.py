"""Charts of scorecards and version comparisons, drawn from stored report results.

Each builder takes a report's ``results`` dict and returns a matplotlib figure; ``CHARTS`` names
them for the URLs and says which report kind each one draws. Missing values are gaps or "n/a".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llmops_core.charts import PALETTE, draw_interval, empty_chart, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MUTED = "#687083"
VERDICT_COLOURS = {"better": "#1d7a46", "worse": "#b42318", "not_distinguishable": MUTED}
OUTCOME_COLOURS = {"win": "#1d7a46", "tie": "#c9ced8", "loss": "#b42318"}


def difference_chart(results: dict[str, Any]) -> Figure:
    """Plot candidate minus baseline per criterion with its bootstrap interval, and the judge's."""
    human = results.get("criteria") or {}
    judge = (results.get("judge") or {}).get("criteria") or {}
    rows = [(name, c, "humans") for name, c in human.items()]
    rows += [(name, c, "judge") for name, c in judge.items()]
    rows = [r for r in rows if r[1]["n"]]
    if not rows:
        return empty_chart("No input was rated for both versions: nothing to plot.")
    fig, ax = new_figure(6.4, 1.0 + 0.5 * len(rows))
    ax.axvline(0, color=MUTED, linewidth=0.9, zorder=1)
    labels = []
    for y, (name, c, source) in enumerate(reversed(rows)):
        value, ci = c["mean_difference"], c["ci"]
        colour = VERDICT_COLOURS.get(c["verdict"], MUTED)
        draw_interval(
            ax,
            value,
            y,
            ci.get("low"),
            ci.get("high"),
            marker="o" if source == "humans" else "s",
            color=colour,
            mfc=colour if source == "humans" else "white",
        )
        ax.annotate(
            f"{value:+.2f}",
            (value, y),
            xytext=(0, 7),
            textcoords="offset points",
            ha="center",
            fontsize=8,
            color=colour,
        )
        labels.append(f"{name} ({source}, n={c['n']})")
    ax.set_yticks(range(len(rows)), labels)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    candidate, baseline = results["candidate"]["number"], results["baseline"]["number"]
    ax.set_xlabel(f"v{candidate} minus v{baseline}: mean difference with 95% bootstrap CI")
    return fig


def win_rate_chart(results: dict[str, Any]) -> Figure:
    """Plot the candidate's win / tie / loss shares per criterion (and overall)."""
    win_rate = results.get("win_rate") or {}
    rows: list[tuple[str, Any]] = (
        [("overall", win_rate["overall"])] if win_rate.get("overall") else []
    )
    rows += list((win_rate.get("criteria") or {}).items())
    rows = [(name, r) for name, r in rows if r and r["n"]]
    if not rows:
        return empty_chart("No paired inputs or preferences yet: nothing to plot.")
    fig, ax = new_figure(6.4, 1.0 + 0.45 * len(rows))
    for y, (_, r) in enumerate(reversed(rows)):
        left = 0.0
        for outcome in ("win", "tie", "loss"):
            share = r[outcome]["rate"] or 0.0
            ax.barh(
                y,
                share,
                left=left,
                color=OUTCOME_COLOURS[outcome],
                height=0.6,
                label=outcome if y == 0 else None,
            )
            if share >= 0.08:
                ax.text(
                    left + share / 2,
                    y,
                    f"{share:.0%}",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if outcome != "tie" else "#1d2330",
                )
            left += share
    ax.set_yticks(range(len(rows)), [f"{name} (n={r['n']})" for name, r in reversed(rows)])
    ax.set_xlim(0, 1)
    source = "human preferences" if win_rate.get("source") == "preferences" else "consensus"
    ax.set_xlabel(f"share of paired inputs (from {source})")
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=3, frameon=False, fontsize=8)
    return fig


def scorecard_chart(results: dict[str, Any]) -> Figure:
    """Plot the human mean per criterion with its interval, and the judge's mean."""
    criteria = [
        c
        for c in results.get("criteria") or []
        if c["human"]["mean"] is not None or c["judge"] is not None
    ]
    if not criteria:
        return empty_chart("No ratings or judge scores yet: nothing to plot.")
    fig, ax = new_figure(6.4, 1.0 + 0.5 * len(criteria))
    lows, highs = [], []
    for y, c in enumerate(reversed(criteria)):
        mean = c["human"]["mean"]
        if mean is not None:
            draw_interval(
                ax,
                mean,
                y,
                c["human"]["ci_low"],
                c["human"]["ci_high"],
                color=PALETTE[0],
                label="humans" if y == 0 else None,
            )
        if c["judge"] is not None:
            ax.plot(
                c["judge"]["mean"],
                y,
                "s",
                mfc="white",
                color=PALETTE[1],
                zorder=4,
                label="judge" if y == 0 else None,
            )
        if c["scale"]:
            lows.append(c["scale"][0])
            highs.append(c["scale"][1])
    ax.set_yticks(
        range(len(criteria)),
        [f"{c['name']} (n={c['human']['n_items']})" for c in reversed(criteria)],
    )
    if lows:
        ax.set_xlim(min(lows) - 0.2, max(highs) + 0.2)
    ax.set_ylim(-0.7, len(criteria) - 0.3)
    ax.set_xlabel("mean score with 95% bootstrap CI (each output counted once)")
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, frameon=False, fontsize=8)
    return fig


@dataclass(frozen=True)
class ChartSpec:
    title: str
    alt: str
    kind: str
    build: Callable[[dict[str, Any]], Figure]


CHARTS: dict[str, ChartSpec] = {
    "differences": ChartSpec(
        "Per-criterion difference",
        "Mean difference per criterion with 95% intervals",
        "version_comparison",
        difference_chart,
    ),
    "win-rate": ChartSpec(
        "Wins, ties and losses",
        "Share of inputs where the candidate wins, ties or loses",
        "version_comparison",
        win_rate_chart,
    ),
    "scorecard": ChartSpec(
        "Scores per criterion",
        "Human mean per criterion with 95% intervals and judge mean",
        "scorecard",
        scorecard_chart,
    ),
}
