"""What a run kind gives the LLM run machinery, and the knobs and outcomes of one step."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings
from django.db.models import Model

from llmops_core.llm.calls import Parser, Sleep
from llmops_core.llm.client import EndpointConfig
from llmops_core.llm.costs import PriceTable
from llmops_core.llm.datatypes import CallRequest
from llmops_core.llm.retry import RetryPolicy
from llmops_core.services.jobs import JobKind


@dataclass(frozen=True)
class PreparedCall:
    """One subject's request; ``request.key`` is its request hash (the cache key)."""

    subject_key: str
    request: CallRequest
    data: Any = None


class RunPlan(Protocol):
    """What a run kind gives the machinery. Built once per step from the run row."""

    kind: str
    endpoint: EndpointConfig
    concurrency: int
    parser: Parser | None

    def subject_keys(self) -> Sequence[str]:
        """Return every subject of the run, in a fixed order (resume relies on it)."""

    def prepare(self, keys: Sequence[str]) -> tuple[list[PreparedCall], dict[str, str]]:
        """Return the calls for ``keys``, and an error message per key that cannot be asked."""

    def record(self, call: PreparedCall, parsed: Any) -> None:
        """Write the domain rows of a successful reply (called inside the result's transaction)."""

    # Optional: ``budget: Decimal | None``; once the run has paid that much, it stops (the
    # calls in flight then still finish, so a run can overshoot by at most its concurrency).
    # Optional: ``record_many(replies)``, the domain rows of many ``(call, parsed)`` replies
    # at once (results that arrived together); without it ``record`` is called for each.


@dataclass(frozen=True)
class RunKind:
    """A family of runs: its ``LLMCall.run_kind``, its job model and the job kind of a step."""

    name: str
    model: type[Model]
    job: JobKind


class StepOutcome(enum.Enum):
    """What a step left to do: another chunk, nothing, or nothing because another step runs."""

    MORE = "more"
    DONE = "done"
    BUSY = "busy"


def _default_policy() -> RetryPolicy:
    return RetryPolicy(max_attempts=max(1, settings.LLM_MAX_RETRIES + 1))


@dataclass(frozen=True)
class StepOptions:
    """The knobs of a step; the defaults come from settings. Tests shrink sleeps and chunks."""

    chunk_size: int = field(default_factory=lambda: getattr(settings, "LLM_RUN_CHUNK_SIZE", 200))
    stale_after: float = field(
        default_factory=lambda: float(getattr(settings, "LLM_RUN_STALE_SECONDS", 120))
    )
    policy: RetryPolicy = field(default_factory=_default_policy)
    prices: PriceTable = field(default_factory=lambda: settings.LLM_PRICES)
    sleep: Sleep | None = None
    cancel_poll_seconds: float = 0.5
    cancel_grace: float = 1.0
