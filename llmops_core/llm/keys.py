"""Which server environment variables may serve as an endpoint's API key, and for which URLs.

The operator binds each variable to the base URLs it may be sent to (``LLM_KEY_ENVS``, JSON:
``{"OPENAI_API_KEY": ["https://api.openai.com/v1"]}``). An endpoint may name a variable only
for a base URL it is bound to, so nobody who can create endpoints can send the server's keys
to a host of their choosing, or read any other variable. URLs are compared in one spelling
(lower-case scheme and host, default port left out, no trailing slash).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

from llmops_core.llm.egress import base_url_parse
from llmops_core.llm.errors import ConfigError

KeyBindings = Mapping[str, Sequence[str]]
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")


def key_bindings_parse(text: str) -> dict[str, list[str]]:
    """Return the bindings written as JSON ``text``; raise ``ConfigError`` saying what is wrong."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"LLM_KEY_ENVS is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ConfigError('LLM_KEY_ENVS must be a JSON object: {"VARIABLE": ["base URL", ...]}')
    bindings: dict[str, list[str]] = {}
    for name, urls in value.items():
        if not _ENV_NAME.fullmatch(name):
            raise ConfigError(f"LLM_KEY_ENVS: {name!r} is not an environment variable name")
        if isinstance(urls, str):
            urls = [urls]
        if not isinstance(urls, list) or not all(isinstance(url, str) for url in urls):
            raise ConfigError(f'LLM_KEY_ENVS, "{name}": give a list of base URLs')
        for url in urls:
            try:
                base_url_parse(url.strip().rstrip("/"))
            except ConfigError as exc:
                raise ConfigError(f'LLM_KEY_ENVS, "{name}": {exc}') from exc
        bindings[name] = [url.strip() for url in urls]
    return bindings


def _normalised(url: str) -> str | None:
    """Return ``url`` in its one spelling, or None when it is not a usable base URL."""
    try:
        return base_url_parse(url.strip().rstrip("/")).normalised()
    except ConfigError:
        return None


def key_env_bound(bindings: KeyBindings, name: str, base_url: str) -> bool:
    """Return whether variable ``name`` may be sent as the key of ``base_url``."""
    wanted = _normalised(base_url)
    if wanted is None:
        return False
    return any(_normalised(url) == wanted for url in bindings.get(name, ()))
