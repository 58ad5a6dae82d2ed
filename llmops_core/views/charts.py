"""One report chart as an HTTP response, drawn once per data fingerprint and then served.

The drawing is kept in Django's cache (``CACHE_URL``; a database table in production, shared by
every process) under the fingerprint of the chart's kind, format and input data
(``charts.cache``), so a page's charts are drawn on its first view and read on every later one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from llmops_core.charts import FORMATS
from llmops_core.charts.cache import chart_cached, chart_kind

__all__ = ["chart_kind", "chart_response"]

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def chart_response(
    request: HttpRequest,
    *,
    kind: str,
    fmt: str,
    data: Any,
    build: Callable[[Any], Figure],
    filename: str,
) -> HttpResponse:
    """Return the chart ``build(data)`` as SVG or PNG (``?download=1``: as ``filename.fmt``)."""
    body = chart_cached(cache, kind=kind, fmt=fmt, data=data, build=build)
    response = HttpResponse(body, content_type=FORMATS[fmt])
    response["Cache-Control"] = "private, max-age=3600"
    # matplotlib's SVG styles its shapes with style attributes: allow those, and nothing else.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
