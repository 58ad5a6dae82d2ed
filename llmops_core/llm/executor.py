"""Run many chat completions concurrently, reporting each result on the calling thread."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING

from llmops_core.llm.calls import CallContext, Parser, Sleep, perform_call
from llmops_core.llm.client import EndpointConfig, build_client
from llmops_core.llm.costs import PriceTable, RunTotals
from llmops_core.llm.datatypes import CallRequest, CallResult, ErrorKind
from llmops_core.llm.errors import ConfigError
from llmops_core.llm.retry import RetryPolicy

if TYPE_CHECKING:
    import openai

DEFAULT_CONCURRENCY = 16


@dataclass
class RunSummary:
    """What a run did: totals over every reported result, and how it ended.

    ``cancelled`` is set when ``should_cancel`` stopped the run; ``exhausted`` when every
    request was read.
    """

    totals: RunTotals
    cancelled: bool = False
    exhausted: bool = False


@dataclass
class _Settings:
    """The knobs of one run that the loop needs besides the calls themselves."""

    concurrency: int
    should_cancel: Callable[[], bool]
    cancel_poll_seconds: float
    cancel_grace: float


def _worker(context_for: Callable[[], CallContext], request: CallRequest) -> CallResult:
    """Run one call in a pool thread; turn any unexpected exception into a result."""
    try:
        return perform_call(context_for(), request)
    except Exception as error:
        return CallResult(
            key=request.key,
            ok=False,
            error_kind=ErrorKind.INTERNAL,
            error=f"{type(error).__name__}: {error}",
        )


def _one_by_one(
    on_result: Callable[[CallResult], None],
) -> Callable[[Sequence[CallResult]], None]:
    """Return a handler of results that finished together which hands them over one by one."""

    def on_results(results: Sequence[CallResult]) -> None:
        for result in results:
            on_result(result)

    return on_results


def _cancelled_result(request: CallRequest) -> CallResult:
    """Return the result reported for a call abandoned because the run was cancelled."""
    return CallResult(
        key=request.key,
        ok=False,
        error_kind=ErrorKind.CANCELLED,
        error="run cancelled before the call finished",
    )


class _Loop:
    """Feed requests to the pool and hand results to ``on_result`` as calls finish."""

    def __init__(
        self,
        settings: _Settings,
        on_results: Callable[[Sequence[CallResult]], None],
        submit: Callable[[CallRequest], Future[CallResult]],
        cancel_event: threading.Event,
    ) -> None:
        self.settings, self.on_results, self.submit = settings, on_results, submit
        self.cancel_event = cancel_event
        self.pending: dict[Future[CallResult], CallRequest] = {}
        self.summary = RunSummary(totals=RunTotals())
        self.next_poll = 0.0

    def emit(self, results: Sequence[CallResult]) -> None:
        """Count results and give them to the caller, all at once."""
        for result in results:
            self.summary.totals.add(result)
        self.on_results(results)

    def poll_cancel(self) -> bool:
        """Return whether the run is cancelled, asking ``should_cancel`` at most so often."""
        now = time.monotonic()
        if not self.cancel_event.is_set() and now >= self.next_poll:
            self.next_poll = now + self.settings.cancel_poll_seconds
            if self.settings.should_cancel():
                self.cancel_event.set()
        return self.cancel_event.is_set()

    def top_up(self, requests: Iterator[CallRequest]) -> None:
        """Submit requests until ``concurrency`` are in flight or the requests run out."""
        while len(self.pending) < self.settings.concurrency and not self.poll_cancel():
            request = next(requests, None)
            if request is None:
                self.summary.exhausted = True
                return
            self.pending[self.submit(request)] = request

    def collect(self, timeout: float) -> None:
        """Wait up to ``timeout`` for calls to finish and report the finished ones, together.

        Their slots are refilled only after they are reported: a step killed at any line has
        at most ``concurrency`` calls answered but not recorded, the ones a resume pays again.
        """
        done, _ = wait(self.pending, timeout=timeout, return_when=FIRST_COMPLETED)
        for future in done:
            self.pending.pop(future)
        if done:
            self.emit([future.result() for future in done])

    def drain_cancelled(self) -> None:
        """Give in-flight calls the grace period, then report the rest as cancelled."""
        self.summary.cancelled = True
        deadline = time.monotonic() + self.settings.cancel_grace
        while self.pending and time.monotonic() < deadline:
            self.collect(max(0.0, deadline - time.monotonic()))
        abandoned = []
        for future, request in list(self.pending.items()):
            future.cancel()
            self.pending.pop(future)
            abandoned.append(_cancelled_result(request))
        if abandoned:
            self.emit(abandoned)

    def run(self, requests: Iterable[CallRequest]) -> RunSummary:
        """Run every request, or stop early once the run is cancelled."""
        iterator = iter(requests)
        while True:
            if not self.summary.exhausted:
                self.top_up(iterator)
            if self.cancel_event.is_set():
                self.drain_cancelled()
                return self.summary
            if not self.pending:
                return self.summary
            self.collect(min(0.25, self.settings.cancel_poll_seconds))
            self.poll_cancel()


def run_calls(
    requests: Iterable[CallRequest],
    endpoint: EndpointConfig,
    *,
    on_result: Callable[[CallResult], None] | None = None,
    on_results: Callable[[Sequence[CallResult]], None] | None = None,
    should_cancel: Callable[[], bool] = lambda: False,
    concurrency: int = DEFAULT_CONCURRENCY,
    policy: RetryPolicy | None = None,
    parser: Parser | None = None,
    prices: PriceTable | None = None,
    sleep: Sleep | None = None,
    rng: random.Random | None = None,
    cancel_poll_seconds: float = 0.2,
    cancel_grace: float = 1.0,
    client: openai.OpenAI | None = None,
) -> RunSummary:
    """Make every call in ``requests`` with at most ``concurrency`` in flight.

    Calls run in a thread pool; ``on_result`` is called on the calling thread, once per
    call taken from ``requests``, so it may write database rows. Give ``on_results``
    instead to receive, in one list, the results of calls that finished together (while the
    previous ones were being handled), to write them in one transaction. ``requests`` is
    read lazily on the calling thread too, a slot being refilled once its result has been
    handed over. Failures never raise: they come back as results with ``ok=False`` and an
    ``error_kind``. An exception raised by ``on_result`` stops the run and propagates.

    ``should_cancel`` is asked at most every ``cancel_poll_seconds``; once it says yes no
    new call starts, retries stop, calls still running after ``cancel_grace`` seconds are
    reported ``cancelled`` and abandoned, and requests not yet read are never read.
    ``sleep`` (default: an interruptible wait) and ``rng`` (jitter) exist for tests.
    """
    if concurrency < 1:
        raise ConfigError(f"concurrency {concurrency} is below 1")
    if on_results is None:
        if on_result is None:
            raise ConfigError("give run_calls on_result or on_results")
        on_results = _one_by_one(on_result)
    elif on_result is not None:
        raise ConfigError("give run_calls on_result or on_results, not both")
    cancel_event = threading.Event()
    own_client = client is None
    active_client = client or build_client(endpoint, concurrency=concurrency)
    jitter = rng or random.Random()
    settings = _Settings(concurrency, should_cancel, cancel_poll_seconds, cancel_grace)

    def interruptible_sleep(seconds: float) -> None:
        cancel_event.wait(seconds)

    def context_for() -> CallContext:
        return CallContext(
            client=active_client,
            policy=policy or RetryPolicy(),
            sleep=sleep or interruptible_sleep,
            rng=jitter,
            cancelled=cancel_event,
            parser=parser,
            prices=prices,
        )

    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="llm-call")
    try:
        loop = _Loop(
            settings, on_results, lambda r: pool.submit(_worker, context_for, r), cancel_event
        )
        return loop.run(requests)
    finally:
        cancel_event.set()
        pool.shutdown(wait=False, cancel_futures=True)
        if own_client:
            active_client.close()
