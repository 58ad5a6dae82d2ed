"""Serving prompts to applications: the payload of a version, cached, invalidated on label moves.

A version's content never changes (a database trigger holds it), so a lookup by number is cached
for good. A lookup by label is cached under the template's *generation*, a counter that
``serving_invalidate`` bumps whenever a label of the template moves; old entries then simply
stop being read. A short timeout on label entries (``PROMPT_SERVING_CACHE_SECONDS``, 300 s) is a
safety net for label moves made outside the promotion service.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache

from llmops_core.models import PromptLabel, PromptVersion

PREFIX = "prompt-serving"


def _generation_key(template_id: int) -> str:
    return f"{PREFIX}:gen:{template_id}"


def _generation(template_id: int) -> int:
    key = _generation_key(template_id)
    value = cache.get(key)
    if value is None:
        cache.add(key, 1, timeout=None)
        value = cache.get(key) or 1
    return int(value)


def serving_invalidate(*, template_id: int) -> None:
    """Make every cached label lookup of the template stale."""
    key = _generation_key(template_id)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 2, timeout=None)


def serving_payload(version: PromptVersion, *, label: str | None) -> dict[str, Any]:
    """Return what an application needs to call the model with this version."""
    return {
        "project": version.template.project.slug,
        "name": version.template.name,
        "version": version.number,
        "label": label,
        "template_text": version.template_text,
        "system_message": version.system_message,
        "model": version.model_name,
        "parameters": version.parameters,
        "content_hash": version.content_hash,
        "etag": f'"{version.content_hash}{":" + label if label else ""}"',
    }


def served_prompt(
    *, template_id: int, label: str | None = None, number: int | None = None
) -> dict[str, Any] | None:
    """Return the payload of a template's version by label or by number, or None."""
    if number is not None:
        key = f"{PREFIX}:v:{template_id}:{number}"
        timeout: int | None = None
        query = PromptVersion.objects.filter(template_id=template_id, number=number)
    else:
        assert label is not None
        key = f"{PREFIX}:l:{template_id}:{_generation(template_id)}:{label}"
        timeout = int(getattr(settings, "PROMPT_SERVING_CACHE_SECONDS", 300))
        pointed = PromptLabel.objects.filter(template_id=template_id, name=label)
        query = PromptVersion.objects.filter(pk__in=pointed.values("version_id"))
    payload = cache.get(key)
    if payload is None:
        version = query.select_related("template__project").first()
        if version is None:
            return None
        payload = serving_payload(version, label=label)
        cache.set(key, payload, timeout=timeout)
    return payload
