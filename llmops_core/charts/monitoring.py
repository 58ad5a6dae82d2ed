"""The monitoring chart: requests and errors, latency percentiles, tokens and cost over time.

Drawn from the monitoring report (``selectors.monitoring.monitoring_report``), never from the
database. Periods without outputs are gaps, not zeros; the filter's model name is user text
and is drawn as written (mathtext is off; matplotlib escapes it in the SVG).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from llmops_core.charts import PALETTE, empty_chart, figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FORMATS = {"hour": "%m-%d %H:00", "day": "%Y-%m-%d", "week": "%G-W%V"}


def _ticks(ax: Any, times: list[dt.datetime], granularity: str) -> None:
    step = max(1, len(times) // 8)
    shown = times[::step]
    ax.set_xticks(shown, [t.strftime(FORMATS[granularity]) for t in shown], fontsize=7)
    for label in ax.get_xticklabels():
        label.set_rotation(30)
        label.set_horizontalalignment("right")


def _line(ax: Any, times: list[dt.datetime], values: list[Any], **style: Any) -> None:
    points = [(t, v) for t, v in zip(times, values, strict=True) if v is not None]
    if points:
        xs, ys = zip(*points, strict=True)
        ax.plot(xs, ys, marker="o", markersize=2.5, linewidth=1.2, **style)


def monitoring_chart(report: dict[str, Any]) -> Figure:
    """Plot the report's series in four panels: traffic, latency, tokens, cost."""
    series = report.get("series") or []
    if not series:
        return empty_chart("No outputs in this range: nothing to plot.")
    granularity = report.get("granularity", "day")
    times = [dt.datetime.fromisoformat(row["period"]) for row in series]
    fig = figure(9.6, 6.4)
    (traffic, latency), (tokens, cost) = fig.subplots(2, 2, squeeze=False)
    traffic.bar(times, [r["requests"] for r in series], color=PALETTE[0], width=_width(granularity))
    traffic.set_ylabel("requests")
    rate = traffic.twinx()
    _line(rate, times, [r["error_rate"] * 100 for r in series], color=PALETTE[3], label="errors")
    rate.set_ylabel("error rate (%)")
    rate.set_ylim(bottom=0)
    for name, colour in (("p50", PALETTE[2]), ("p95", PALETTE[1]), ("p99", PALETTE[3])):
        _line(latency, times, [r[f"latency_{name}_ms"] for r in series], color=colour, label=name)
    latency.set_ylabel("latency (ms)")
    _line(tokens, times, [r["tokens_in"] for r in series], color=PALETTE[0], label="in")
    _line(tokens, times, [r["tokens_out"] for r in series], color=PALETTE[4], label="out")
    tokens.set_ylabel("tokens")
    _line(cost, times, [r["cost"] for r in series], color=PALETTE[5], label="cost")
    cost.set_ylabel("cost ($)")
    for ax in (traffic, latency, tokens, cost):
        _ticks(ax, times, granularity)
        if ax is not traffic and ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7, frameon=False, loc="upper left")
    model = (report.get("filters") or {}).get("model")
    title = f"{granularity}ly, model {model}" if model else f"{granularity}ly, all models"
    fig.suptitle(title.replace("dayly", "daily"), fontsize=10)
    return fig


def _width(granularity: str) -> float:
    """Return a bar's width in days (matplotlib's date unit)."""
    return {"hour": 1 / 24, "day": 1.0, "week": 7.0}[granularity] * 0.8
