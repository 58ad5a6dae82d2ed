"""Charts of an agreement report, drawn from its stored results (never from the database).

Each builder takes the report's ``results`` dict and returns a matplotlib figure; ``CHARTS``
names them for the URLs. Undefined values are shown as gaps or "n/a", never as zero.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from llmops_core.charts import PALETTE, draw_interval, empty_chart, figure, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

GOOD, TENTATIVE = 0.8, 0.667
ALPHA_LEVEL = "ordinal"
MAX_HEATMAP_REVIEWERS = 12
BANDS = ((-1.0, TENTATIVE, "#fbe9e7"), (TENTATIVE, GOOD, "#fff4e0"), (GOOD, 1.0, "#e6f4ea"))
MUTED = "#687083"


def _order(results: dict[str, Any]) -> list[str]:
    """Return the criteria that have results, in rubric order."""
    criteria = results.get("criteria") or {}
    order = [n for n in results.get("criteria_order", []) if n in criteria]
    return order + sorted(set(criteria) - set(order))


def _grid(n: int, width: float = 3.0, height: float = 2.8) -> tuple[Figure, list[Any]]:
    """Return a figure with ``n`` side-by-side axes in the house style."""
    fig = figure(max(6.4, width * n), height)
    axes = fig.subplots(1, n, squeeze=False)[0]
    return fig, list(axes)


def _bands(ax: Any, horizontal: bool) -> None:
    """Shade Krippendorff's poor / tentative / good zones behind the values."""
    for low, high, colour in BANDS:
        span = ax.axvspan if horizontal else ax.axhspan
        span(low, high, color=colour, zorder=0, linewidth=0)
    for threshold in (TENTATIVE, GOOD):
        line = ax.axvline if horizontal else ax.axhline
        line(threshold, color=MUTED, linestyle="--", linewidth=0.8, zorder=1)


def alpha_chart(results: dict[str, Any]) -> Figure:
    """Plot ordinal alpha per criterion with its 95% bootstrap interval."""
    names = _order(results)
    if not names:
        return empty_chart("No ratings: nothing to plot.")
    fig, ax = new_figure(6.4, 0.8 + 0.55 * len(names))
    lows = [0.0]
    for row, name in enumerate(names):
        section = results["criteria"][name]
        alpha = section["krippendorff_alpha"][ALPHA_LEVEL]
        ci = section["krippendorff_alpha_ci"][ALPHA_LEVEL]
        if alpha is None:
            ax.text(0.02, row, "n/a (cannot be measured)", va="center", color=MUTED)
            continue
        low, high = ci.get("low"), ci.get("high")
        if low is not None and high is not None:
            draw_interval(ax, alpha, row, low, high, color=PALETTE[0])
            label = f"{alpha:.2f} [{low:.2f}, {high:.2f}]"
            lows.append(low)
        else:
            ax.plot(alpha, row, "o", color=PALETTE[0], zorder=3)
            label = f"{alpha:.2f}"
            lows.append(alpha)
        ax.annotate(
            label, (alpha, row), xytext=(0, 8), textcoords="offset points", ha="center", fontsize=8
        )
    _bands(ax, horizontal=True)
    ax.set_xlim(min(-0.05, min(lows) - 0.05), 1.02)
    ax.set_ylim(len(names) - 0.4, -0.6)
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("Krippendorff's alpha (ordinal), 95% bootstrap CI")
    return fig


def distribution_chart(results: dict[str, Any]) -> Figure:
    """Plot the share of each score per criterion."""
    dist = results.get("distribution") or {}
    names = [n for n in results.get("criteria_order", []) if dist.get(n, {}).get("n")]
    if not names:
        return empty_chart("No ratings: nothing to plot.")
    fig, axes = _grid(len(names))
    for index, (ax, name) in enumerate(zip(axes, names, strict=True)):
        entry = dist[name]
        shares = np.asarray(entry["counts"], dtype=float) / entry["n"]
        ax.bar(entry["values"], shares * 100, color=PALETTE[index % len(PALETTE)])
        ax.set_xticks(entry["values"])
        ax.set_title(f"{name} (n={entry['n']})", fontsize=10)
        ax.set_xlabel("score")
        if index == 0:
            ax.set_ylabel("% of ratings")
    return fig


@dataclass(frozen=True)
class PairMatrix:
    """Weighted kappa of every reviewer pair of one criterion, as a square matrix."""

    reviewers: list[str]
    values: np.ndarray
    counts: np.ndarray


