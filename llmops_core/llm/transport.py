"""The HTTP transport of LLM calls: every connection goes to an address the policy checked.

Worker-only: it imports the HTTP libraries at module level, so only ``client.py``'s build
functions import it (inside the function), never anything a web view imports.
"""

from __future__ import annotations

from collections.abc import Iterable

import httpcore2
import httpx2

from llmops_core.llm.egress import EgressPolicy
from llmops_core.llm.errors import EgressRefused


class GuardedBackend(httpcore2.NetworkBackend):
    """Open TCP connections only to addresses the egress policy allows.

    The host is resolved once, every address it resolves to is checked, and the socket is
    opened to one of those checked addresses, never to the name: a resolver that answers
    differently the second time (DNS rebinding) gets no second question. TLS still verifies
    the certificate against the host name, which the connection keeps for SNI.
    """

    def __init__(self, policy: EgressPolicy) -> None:
        self._policy = policy
        self._inner = httpcore2.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore2.SOCKET_OPTION] | None = None,
    ) -> httpcore2.NetworkStream:
        """Connect to the first reachable checked address of ``host``."""
        failure: Exception | None = None
        for address in self._policy.addresses(host, port):
            try:
                return self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore2.ConnectError, httpcore2.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None, "addresses() returns at least one address or raises"
        raise failure

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore2.SOCKET_OPTION] | None = None,
    ) -> httpcore2.NetworkStream:
        """Refuse: LLM calls never go to a local socket."""
        raise EgressRefused('field "base_url": LLM calls never go to a Unix socket')

    def sleep(self, seconds: float) -> None:
        """Wait, as the pool asks between its own connection retries."""
        self._inner.sleep(seconds)


class GuardedTransport(httpx2.HTTPTransport):
    """httpx's own transport, its connection pool swapped for one on ``GuardedBackend``.

    No proxy is ever used: a proxy would resolve and connect on our behalf, past the check.
    """

    def __init__(self, policy: EgressPolicy, *, limits: httpx2.Limits) -> None:
        # One TLS context for both (loading the CA bundle is the slow part of building this).
        context = httpx2.create_ssl_context()
        super().__init__(verify=context, limits=limits, trust_env=False)
        self._pool = httpcore2.ConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(policy),
        )
