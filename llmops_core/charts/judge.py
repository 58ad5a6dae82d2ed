"""Charts of the judge comparison report, drawn from its results JSON (no database)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from llmops_core.charts import PALETTE, ChartBuilder, empty_chart, figure, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

Results = Mapping[str, Any]


def _criteria(results: Results) -> dict[str, Any]:
    return dict(results.get("criteria") or {})


def heatmap_chart(results: Results) -> Figure:
    """Return one heatmap per criterion: judge score (rows) by rounded human consensus."""
    criteria = {k: v for k, v in _criteria(results).items() if v["confusion"]["n"]}
    if not criteria:
        return empty_chart("No item has both a judge score and a human rating yet.")
    fig = figure(3.2 * len(criteria) + 0.6, 3.4)
    axes = fig.subplots(1, len(criteria), squeeze=False)[0]
    for ax, (name, section) in zip(axes, criteria.items(), strict=True):
        table = np.asarray(section["confusion"]["counts"], dtype=float)
        levels = section["confusion"]["levels"]
        ax.imshow(table, origin="lower", cmap="Blues", aspect="equal")
        peak = table.max() or 1.0
        for (row, column), count in np.ndenumerate(table):
            if count:
                ax.text(
                    column,
                    row,
                    f"{int(count)}",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if count > peak / 2 else "#1d2330",
                )
        ax.set_xticks(range(len(levels)), [str(v) for v in levels])
        ax.set_yticks(range(len(levels)), [str(v) for v in levels])
        ax.set_xlabel("human consensus (rounded)")
        ax.set_ylabel("judge score")
        ax.set_title(name)
    return fig


def bias_chart(results: Results) -> Figure:
    """Return the judge's mean bias (judge minus humans) per criterion, with its interval."""
    rows = [
        (name, c["agreement"])
        for name, c in _criteria(results).items()
        if c["agreement"].get("bias") is not None
    ]
    if not rows:
        return empty_chart("No bias to show: the judge and the humans share no item.")
    fig, ax = new_figure(6.4, 0.6 + 0.55 * len(rows))
    names = [name for name, _ in rows]
    values = np.array([a["bias"] for _, a in rows])
    low = [a["ci"]["bias"]["low"] for _, a in rows]
    high = [a["ci"]["bias"]["high"] for _, a in rows]
    below = [v - lo if lo is not None else 0 for v, lo in zip(values, low, strict=True)]
    above = [hi - v if hi is not None else 0 for v, hi in zip(values, high, strict=True)]
    errors = np.array([below, above])
    colours = [PALETTE[1] if v > 0 else PALETTE[0] for v in values]
    ax.barh(names, values, xerr=errors, color=colours, capsize=4)
    ax.axvline(0, color="#687083", linewidth=1)
    ax.invert_yaxis()
    ax.set_xlabel("judge minus human consensus (points); right = judge scores higher")
    return fig


def calibration_chart(results: Results) -> Figure:
    """Return the humans' mean score at each judge score, per criterion, against the diagonal."""
    criteria = _criteria(results)
    if not any(row["n"] for c in criteria.values() for row in c["calibration"]):
        return empty_chart("Nothing to calibrate yet.")
    fig, ax = new_figure(6.4, 4.0)
    low = min(c["scale"][0] for c in criteria.values())
    high = max(c["scale"][1] for c in criteria.values())
    ax.plot(
        [low, high],
        [low, high],
        linestyle="--",
        color="#687083",
        linewidth=1,
        label="perfect calibration",
    )
    for index, (name, section) in enumerate(criteria.items()):
        points = [r for r in section["calibration"] if r["n"]]
        xs = [r["judge_score"] for r in points]
        ys = [r["human_mean"] for r in points]
        sizes = [20 + 6 * np.sqrt(r["n"]) for r in points]
        colour = PALETTE[index % len(PALETTE)]
        ax.plot(xs, ys, color=colour, linewidth=1.2)
        ax.scatter(xs, ys, s=sizes, color=colour, label=name, zorder=3)
    ax.set_xlabel("judge score")
    ax.set_ylabel("mean human score of those items")
    ax.set_xlim(low - 0.3, high + 0.3)
    ax.set_ylim(low - 0.3, high + 0.3)
    ax.legend(loc="upper left", frameon=False)
    return fig


