"""Concurrency, cancellation, callbacks and totals of whole executor runs."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from decimal import Decimal

import pytest

from llmops_core.llm.client import EndpointConfig
from llmops_core.llm.datatypes import CallRequest, CallResult
from llmops_core.llm.errors import ConfigError
from llmops_core.llm.executor import run_calls
from tests.llm.helpers import Recorder, call, run
from tests.support.openai_server import LocalOpenAIServer


def test_200_calls_run_16_at_a_time(server: LocalOpenAIServer, endpoint: EndpointConfig) -> None:
    server.latency = 0.05
    recorder = Recorder()
    started = time.monotonic()
    summary = run([call(f"question {i}") for i in range(200)], endpoint, recorder, concurrency=16)
    elapsed = time.monotonic() - started
    assert summary.totals.succeeded == 200
    assert len({r.key for r in recorder.results}) == 200
    assert 8 < server.max_in_flight <= 16
    assert elapsed < 3.0, f"200 calls of 50 ms took {elapsed:.2f} s"


def test_on_result_runs_on_the_calling_thread(
    server: LocalOpenAIServer, endpoint: EndpointConfig
) -> None:
    threads: set[int] = set()
    run_calls(
        [call(f"q{i}") for i in range(20)],
        endpoint,
        on_result=lambda result: threads.add(threading.get_ident()),
        concurrency=4,
    )
    assert threads == {threading.get_ident()}


def test_requests_are_read_lazily(server: LocalOpenAIServer, endpoint: EndpointConfig) -> None:
    """The executor never holds more requests than calls in flight."""
    read: list[int] = []
    results: list[CallResult] = []

    def requests() -> Iterator[CallRequest]:
        for i in range(30):
            read.append(i)
            assert len(read) - len(results) <= 4, "read far ahead of finished calls"
            yield call(f"q{i}")

    run_calls(requests(), endpoint, on_result=results.append, concurrency=4)
    assert len(results) == 30


def test_results_that_finish_together_are_handed_over_in_one_list(
    server: LocalOpenAIServer, endpoint: EndpointConfig
) -> None:
    """A slow handler (a database write) gets, at once, every call that finished meanwhile."""
    server.latency = 0.02
    batches: list[int] = []

    def on_results(results: Sequence[CallResult]) -> None:
        batches.append(len(results))
        time.sleep(0.1)  # longer than a call: the other calls finish meanwhile

    run_calls([call(f"q{i}") for i in range(24)], endpoint, on_results=on_results, concurrency=4)
    assert sum(batches) == 24
    assert max(batches) > 1 and len(batches) < 24
    assert max(batches) <= 4  # a slot is refilled only once its result was handed over


def test_exactly_one_result_callback_is_given(endpoint: EndpointConfig) -> None:
    with pytest.raises(ConfigError, match="on_result or on_results"):
        run_calls([], endpoint)
    with pytest.raises(ConfigError, match="not both"):
        run_calls([], endpoint, on_result=print, on_results=print)


def test_cancel_stops_promptly_and_reports_unfinished_calls(
    server: LocalOpenAIServer, endpoint: EndpointConfig
) -> None:
    server.latency = 0.2
    recorder = Recorder()
    cancelled_at: list[float] = []

    def should_cancel() -> bool:
        # Cancel once a full window of calls is in flight (on a busy machine a fixed delay
        # could cancel before any call had started, and there would be nothing to cancel).
        if not cancelled_at and server.request_count >= 8:
            cancelled_at.append(time.monotonic())
        return bool(cancelled_at)

    summary = run(
        [call(f"q{i}") for i in range(500)],
        endpoint,
        recorder,
        concurrency=8,
        should_cancel=should_cancel,
        cancel_poll_seconds=0.05,
        cancel_grace=0.0,
    )
    assert summary.cancelled
    assert time.monotonic() - cancelled_at[0] < 1.5
    kinds = {r.error_kind for r in recorder.results}
    assert kinds <= {None, "cancelled"}
    assert summary.totals.cancelled == sum(r.error_kind == "cancelled" for r in recorder.results)
    assert summary.totals.cancelled > 0
    assert len(recorder.results) < 40
    time.sleep(0.3)
    assert server.request_count < 40, "no new calls after cancellation"


def test_cancel_with_grace_lets_in_flight_calls_finish(
    server: LocalOpenAIServer, endpoint: EndpointConfig
) -> None:
    server.latency = 0.2
    recorder = Recorder()
    summary = run(
        [call(f"q{i}") for i in range(100)],
        endpoint,
        recorder,
        concurrency=4,
        should_cancel=lambda: server.request_count >= 4,
        cancel_poll_seconds=0.01,
        cancel_grace=2.0,
    )
    assert summary.cancelled
    assert [r.ok for r in recorder.results] == [True] * 4
    assert server.request_count == 4


def test_cancelled_before_start_makes_no_calls(
    server: LocalOpenAIServer, endpoint: EndpointConfig
) -> None:
    recorder = Recorder()
    summary = run([call("q")], endpoint, recorder, should_cancel=lambda: True)
    assert summary.cancelled and recorder.results == []
    assert server.request_count == 0


def test_retries_stop_when_the_run_is_cancelled(
    server: LocalOpenAIServer, endpoint: EndpointConfig
) -> None:
    """A call backing off wakes up on cancellation instead of sleeping out its delay."""
    flag = threading.Event()
    threading.Timer(0.3, flag.set).start()
    recorder = Recorder()
    started = time.monotonic()
    run(
        [call("q", model="always-500")],
        endpoint,
        recorder,
        max_attempts=10,
        sleep=None,
        should_cancel=flag.is_set,
        cancel_poll_seconds=0.05,
    )
    [result] = recorder.results
    assert result.error_kind == "cancelled"
    assert "server_error" in result.attempt_errors[0]
    assert time.monotonic() - started < 2.0


def test_tokens_and_cost_add_up(server: LocalOpenAIServer, endpoint: EndpointConfig) -> None:
    recorder = Recorder()
    prices = {"local-generator": {"input": 0.5, "output": 1.5}}
    summary = run(
        [call(f"question number {i}") for i in range(10)], endpoint, recorder, prices=prices
    )
    for result in recorder.results:
        assert result.tokens_in == 3  # "question number N": whitespace words
        assert result.tokens_out == len((result.content or "").split())
        expected = Decimal(3) * Decimal("0.5") + Decimal(result.tokens_out) * Decimal("1.5")
        assert result.cost == expected / 1000
    totals = summary.totals
    assert totals.tokens_in == 30
    assert totals.tokens_out == sum(r.tokens_out or 0 for r in recorder.results)
    assert totals.cost == sum((r.cost or Decimal(0) for r in recorder.results), Decimal(0))
    assert totals.unpriced_calls == 0


def test_unknown_model_has_no_cost(server: LocalOpenAIServer, endpoint: EndpointConfig) -> None:
    recorder = Recorder()
    summary = run([call("q", model="other")], endpoint, recorder, prices={})
    assert recorder.results[0].cost is None
    assert summary.totals.unpriced_calls == 1


def test_params_reach_the_endpoint(server: LocalOpenAIServer, endpoint: EndpointConfig) -> None:
    """Known parameters go as arguments, others in the body; streaming is never asked for."""
    recorder = Recorder()
    run([call("q", temperature=0, seed=3, top_k=5, stream=True)], endpoint, recorder)
    body = server.requests[-1].body
    assert (body["temperature"], body["seed"], body["top_k"]) == (0, 3, 5)
    assert not body.get("stream")
    assert recorder.results[0].ok


def test_max_tokens_truncation_is_reported(
    server: LocalOpenAIServer, endpoint: EndpointConfig
) -> None:
    recorder = Recorder()
    run([call("Explain sourdough bread baking", max_tokens=3)], endpoint, recorder)
    [result] = recorder.results
    assert result.ok and result.finish_reason == "length"
    assert result.tokens_out == 3


def test_raw_response_is_kept_for_recording(
    server: LocalOpenAIServer, endpoint: EndpointConfig
) -> None:
    recorder = Recorder()
    run([call("q")], endpoint, recorder)
    raw = recorder.results[0].raw
    assert raw is not None and raw["object"] == "chat.completion"
    assert raw["choices"][0]["message"]["content"] == recorder.results[0].content


def test_on_result_errors_stop_the_run(server: LocalOpenAIServer, endpoint: EndpointConfig) -> None:
    def explode(result: CallResult) -> None:
        raise RuntimeError("database is down")

    with pytest.raises(RuntimeError, match="database is down"):
        run_calls([call(f"q{i}") for i in range(50)], endpoint, on_result=explode, concurrency=2)
    time.sleep(0.2)
    assert server.request_count < 10


def test_concurrency_below_one_is_refused(endpoint: EndpointConfig) -> None:
    with pytest.raises(ConfigError, match="concurrency 0"):
        run_calls([], endpoint, on_result=print, concurrency=0)
