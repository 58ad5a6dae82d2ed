"""The judge calibration chart: the humans' mean at each judge level, with counts (no database)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from llmops_core.charts import PALETTE, empty_chart, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def calibration_curve_chart(data: Mapping[str, Any]) -> Figure:
    """Return the mean human label per judge level (or bin) with its interval, vs the diagonal.

    ``data`` is one criterion's calibration (``CriterionCalibration.as_dict()``). Each point
    is labelled with how many outputs humans rated at that level out of those judged there.
    """
    levels = [row for row in data.get("levels") or [] if row["human_mean"] is not None]
    if not levels:
        return empty_chart("No output has both this judge's score and a human rating yet.")
    fig, ax = new_figure(6.4, 4.0)
    xs = [(row["judge_low"] + row["judge_high"]) / 2 for row in levels]
    ys = [row["human_mean"] for row in levels]
    scale = data.get("scale") or [min(xs + ys), max(xs + ys)]
    low, high = float(min(scale[0], *xs, *ys)), float(max(scale[1], *xs, *ys))
    ax.plot([low, high], [low, high], linestyle="--", color="#687083", linewidth=1)
    ax.plot(xs, ys, color=PALETTE[0], linewidth=1.2, marker="o", zorder=3)
    for x, row in zip(xs, levels, strict=True):
        if row["low"] is not None and row["high"] is not None:
            ax.vlines(x, row["low"], row["high"], colors=PALETTE[0], linewidth=1.2, zorder=2)
        ax.annotate(
            f"{row['n_rated']}/{row['n_judged']}",
            (x, row["human_mean"]),
            textcoords="offset points",
            xytext=(6, -12),
            fontsize=8,
            color="#3d4456",
        )
    ax.set_xlim(low - 0.4, high + 0.4)
    ax.set_ylim(low - 0.4, high + 0.4)
    ax.set_xlabel("judge score" + (" (bin centre)" if data.get("binned") else ""))
    ax.set_ylabel("mean human label (rated / judged)")
    ax.set_title(str(data.get("criterion", "")))
    return fig
