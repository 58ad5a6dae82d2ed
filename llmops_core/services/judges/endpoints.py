"""OpenAI-compatible endpoints: create them, store their key encrypted, resolve them for calls."""

from __future__ import annotations

import os
import re

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction

from llmops_core.errors import DomainError
from llmops_core.llm.client import EndpointConfig
from llmops_core.llm.errors import ConfigError
from llmops_core.models import LLMEndpoint, Project
from llmops_core.secrets import SecretError, secret_decrypt, secret_encrypt, secret_last4
from llmops_core.services.audit import audit_record

# Only variables named like API keys may be read: a lead must not be able to point an
# endpoint at their own server with api_key_env="SECRET_KEY" and read the site's secrets.
API_KEY_ENV = re.compile(r"^[A-Z][A-Z0-9_]{0,90}API_KEY$")
MAX_CONCURRENCY = 256
MAX_TIMEOUT_SECONDS = 600


def _validate(
    *, name: str, base_url: str, api_key_env: str, concurrency: int, timeout_seconds: int
) -> None:
    """Raise naming the first field that cannot work."""
    if not re.fullmatch(r"[-a-zA-Z0-9_]{1,64}", name):
        raise DomainError(f'field "name": {name!r} must be 1-64 letters, digits, - or _')
    try:
        EndpointConfig(base_url=base_url, timeout=float(timeout_seconds))
    except ConfigError as exc:
        raise DomainError(str(exc)) from exc
    if api_key_env and not API_KEY_ENV.fullmatch(api_key_env):
        raise DomainError(
            f'field "api_key_env": {api_key_env!r} must be an upper-case variable name ending '
            "in API_KEY, e.g. OPENAI_API_KEY"
        )
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise DomainError(f'field "concurrency": {concurrency} is outside 1-{MAX_CONCURRENCY}')
    if not 1 <= timeout_seconds <= MAX_TIMEOUT_SECONDS:
        raise DomainError(
            f'field "timeout_seconds": {timeout_seconds} is outside 1-{MAX_TIMEOUT_SECONDS}'
        )


@transaction.atomic
def endpoint_create(
    *,
    project: Project,
    name: str,
    base_url: str,
    api_key: str = "",
    api_key_env: str = "",
    concurrency: int = 16,
    timeout_seconds: int = 60,
    actor: User | None = None,
) -> LLMEndpoint:
    """Create an endpoint; a given ``api_key`` is stored encrypted and never shown again."""
    base_url = base_url.strip().rstrip("/")
    _validate(
        name=name,
        base_url=base_url,
        api_key_env=api_key_env,
        concurrency=concurrency,
        timeout_seconds=timeout_seconds,
    )
    if LLMEndpoint.objects.filter(project=project, name=name).exists():
        raise DomainError(f'project "{project.slug}" already has an endpoint named "{name}"')
    endpoint = LLMEndpoint(
        project=project,
        name=name,
        base_url=base_url,
        api_key_env=api_key_env,
        concurrency=concurrency,
        timeout_seconds=timeout_seconds,
    )
    if api_key:
        endpoint.api_key_encrypted = secret_encrypt(api_key)
        endpoint.api_key_last4 = secret_last4(api_key)
    endpoint.save()
    audit_record(
        actor=actor,
        action="llm_endpoint.create",
        obj=endpoint,
        project=project,
        after={
            "name": name,
            "base_url": base_url,
            "api_key_env": api_key_env,
            "stored_key": bool(api_key),
        },
    )
    return endpoint


@transaction.atomic
def endpoint_set_key(
    *, endpoint: LLMEndpoint, api_key: str, actor: User | None = None
) -> LLMEndpoint:
    """Replace the stored key of ``endpoint`` (an empty key removes it)."""
    endpoint.api_key_encrypted = secret_encrypt(api_key) if api_key else ""
    endpoint.api_key_last4 = secret_last4(api_key) if api_key else ""
    endpoint.save(update_fields=["api_key_encrypted", "api_key_last4"])
    audit_record(
        actor=actor,
        action="llm_endpoint.set_key",
        obj=endpoint,
        project=endpoint.project,
        after={"stored_key": bool(api_key)},
    )
    return endpoint


def endpoint_has_stored_key(endpoint: LLMEndpoint) -> bool:
    """Return whether the endpoint stores a key (from the ``has_key`` annotation if loaded)."""
    annotated = getattr(endpoint, "has_key", None)
    return bool(endpoint.api_key_encrypted) if annotated is None else bool(annotated)


def endpoint_key_source(endpoint: LLMEndpoint | None) -> str:
    """Return where the key comes from, for display: never the key itself."""
    if endpoint is None:
        return "OPENAI_API_KEY (site default)"
    if endpoint_has_stored_key(endpoint):
        return f"stored key …{endpoint.api_key_last4}" if endpoint.api_key_last4 else "stored key"
    if endpoint.api_key_env:
        state = "set" if os.environ.get(endpoint.api_key_env) else "not set"
        return f"environment variable {endpoint.api_key_env} ({state})"
    return "no key"


def endpoint_config(endpoint: LLMEndpoint | None) -> EndpointConfig:
    """Return the call configuration of ``endpoint`` (the site default when None)."""
    if endpoint is None:
        return EndpointConfig(
            base_url=settings.OPENAI_BASE_URL,
            api_key=settings.OPENAI_API_KEY,
            timeout=float(settings.LLM_TIMEOUT_SECONDS),
        )
    if endpoint.api_key_encrypted:
        try:
            key = secret_decrypt(endpoint.api_key_encrypted)
        except SecretError as exc:
            raise DomainError(f'endpoint "{endpoint.name}": {exc}') from exc
    elif endpoint.api_key_env and API_KEY_ENV.fullmatch(endpoint.api_key_env):
        key = os.environ.get(endpoint.api_key_env, "")
    else:
        key = ""
    return EndpointConfig(
        base_url=endpoint.base_url, api_key=key, timeout=float(endpoint.timeout_seconds)
    )


def endpoint_concurrency(endpoint: LLMEndpoint | None) -> int:
    """Return how many calls may be in flight per worker for ``endpoint``."""
    return endpoint.concurrency if endpoint is not None else settings.LLM_CONCURRENCY
