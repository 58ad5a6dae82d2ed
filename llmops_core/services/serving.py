"""Serving prompts to applications: the payload of a version, cached by version.

Which version a label points at is read from the database on every request, in the query that
resolves the template (``selectors.versions.serving_candidates``), so a promotion or a rollback
is served by every web process on its next request, whatever the cache: nothing needs
invalidating. What is cached is a version's payload, keyed by the version's id: its content
never changes (a database trigger holds it), nor do its template's name and project's slug.
``PROMPT_SERVING_CACHE_SECONDS`` only bounds how long an entry takes room in the cache.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache

from llmops_core.models import PromptVersion

PREFIX = "prompt-serving:v2"


def serving_payload(version: PromptVersion) -> dict[str, Any]:
    """Return what an application needs to call the model with this version (label aside)."""
    return {
        "project": version.template.project.slug,
        "name": version.template.name,
        "version": version.number,
        "template_text": version.template_text,
        "system_message": version.system_message,
        "model": version.model_name,
        "parameters": version.parameters,
        "content_hash": version.content_hash,
    }


def served_prompt(*, version_id: int, label: str | None) -> dict[str, Any] | None:
    """Return the payload of version ``version_id`` as served under ``label``, with its ETag.

    The ETag is the content hash, plus the label for label lookups: it changes when the label
    moves to another version, and not otherwise.
    """
    key = f"{PREFIX}:{version_id}"
    payload = cache.get(key)
    if payload is None:
        version = (
            PromptVersion.objects.filter(pk=version_id).select_related("template__project").first()
        )
        if version is None:
            return None
        payload = serving_payload(version)
        cache.set(key, payload, timeout=int(settings.PROMPT_SERVING_CACHE_SECONDS))
    suffix = f":{label}" if label else ""
    return {**payload, "label": label, "etag": f'"{payload["content_hash"]}{suffix}"'}
