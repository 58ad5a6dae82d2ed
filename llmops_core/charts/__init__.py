"""Charts rendered server-side with matplotlib (offline), as SVG for pages and PNG downloads.

Each report family has its own module (``agreement``, ``judge``, ``versions``); this package
holds the shared rendering helpers so every chart looks the same.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import matplotlib
from cycler import cycler

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

PALETTE = ["#3457d5", "#e07a1f", "#1d7a46", "#b42318", "#7a4fd1", "#0f8a8a"]
FORMATS = {"svg": "image/svg+xml", "png": "image/png"}

plt.rcParams.update(
    {
        "font.family": "DejaVu Sans",
        "font.size": 10,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.prop_cycle": cycler(color=PALETTE),
        "svg.hashsalt": "llmops",  # deterministic SVG ids
        "svg.fonttype": "none",
        # Names, titles and labels are user text: "$...$" in a criterion name must be drawn as
        # written, not parsed as mathtext (an unknown macro raised, and the chart was a 500).
        "text.parse_math": False,
    }
)


def new_figure(width: float = 6.4, height: float = 3.6) -> tuple[Figure, Any]:
    """Return a figure and its single axes, in the house style."""
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
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


ChartBuilder = Callable[[dict[str, Any]], Figure]
