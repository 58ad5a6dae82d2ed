"""Plain data shared by the call machinery: chat messages, call requests and call results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final, TypedDict


class Message(TypedDict):
    """One chat message as the OpenAI chat completions API takes it."""

    role: str
    content: str


class ErrorKind:
    """The ``error_kind`` values a ``CallResult`` can carry."""

    RATE_LIMITED: Final = "rate_limited"
    SERVER_ERROR: Final = "server_error"
    TIMEOUT: Final = "timeout"
    CONNECTION: Final = "connection"
    EGRESS_REFUSED: Final = "egress_refused"
    AUTH: Final = "auth"
    BAD_REQUEST: Final = "bad_request"
    MALFORMED_RESPONSE: Final = "malformed_response"
    REFUSAL: Final = "refusal"
    PARSE_ERROR: Final = "parse_error"
    CANCELLED: Final = "cancelled"
    INTERNAL: Final = "internal"

    RETRYABLE: Final = frozenset({RATE_LIMITED, SERVER_ERROR, TIMEOUT, CONNECTION})


@dataclass(frozen=True)
class CallRequest:
    """One chat completion to make; ``key`` is its request hash (see ``hashing.request_hash``)."""

    key: str
    model: str
    messages: Sequence[Message]
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class CallResult:
    """The outcome of one ``CallRequest``, successful or not, ready to be recorded.

    ``attempts`` counts every HTTP request sent for the call (retries and the repair call
    included); ``retries`` counts those sent because a previous one failed transiently;
    ``attempt_errors`` lists ``"kind: message"`` for every failed attempt, in order.
    Token counts add up over every attempt that reported usage, since each was paid for.
    """

    key: str
    ok: bool
    content: str | None = None
    parsed: Any = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    cost: Decimal | None = None
    latency_ms: float | None = None
    total_ms: float = 0.0
    attempts: int = 0
    retries: int = 0
    repaired: bool = False
    error_kind: str | None = None
    error: str = ""
    attempt_errors: list[str] = field(default_factory=list)
    status_code: int | None = None
    finish_reason: str | None = None
    raw: dict[str, Any] | None = None


@dataclass(frozen=True)
class Criterion:
    """One rubric criterion as the judge sees it: an integer scale with optional anchors."""

    name: str
    description: str = ""
    scale_min: int = 1
    scale_max: int = 5
    anchors: Mapping[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Reject a criterion a judge could not score, naming it."""
        if not self.name.strip() or '"' in self.name:
            raise ValueError(f"criterion name {self.name!r} is empty or holds a double quote")
        if self.scale_min >= self.scale_max:
            raise ValueError(
                f'criterion "{self.name}": scale {self.scale_min}-{self.scale_max} is empty'
            )
        for level in self.anchors:
            if not self.scale_min <= level <= self.scale_max:
                raise ValueError(
                    f'criterion "{self.name}": anchor {level} is outside '
                    f"{self.scale_min}-{self.scale_max}"
                )
