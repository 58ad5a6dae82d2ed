"""Walk the URL conf: every pattern with its qualified name, full route and kwarg names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

_PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


@dataclass(frozen=True)
class Endpoint:
    """One URL pattern: ``name`` is namespaced (``admin:index``); unnamed patterns have None."""

    name: str | None
    route: str
    params: tuple[str, ...]
    callback: Any

    @property
    def key(self) -> str:
        """Return the name, or the route for an unnamed pattern (used in test ids)."""
        return self.name or f"<unnamed {self.route}>"

    def path(self, kwargs: dict[str, Any]) -> str:
        """Return the URL path with ``kwargs`` filled in (works for named and unnamed routes)."""

        def fill(match: re.Match[str]) -> str:
            return str(kwargs[match.group(1) or match.group(2)])

        return "/" + _PARAM.sub(fill, self.route.replace("^", "").replace("$", ""))


def _walk(resolver: URLResolver, prefix: str, namespace: str) -> list[Endpoint]:
    found = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found += _walk(entry, route, inner)
        elif isinstance(entry, URLPattern):
            params = tuple(a or b for a, b in _PARAM.findall(route))
            name = f"{namespace}{entry.name}" if entry.name else None
            found.append(Endpoint(name=name, route=route, params=params, callback=entry.callback))
    return found


def endpoints() -> list[Endpoint]:
    """Return every pattern of the root URL conf, includes followed, in resolution order."""
    return _walk(get_resolver(), "", "")


def view_class(endpoint: Endpoint) -> Any:
    """Return the class-based view behind an endpoint (``as_view()``), or None."""
    return getattr(endpoint.callback, "view_class", None) or getattr(endpoint.callback, "cls", None)
