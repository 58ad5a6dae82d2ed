"""Small builders shared by the LLM tests."""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any

from llmops_core.llm.client import EndpointConfig
from llmops_core.llm.datatypes import CallRequest, CallResult, Criterion, Message
from llmops_core.llm.egress import EgressPolicy
from llmops_core.llm.executor import RunSummary, run_calls
from llmops_core.llm.hashing import request_hash
from llmops_core.llm.retry import RetryPolicy

# The local test servers listen on loopback, which the egress policy refuses unless allowed.
LOCAL = EgressPolicy.from_rules(["127.0.0.1", "::1"])
CRITERIA = (
    Criterion("fluency", "Is the response well written?", anchors={1: "unreadable", 5: "polished"}),
    Criterion("relevance", "Does it answer the input?"),
    Criterion("factuality", "Is every claim supported?"),
)


def call(text: str, *, model: str = "local-generator", **params: Any) -> CallRequest:
    """Return a generation request for one user message, keyed by its hash."""
    messages: list[Message] = [{"role": "user", "content": text}]
    return CallRequest(request_hash(model, messages, params), model, messages, params)


class Recorder:
    """Collect results and the sleeps the executor asked for."""

    def __init__(self) -> None:
        self.results: list[CallResult] = []
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        """Record a backoff wait instead of waiting."""
        self.sleeps.append(seconds)

    def by_key(self) -> dict[str, CallResult]:
        """Return the results keyed by request key."""
        return {result.key: result for result in self.results}


def run(
    requests: Iterable[CallRequest],
    endpoint: EndpointConfig,
    recorder: Recorder,
    *,
    max_attempts: int = 3,
    **options: Any,
) -> RunSummary:
    """Run calls with a seeded jitter and recorded (not real) sleeps."""
    return run_calls(
        requests,
        endpoint,
        on_result=recorder.results.append,
        policy=options.pop("policy", RetryPolicy(max_attempts=max_attempts, base_delay=0.5)),
        sleep=options.pop("sleep", recorder.sleep),
        rng=random.Random(7),
        **options,
    )