def cost_chart(results: Results) -> Figure:
    """Return each judge version's cost per 1,000 items against its agreement with humans."""
    rows = [
        v
        for v in results.get("versions") or []
        if v["cost_per_1000_items"] is not None and v["trust"] is not None
    ]
    if not rows:
        return empty_chart("No priced judge version with an agreement figure yet.")
    fig, ax = new_figure(6.4, 3.8)
    for index, row in enumerate(sorted(rows, key=lambda r: r["cost_per_1000_items"])):
        colour = PALETTE[1] if row["is_subject"] else PALETTE[0]
        ax.scatter(row["cost_per_1000_items"], row["trust"], s=60, color=colour, zorder=3)
        # Alternate labels above and below, so versions of similar cost stay readable.
        ax.annotate(
            row["label"],
            (row["cost_per_1000_items"], row["trust"]),
            textcoords="offset points",
            xytext=(-8, 9 if index % 2 == 0 else -15),
            fontsize=8,
            ha="right",
        )
    ax.set_xlabel("cost per 1,000 items")
    ax.set_ylabel(rows[0]["trust_metric"])
    ax.margins(0.25)
    ax.set_xlim(left=0)  # costs compared in proportion, not zoomed into their difference
    return fig


def trend_chart(results: Results) -> Figure:
    """Return agreement per criterion across the versions of the reported judge."""
    trend = results.get("trend") or []
    if len(trend) < 2:
        return empty_chart("Only one version of this judge has judged these items.")
    fig, ax = new_figure(6.4, 3.6)
    names = list(dict.fromkeys(name for entry in trend for name in entry["criteria"]))
    numbers = [entry["number"] for entry in trend]
    for index, name in enumerate(names):
        values = [entry["criteria"].get(name, {}).get("value") for entry in trend]
        ys = [np.nan if v is None else v for v in values]
        ax.plot(numbers, ys, marker="o", color=PALETTE[index % len(PALETTE)], label=name)
    ax.set_xticks(numbers, [f"v{n}" for n in numbers])
    low, high = ax.get_ylim()
    if high - low < 0.2:  # a flat trend should look flat, not like noise blown up
        middle = (low + high) / 2
        ax.set_ylim(middle - 0.1, middle + 0.1)
    ax.set_xlabel("judge prompt version")
    last: dict[str, Any] = next(iter(trend[-1]["criteria"].values()), {})
    metric = str(last.get("metric", "agreement"))
    ax.set_ylabel(metric.replace("_", " "))
    ax.legend(frameon=False)
    return fig


def position_chart(results: Results) -> Figure:
    """Return, per criterion, how often the pairwise verdict flips when the order is swapped."""
    pairwise = results.get("pairwise") or {}
    rows = [
        (name, c)
        for name, c in (pairwise.get("criteria") or {}).items()
        if c["position_bias_rate"] is not None
    ]
    if not rows:
        return empty_chart("No pair was judged in both orders yet.")
    fig, ax = new_figure(6.4, 0.6 + 0.55 * len(rows))
    names = [name for name, _ in rows]
    ax.barh(
        names,
        [c["position_bias_rate"] for _, c in rows],
        color=PALETTE[3],
        label="verdict flips when swapped",
    )
    agreement = [c["human_agreement"] for _, c in rows]
    if any(a is not None for a in agreement):
        ax.scatter(
            [a if a is not None else np.nan for a in agreement],
            names,
            color=PALETTE[2],
            zorder=3,
            label="agreement with human preference",
        )
    ax.set_xlim(0, 1)
    ax.invert_yaxis()
    ax.set_xlabel("share of pairs")
    ax.legend(frameon=False, loc="lower right")
    return fig


POINTWISE_CHARTS: dict[str, ChartBuilder] = {
    "heatmap": heatmap_chart,
    "bias": bias_chart,
    "calibration": calibration_chart,
    "cost": cost_chart,
    "trend": trend_chart,
}
PAIRWISE_CHARTS: dict[str, ChartBuilder] = {
    "position": position_chart,
    "cost": cost_chart,
    "trend": trend_chart,
}
CHARTS: dict[str, ChartBuilder] = {**POINTWISE_CHARTS, **PAIRWISE_CHARTS}
CHART_TITLES = {
    "heatmap": "Judge score vs human consensus",
    "bias": "Bias per criterion",
    "calibration": "Calibration",
    "cost": "Cost vs agreement",
    "trend": "Agreement across judge prompt versions",
    "position": "Position bias",
}


def charts_for(results: Results) -> dict[str, ChartBuilder]:
    """Return the charts that apply to a report (pointwise or pairwise)."""
    mode = (results.get("judge") or {}).get("mode")
    return PAIRWISE_CHARTS if mode == "pairwise" else POINTWISE_CHARTS
