"""Client construction and the retry policy's arithmetic."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from llmops_core.llm.client import EndpointConfig, build_client
from llmops_core.llm.errors import ConfigError
from llmops_core.llm.retry import RetryPolicy, backoff_delay, parse_retry_after
from tests.llm.helpers import LOCAL


def test_client_has_its_own_retries_off_and_a_pool_per_concurrency() -> None:
    client = build_client(
        EndpointConfig("http://localhost:9/v1", "k", timeout=7, egress=LOCAL), concurrency=12
    )
    try:
        assert client.max_retries == 0
        assert str(client.base_url).rstrip("/") == "http://localhost:9/v1"
        pool = client._client._transport._pool  # type: ignore[attr-defined]
        assert pool._max_connections == 12
        assert client.timeout.read == 7  # type: ignore[union-attr]
    finally:
        client.close()


def test_api_key_stays_out_of_repr() -> None:
    assert "s3cret" not in repr(EndpointConfig("https://api.example/v1", "s3cret"))


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        ({"base_url": "ftp://x"}, '"base_url"'),
        ({"base_url": "http://x", "timeout": 0}, '"timeout"'),
        ({"base_url": "http://x", "connect_timeout": -1}, '"connect_timeout"'),
    ],
)
def test_bad_endpoint_is_refused(config: dict, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        EndpointConfig(**config)


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "3"}, 3.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"retry-after-ms": "250", "Retry-After": "9"}, 0.25),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "-4"}, None),
        ({}, None),
    ],
)
def test_retry_after_forms(headers: dict[str, str], seconds: float | None) -> None:
    assert parse_retry_after(headers) == seconds


def test_retry_after_http_date_counts_from_now() -> None:
    date = format_datetime(datetime(2030, 1, 1, 0, 0, 30, tzinfo=UTC), usegmt=True)
    now = datetime(2030, 1, 1, tzinfo=UTC).timestamp()
    assert parse_retry_after({"Retry-After": date}, now=lambda: now) == 30
    assert parse_retry_after({"Retry-After": date}, now=lambda: now + 60) == 0


def test_backoff_grows_then_caps() -> None:
    policy = RetryPolicy(base_delay=1, max_delay=8)
    always_top = random.Random()
    always_top.uniform = lambda low, high: high  # type: ignore[method-assign]
    assert [backoff_delay(policy, n, always_top) for n in range(6)] == [1, 2, 4, 8, 8, 8]
    assert backoff_delay(policy, 2000, always_top) == 8
    assert backoff_delay(policy, 0, always_top, retry_after=30) == 8


def test_bad_policy_is_refused() -> None:
    with pytest.raises(ConfigError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
