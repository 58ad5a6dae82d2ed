"""Build the OpenAI client and its HTTP connection pool; the only place either is made.

``openai`` and the HTTP libraries are imported inside the build functions: a web process that
only checks an endpoint's configuration never loads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from llmops_core.llm.egress import BaseURL, EgressPolicy, base_url_parse
from llmops_core.llm.errors import ConfigError

if TYPE_CHECKING:
    import httpx2
    import openai

DEFAULT_TIMEOUT = 60.0
DEFAULT_CONNECT_TIMEOUT = 5.0


@dataclass(frozen=True)
class EndpointConfig:
    """Where an OpenAI-compatible endpoint lives, how long to wait for it, where calls may go.

    ``timeout`` bounds each HTTP attempt (seconds); ``connect_timeout`` bounds opening a
    connection. ``egress`` decides which addresses calls may reach; the default allows public
    addresses only. The API key is left out of ``repr`` so it never lands in logs.
    """

    base_url: str
    api_key: str = field(default="", repr=False)
    timeout: float = DEFAULT_TIMEOUT
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    egress: EgressPolicy = field(default_factory=EgressPolicy)

    def __post_init__(self) -> None:
        """Reject a configuration that cannot work, naming the field."""
        base_url_parse(self.base_url)
        if self.timeout <= 0:
            raise ConfigError(f'field "timeout": {self.timeout} is not positive', field="timeout")
        if self.connect_timeout <= 0:
            raise ConfigError(
                f'field "connect_timeout": {self.connect_timeout} is not positive',
                field="connect_timeout",
            )

    @property
    def url(self) -> BaseURL:
        """Return the checked parts of the base URL."""
        return base_url_parse(self.base_url)


def http_timeout(endpoint: EndpointConfig) -> httpx2.Timeout:
    """Return the per-attempt timeout for the endpoint."""
    import httpx2

    return httpx2.Timeout(endpoint.timeout, connect=min(endpoint.connect_timeout, endpoint.timeout))


def build_http_client(endpoint: EndpointConfig, *, concurrency: int) -> httpx2.Client:
    """Return an HTTP client whose pool keeps one connection per call in flight.

    It is built on ``httpx2``, the HTTP library the installed ``openai`` client is typed
    against, through ``openai.DefaultHttpxClient`` so the SDK's other defaults still apply,
    except three: every connection goes through the egress policy (``GuardedTransport``),
    redirects are not followed (a redirect could point anywhere), and proxy settings from
    the environment are ignored (a proxy would connect on our behalf, past the check).
    """
    import httpx2
    import openai

    from llmops_core.llm.transport import GuardedTransport

    if concurrency < 1:
        raise ConfigError(f"concurrency {concurrency} is below 1")
    limits = httpx2.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return openai.DefaultHttpxClient(
        transport=GuardedTransport(endpoint.egress, limits=limits),
        timeout=http_timeout(endpoint),
        follow_redirects=False,
        trust_env=False,
    )


def build_client(endpoint: EndpointConfig, *, concurrency: int = 16) -> openai.OpenAI:
    """Return an OpenAI client for the endpoint with its own retries turned off.

    The endpoint's host is checked against its egress policy first, so a run aimed at a
    refused address fails at once with ``EgressRefused`` instead of once per call; the
    transport checks again at every connection. Retries are off (``max_retries=0``) because
    the executor retries with its own policy and records every attempt; two layers of
    retries would hide attempts and multiply waits.
    """
    import openai

    url = endpoint.url
    endpoint.egress.addresses(url.host, url.port)
    return openai.OpenAI(
        base_url=endpoint.base_url,
        api_key=endpoint.api_key or "unused",
        timeout=http_timeout(endpoint),
        max_retries=0,
        http_client=build_http_client(endpoint, concurrency=concurrency),
    )
