"""Build the OpenAI client and its HTTP connection pool; the only place either is made."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx2
import openai

from llmops_core.llm.errors import ConfigError

DEFAULT_TIMEOUT = 60.0
DEFAULT_CONNECT_TIMEOUT = 5.0


@dataclass(frozen=True)
class EndpointConfig:
    """Where an OpenAI-compatible endpoint lives and how long to wait for it.

    ``timeout`` bounds each HTTP attempt (seconds); ``connect_timeout`` bounds opening a
    connection. The API key is left out of ``repr`` so it never lands in logs.
    """

    base_url: str
    api_key: str = field(default="", repr=False)
    timeout: float = DEFAULT_TIMEOUT
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT

    def __post_init__(self) -> None:
        """Reject a configuration that cannot work, naming the field."""
        if not self.base_url.startswith(("http://", "https://")):
            raise ConfigError(f'field "base_url": {self.base_url!r} is not an http(s) URL')
        if self.timeout <= 0:
            raise ConfigError(f'field "timeout": {self.timeout} is not positive')
        if self.connect_timeout <= 0:
            raise ConfigError(f'field "connect_timeout": {self.connect_timeout} is not positive')


def http_timeout(endpoint: EndpointConfig) -> httpx2.Timeout:
    """Return the per-attempt timeout for the endpoint."""
    return httpx2.Timeout(endpoint.timeout, connect=min(endpoint.connect_timeout, endpoint.timeout))


def build_http_client(endpoint: EndpointConfig, *, concurrency: int) -> httpx2.Client:
    """Return an HTTP client whose pool keeps one connection per call in flight.

    It is built on ``httpx2``, the HTTP library the installed ``openai`` client is typed
    against, through ``openai.DefaultHttpxClient`` so the SDK's other defaults still apply.
    """
    if concurrency < 1:
        raise ConfigError(f"concurrency {concurrency} is below 1")
    return openai.DefaultHttpxClient(
        limits=httpx2.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        timeout=http_timeout(endpoint),
    )


def build_client(endpoint: EndpointConfig, *, concurrency: int = 16) -> openai.OpenAI:
    """Return an OpenAI client for the endpoint with its own retries turned off.

    Retries are off (``max_retries=0``) because the executor retries with its own policy
    and records every attempt; two layers of retries would hide attempts and multiply waits.
    """
    return openai.OpenAI(
        base_url=endpoint.base_url,
        api_key=endpoint.api_key or "unused",
        timeout=http_timeout(endpoint),
        max_retries=0,
        http_client=build_http_client(endpoint, concurrency=concurrency),
    )
