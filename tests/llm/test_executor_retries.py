"""Retries and backoff of the call executor, against the local server and the real client."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from llmops_core.llm.client import EndpointConfig
from llmops_core.llm.retry import RetryPolicy
from tests.llm.helpers import LOCAL, Recorder, call, run
from tests.support.openai_server import Fault, LocalOpenAIServer


def test_429_with_retry_after_waits_what_the_server_asks(
    server: LocalOpenAIServer, endpoint: EndpointConfig
) -> None:
    server.script([Fault("429", retry_after="2"), Fault("429", retry_after_ms=1500), "ok"])
    recorder = Recorder()
    run([call("hello")], endpoint, recorder)
    [result] = recorder.results
    assert result.ok
    assert recorder.sleeps == [2.0, 1.5]
    assert (result.attempts, result.retries) == (3, 2)
    assert server.request_count == 3


def test_retry_after_as_http_date_is_honoured(
    server: LocalOpenAIServer, endpoint: EndpointConfig
) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    server.script([Fault("503", retry_after=later), "ok"])
    recorder = Recorder()
    run([call("hello")], endpoint, recorder)
    assert recorder.results[0].ok
    [wait] = recorder.sleeps
    assert 17 <= wait <= 20


def test_retry_after_is_capped_at_max_delay(
    server: LocalOpenAIServer, endpoint: EndpointConfig
) -> None:
    server.script([Fault("429", retry_after="3600"), "ok"])
    recorder = Recorder()
    run([call("hello")], endpoint, recorder, policy=RetryPolicy(max_attempts=2, max_delay=10))
    assert recorder.sleeps == [10]


def test_backoff_is_exponential_with_full_jitter(
    server: LocalOpenAIServer, endpoint: EndpointConfig
) -> None:
    server.script(["500", "502", "503", "500", "ok"])
    recorder = Recorder()
    policy = RetryPolicy(max_attempts=5, base_delay=1.0, max_delay=5.0)
    run([call("hello")], endpoint, recorder, policy=policy)
    assert recorder.results[0].ok
    jitter = random.Random(7)
    assert recorder.sleeps == pytest.approx([jitter.uniform(0, c) for c in (1.0, 2.0, 4.0, 5.0)])
    assert len(set(recorder.sleeps)) == 4


def test_500_then_ok_succeeds_with_one_retry(
    server: LocalOpenAIServer, endpoint: EndpointConfig
) -> None:
    server.script(["500", "ok"])
    recorder = Recorder()
    run([call("hello")], endpoint, recorder)
    [result] = recorder.results
    assert result.ok and result.content
    assert (result.attempts, result.retries) == (2, 1)
    assert result.attempt_errors == ["server_error: HTTP 500 Internal Server Error"]


def test_400_is_not_retried(server: LocalOpenAIServer, endpoint: EndpointConfig) -> None:
    server.script(["400", "ok"])
    recorder = Recorder()
    run([call("hello")], endpoint, recorder)
    [result] = recorder.results
    assert not result.ok
    assert (result.error_kind, result.status_code, result.attempts) == ("bad_request", 400, 1)
    assert recorder.sleeps == []
    assert server.request_count == 1


def test_wrong_api_key_is_an_auth_error_without_retry(endpoint: EndpointConfig) -> None:
    with LocalOpenAIServer(api_key="right") as guarded:
        recorder = Recorder()
        wrong = EndpointConfig(base_url=guarded.base_url, api_key="wrong", egress=LOCAL)
        run([call("hello")], wrong, recorder)
        assert recorder.results[0].error_kind == "auth"
        assert guarded.request_count == 1


def test_exhausted_retries_give_an_error_result_not_an_exception(
    server: LocalOpenAIServer, endpoint: EndpointConfig
) -> None:
    recorder = Recorder()
    summary = run([call("hello", model="always-503")], endpoint, recorder, max_attempts=4)
    [result] = recorder.results
    assert not result.ok
    assert result.error_kind == "server_error"
    assert "gave up after 4 attempts" in result.error
    assert (result.attempts, result.retries, len(recorder.sleeps)) == (4, 3, 3)
    assert summary.totals.failed == 1


def test_timeout_is_retried_and_reported(server: LocalOpenAIServer) -> None:
    endpoint = EndpointConfig(base_url=server.base_url, timeout=0.3, egress=LOCAL)
    server.script(["timeout", "ok"])
    recorder = Recorder()
    started = time.monotonic()
    run([call("hello")], endpoint, recorder)
    [result] = recorder.results
    assert result.ok
    assert result.attempt_errors == ["timeout: request timed out"]
    assert result.latency_ms is not None and result.latency_ms < result.total_ms
    assert time.monotonic() - started < 2.5


def test_default_sleep_really_waits(server: LocalOpenAIServer, endpoint: EndpointConfig) -> None:
    server.script([Fault("429", retry_after="0.3"), "ok"])
    recorder = Recorder()
    started = time.monotonic()
    run_with_real_sleep = run([call("hello")], endpoint, recorder, sleep=None)
    assert run_with_real_sleep.totals.succeeded == 1
    assert time.monotonic() - started >= 0.3
