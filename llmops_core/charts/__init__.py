"""Charts rendered server-side with matplotlib (offline), as SVG for pages and PNG downloads.

Each report family has its own module (``agreement``, ``judge``, ``versions``); this package
holds the shared rendering helpers so every chart looks the same. matplotlib is imported by
``figure()`` on the first chart drawn, never when a module here is imported: a web process
that lists reports but draws no chart does not carry it.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PALETTE = ["#3457d5", "#e07a1f", "#1d7a46", "#b42318", "#7a4fd1", "#0f8a8a"]
FORMATS = {"svg": "image/svg+xml", "png": "image/png"}


@functools.cache
def _matplotlib() -> Any:
    """Import matplotlib once, headless (Agg), in the house style; return the module."""
    import matplotlib
    from cycler import cycler

    matplotlib.use("Agg")
    matplotlib.rcParams.update(
        {
            "font.family": "DejaVu Sans",
            "font.size": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.prop_cycle": cycler(color=PALETTE),
            "svg.hashsalt": "llmops",  # deterministic SVG ids
            "svg.fonttype": "none",
            # Names, titles and labels are user text: "$...$" in a criterion name must be drawn
            # as written, not parsed as mathtext (an unknown macro raised: the chart was a 500).
            "text.parse_math": False,
        }
    )
    return matplotlib


def figure(width: float = 6.4, height: float = 3.6) -> Figure:
    """Return an empty figure of ``width`` x ``height`` inches in the house style."""
    _matplotlib()
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def new_figure(width: float = 6.4, height: float = 3.6) -> tuple[Figure, Any]:
    """Return a figure and its single axes, in the house style."""
    fig = figure(width, height)
    return fig, fig.add_subplot()


def render(fig: Figure, fmt: str = "svg") -> bytes:
    """Serialise ``fig`` as SVG or PNG bytes (no timestamps, so output is reproducible)."""
    if fmt not in FORMATS:
        raise ValueError(f"chart format {fmt!r} is not one of {', '.join(FORMATS)}")
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    fig.savefig(buffer, format=fmt, metadata=metadata)
    return buffer.getvalue()


def empty_chart(message: str) -> Figure:
    """Return a small figure that says why there is nothing to plot."""
    fig, ax = new_figure(6.4, 1.2)
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", color="#687083")
    return fig


ChartBuilder = Callable[[dict[str, Any]], "Figure"]


def draw_interval(
    ax: Any, value: float, y: float, low: float | None, high: float | None, **point: Any
) -> None:
    """Plot ``value`` at height ``y`` with its interval from ``low`` to ``high`` (if known).

    A bootstrap percentile interval need not contain its estimate (alpha near a bound is
    often outside it), so the interval is drawn where it is, not as error lengths around the
    point: matplotlib refuses a negative length. ``point`` styles the marker (``color``...).
    """
    colour = point.get("color", PALETTE[0])
    if low is not None and high is not None:
        ax.hlines(y, low, high, colors=colour, linewidth=1.2, zorder=2)
        ax.vlines([low, high], y - 0.12, y + 0.12, colors=colour, linewidth=1.2, zorder=2)
    ax.plot(value, y, **{"marker": "o", "linestyle": "none", "zorder": 3, **point})
