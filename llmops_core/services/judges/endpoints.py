"""OpenAI-compatible endpoints: create them, store their key encrypted, resolve them for calls.

Two rules of the operator hold at save time and again at call time (a row may predate them):
calls reach only hosts the egress policy allows (``LLM_ALLOWED_HOSTS``, see
``llmops_core.llm.egress``), and an endpoint may read its key from a server environment
variable only when the operator bound that variable to its base URL (``LLM_KEY_ENVS``).
"""

from __future__ import annotations

import os
import re

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction

from llmops_core.errors import DomainError
from llmops_core.llm.client import EndpointConfig
from llmops_core.llm.egress import EgressPolicy, base_url_parse
from llmops_core.llm.errors import ConfigError
from llmops_core.llm.keys import key_env_bound
from llmops_core.models import LLMEndpoint, Project
from llmops_core.secrets import SecretError, secret_decrypt, secret_encrypt, secret_last4
from llmops_core.services.audit import audit_record

MAX_CONCURRENCY = 256
MAX_TIMEOUT_SECONDS = 600


def endpoint_egress_policy() -> EgressPolicy:
    """Return where LLM calls may go: ``LLM_ALLOWED_HOSTS`` and OPENAI_BASE_URL's host and port."""
    site = base_url_parse(settings.OPENAI_BASE_URL.rstrip("/"))
    return EgressPolicy.from_rules([*settings.LLM_ALLOWED_HOSTS, site.origin_rule()])


def endpoint_key_env_allowed(api_key_env: str, base_url: str) -> bool:
    """Return whether the operator bound variable ``api_key_env`` to ``base_url``."""
    return key_env_bound(settings.LLM_KEY_ENVS, api_key_env, base_url)


def _key_env_refusal(api_key_env: str, base_url: str) -> DomainError:
    """Return the error for a variable not bound to the base URL; it never says if it is set."""
    return DomainError(
        f'field "api_key_env": the operator has not bound {api_key_env!r} to {base_url!r} '
        "(LLM_KEY_ENVS); store the API key on the endpoint instead",
        field="api_key_env",
    )


def _validate(
    *, name: str, base_url: str, api_key_env: str, concurrency: int, timeout_seconds: int
) -> None:
    """Raise naming the first field that cannot work; the host is resolved and checked last."""
    if not re.fullmatch(r"[-a-zA-Z0-9_]{1,64}", name):
        raise DomainError(
            f'field "name": {name!r} must be 1-64 letters, digits, - or _', field="name"
        )
    try:
        base_url_parse(base_url)
    except ConfigError as exc:
        raise DomainError(str(exc), field="base_url") from exc
    if api_key_env and not endpoint_key_env_allowed(api_key_env, base_url):
        raise _key_env_refusal(api_key_env, base_url)
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise DomainError(
            f'field "concurrency": {concurrency} is outside 1-{MAX_CONCURRENCY}',
            field="concurrency",
        )
    if not 1 <= timeout_seconds <= MAX_TIMEOUT_SECONDS:
        raise DomainError(
            f'field "timeout_seconds": {timeout_seconds} is outside 1-{MAX_TIMEOUT_SECONDS}',
            field="timeout_seconds",
        )
    try:
        endpoint_egress_policy().check(base_url)
    except ConfigError as exc:
        raise DomainError(str(exc), field="base_url") from exc


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
        if not endpoint_key_env_allowed(endpoint.api_key_env, endpoint.base_url):
            # Whether an unbound variable is set is none of the lead's business.
            return f"environment variable {endpoint.api_key_env} (not bound to this base URL)"
        state = "set" if os.environ.get(endpoint.api_key_env) else "not set"
        return f"environment variable {endpoint.api_key_env} ({state})"
    return "no key"


def endpoint_config(endpoint: LLMEndpoint | None) -> EndpointConfig:
    """Return the call configuration of ``endpoint`` (the site default when None).

    The operator's rules are applied again here, for rows saved before they held: a base URL
    of the wrong shape or a key variable not bound to it raise ``DomainError`` (the run fails
    saying so); the client then checks the host's addresses before every connection.
    """
    policy = endpoint_egress_policy()
    if endpoint is None:
        return EndpointConfig(
            base_url=settings.OPENAI_BASE_URL,
            api_key=settings.OPENAI_API_KEY,
            timeout=float(settings.LLM_TIMEOUT_SECONDS),
            egress=policy,
        )
    where = f'endpoint "{endpoint.name}"'
    if endpoint.api_key_encrypted:
        try:
            key = secret_decrypt(endpoint.api_key_encrypted)
        except SecretError as exc:
            raise DomainError(f"{where}: {exc}") from exc
    elif endpoint.api_key_env:
        if not endpoint_key_env_allowed(endpoint.api_key_env, endpoint.base_url):
            raise DomainError(
                f"{where}: {_key_env_refusal(endpoint.api_key_env, endpoint.base_url)}"
            )
        key = os.environ.get(endpoint.api_key_env, "")
    else:
        key = ""
    try:
        return EndpointConfig(
            base_url=endpoint.base_url,
            api_key=key,
            timeout=float(endpoint.timeout_seconds),
            egress=policy,
        )
    except ConfigError as exc:
        raise DomainError(f"{where}: {exc}") from exc


def endpoint_concurrency(endpoint: LLMEndpoint | None) -> int:
    """Return how many calls may be in flight per worker for ``endpoint``."""
    return endpoint.concurrency if endpoint is not None else settings.LLM_CONCURRENCY