def pair_matrix(section: dict[str, Any], kind: str = "quadratic") -> PairMatrix:
    """Return the pairwise kappa matrix of the reviewers with the most ratings."""
    ranked = sorted(section["reviewers"], key=lambda r: (-r["n_ratings"], str(r["reviewer"])))
    names = sorted(str(r["reviewer"]) for r in ranked[:MAX_HEATMAP_REVIEWERS])
    where = {name: i for i, name in enumerate(names)}
    values = np.full((len(names), len(names)), np.nan)
    counts = np.zeros((len(names), len(names)), dtype=int)
    for pair in section["cohen_kappa"]["pairs"]:
        a, b = where.get(str(pair["a"])), where.get(str(pair["b"]))
        if a is None or b is None:
            continue
        value = np.nan if pair.get(kind) is None else pair[kind]
        values[a, b] = values[b, a] = value
        counts[a, b] = counts[b, a] = pair["n"]
    return PairMatrix(names, values, counts)


def heatmap_chart(results: dict[str, Any]) -> Figure:
    """Plot quadratic-weighted Cohen's kappa for every pair of reviewers, per criterion."""
    names = [n for n in _order(results) if results["criteria"][n]["cohen_kappa"]["pairs"]]
    if not names:
        return empty_chart("No two reviewers rated the same item: no pairs to compare.")
    size = len(pair_matrix(results["criteria"][names[0]]).reviewers)
    fig, axes = _grid(
        len(names), width=max(3.0, 0.45 * size + 1.2), height=max(2.8, 0.45 * size + 1.4)
    )
    from matplotlib import colormaps  # loaded with the figure, by figure() above

    cmap = colormaps["RdYlGn"].with_extremes(bad="#e2e5ec")
    image = None
    for ax, name in zip(axes, names, strict=True):
        matrix = pair_matrix(results["criteria"][name])
        image = ax.imshow(np.ma.masked_invalid(matrix.values), cmap=cmap, vmin=0.0, vmax=1.0)
        ticks = range(len(matrix.reviewers))
        ax.set_xticks(ticks, matrix.reviewers, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(ticks, matrix.reviewers if ax is axes[0] else [], fontsize=8)
        ax.set_title(name, fontsize=10)
        for (i, j), value in np.ndenumerate(matrix.values):
            if i != j and np.isfinite(value) and len(matrix.reviewers) <= 8:
                ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7)
        ax.spines[:].set_visible(False)
        ax.tick_params(length=0)
    if image is not None:
        fig.colorbar(image, ax=axes, shrink=0.8, label="weighted kappa (quadratic)")
    return fig


def trend_chart(results: dict[str, Any]) -> Figure:
    """Plot ordinal alpha per criterion per day or ISO week (items in their first period)."""
    trend = results.get("trend") or {}
    periods = trend.get("periods") or []
    series = trend.get("criteria") or {}
    if not periods:
        return empty_chart("No ratings over time yet.")
    fig, ax = new_figure(6.4, 3.2)
    position = {period: i for i, period in enumerate(periods)}
    lowest = 0.0
    for index, name in enumerate(n for n in results.get("criteria_order", []) if n in series):
        points = [
            (position[e["period"]], e["alpha"])
            for e in series[name]
            if e["alpha"] is not None and e["period"] in position
        ]
        if points:
            x, y = zip(*points, strict=True)
            ax.plot(x, y, marker="o", label=name, color=PALETTE[index % len(PALETTE)])
            lowest = min(lowest, *y)
    _bands(ax, horizontal=False)
    ax.set_xticks(
        range(len(periods)),
        periods,
        rotation=30 if len(periods) > 4 else 0,
        fontsize=8,
        ha="right" if len(periods) > 4 else "center",
    )
    ax.set_xlim(-0.5, len(periods) - 0.5)
    ax.set_xlabel(f"{trend.get('unit', 'week')} of each item's first rating")
    ax.set_ylabel("alpha (ordinal)")
    ax.set_ylim(lowest - 0.05, 1.02)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower left", fontsize=8, frameon=False)
    else:
        ax.text(
            0.5,
            0.5,
            "Too few overlapping ratings in any period",
            transform=ax.transAxes,
            ha="center",
            color=MUTED,
        )
    return fig


@dataclass(frozen=True)
class ChartSpec:
    """A chart of the report page: its builder, title and alt text."""

    build: Callable[[dict[str, Any]], Figure]
    title: str
    alt: str


CHARTS: dict[str, ChartSpec] = {
    "alpha": ChartSpec(
        alpha_chart,
        "Agreement per criterion",
        "Krippendorff's alpha per criterion with 95% confidence intervals",
    ),
    "distribution": ChartSpec(
        distribution_chart, "Score distribution", "Share of each score, per criterion"
    ),
    "heatmap": ChartSpec(
        heatmap_chart,
        "Reviewer-by-reviewer agreement",
        "Weighted kappa between each pair of reviewers, per criterion",
    ),
    "trend": ChartSpec(
        trend_chart, "Agreement over time", "Krippendorff's alpha per criterion per week"
    ),
}
