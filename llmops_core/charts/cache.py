"""Drawn charts kept by the fingerprint of what they are drawn from, so each is drawn once.

A chart's fingerprint hashes its kind (the report family and chart name), its format, the
drawing code's version and its input data (canonical JSON). The same data gives the same key in
any process and for any report row (two reports over the same snapshot share their charts);
changed data, or a new ``CHART_VERSION``, gives a new key, so a stale drawing is never served
and nothing needs invalidating. The store is passed in (the views pass Django's cache, a
database table in production) so this module stays free of Django.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, Protocol

from llmops_core.charts import render

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Bump when any chart's drawing changes: every cached drawing is then redrawn on first view.
CHART_VERSION: Final = 1
TIMEOUT_S: Final = 30 * 24 * 3600


class Store(Protocol):
    """Where drawn charts are kept: Django's cache has this shape."""

    def get(self, key: str, default: Any = None) -> Any: ...

    def set(self, key: str, value: Any, timeout: int | None = ...) -> None: ...


def chart_kind(report_kind: str, name: str) -> str:
    """Return the kind of chart ``name`` of a report of ``report_kind``, as fingerprints use it."""
    return f"{report_kind}:{name}"


def chart_fingerprint(kind: str, fmt: str, data: Any) -> str:
    """Return the cache key of a chart of ``kind`` in ``fmt`` drawn from ``data``."""
    digest = hashlib.sha256(f"{kind}\0{fmt}\0{CHART_VERSION}\0".encode())
    digest.update(
        json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode("utf-8")
    )
    return f"chart:{digest.hexdigest()}"


def chart_cached(
    store: Store, *, kind: str, fmt: str, data: Any, build: Callable[[Any], Figure]
) -> bytes:
    """Return the chart drawn by ``build(data)`` in ``fmt``, from ``store`` when drawn before."""
    key = chart_fingerprint(kind, fmt, data)
    body = store.get(key)
    if isinstance(body, bytes):
        return body
    body = render(build(data), fmt)
    store.set(key, body, TIMEOUT_S)
    return body
