"""System checks of the deployment: what ``manage.py check --deploy`` adds to Django's own."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

PER_PROCESS_CACHES = {"django.core.cache.backends.locmem.LocMemCache"}


@checks.register(checks.Tags.caches, deploy=True)
def check_shared_cache(**kwargs: Any) -> list[checks.CheckMessage]:
    """Refuse a per-process cache in production: each gunicorn worker would hold its own."""
    if settings.DEBUG:
        return []
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend not in PER_PROCESS_CACHES:
        return []
    return [
        checks.Error(
            f"CACHE_URL gives a cache that lives inside one process ({backend}); with DEBUG=0 "
            "every web worker would keep its own copy of rendered charts and served prompts.",
            hint="Leave CACHE_URL unset (the database cache, db://) or set it to "
            "redis://host:6379/1.",
            id="llmops.E001",
        )
    ]
