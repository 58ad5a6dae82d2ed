"""Make one chat completion with retries, classify its failures and read its reply.

The ``openai`` package is imported by the functions that send a request, so that services
naming ``Parser`` here do not load it into a web process.
"""

from __future__ import annotations

import http
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from llmops_core.llm.costs import PriceTable, cost_of
from llmops_core.llm.datatypes import CallRequest, CallResult, ErrorKind, Message
from llmops_core.llm.errors import EgressRefused, ParseError
from llmops_core.llm.parsing import repair_messages
from llmops_core.llm.retry import RetryPolicy, backoff_delay, parse_retry_after

if TYPE_CHECKING:  # openai is imported where calls are made: web processes never load it
    import openai

logger = logging.getLogger(__name__)

Parser = Callable[[CallRequest, str], Any]
Sleep = Callable[[float], None]

_WHOLE_REPLIES_ONLY = frozenset({"stream", "stream_options"})
# How much of a reply body that is not a usable completion goes to the server log. Users see
# the status and a fixed reason only: a body could be anything the endpoint's host serves.
LOGGED_BODY_CHARS = 500
_STATUS_HINTS = {
    401: "the endpoint refused the API key",
    403: "the endpoint refused the API key or the model",
    404: "check the base URL and the model name",
    413: "the request is too large for the endpoint",
    429: "rate limited",
}
CONNECTION_FAILED = "connection failed: no reply from the endpoint"


@dataclass
class Attempt:
    """What one HTTP request for a call produced."""

    ok: bool
    content: str | None = None
    raw: dict[str, Any] | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    latency_ms: float | None = None
    status_code: int | None = None
    finish_reason: str | None = None
    error_kind: str | None = None
    error: str = ""
    retry_after: float | None = None


@dataclass
class CallContext:
    """Everything one worker needs to make calls: client, policy, clock and cancel flag."""

    client: openai.OpenAI
    policy: RetryPolicy
    sleep: Sleep
    rng: random.Random
    cancelled: threading.Event
    parser: Parser | None = None
    prices: PriceTable | None = None
    attempts: list[Attempt] = field(default_factory=list)
    retries: int = 0


def chat_body(model: str, messages: Sequence[Message], params: Mapping[str, Any]) -> dict[str, Any]:
    """Return the JSON body of a chat completion request: model, messages and parameters.

    Every parameter goes in the body as given, whether or not the installed client names it
    (``top_k``, a local server's own options). Streaming parameters are dropped: the executor
    records whole replies.
    """
    body = {key: value for key, value in params.items() if key not in _WHOLE_REPLIES_ONLY}
    return {**body, "model": model, "messages": list(messages)}


def _status_kind(status: int) -> str:
    """Return the error kind of an HTTP error status."""
    if status == 429:
        return ErrorKind.RATE_LIMITED
    if status == 408:
        return ErrorKind.TIMEOUT
    if status >= 500:
        return ErrorKind.SERVER_ERROR
    if status in (401, 403):
        return ErrorKind.AUTH
    return ErrorKind.BAD_REQUEST


def status_text(status: int) -> str:
    """Return ``HTTP 404 Not Found (check ...)``: the status and a fixed reason, never the body."""
    try:
        phrase = f" {http.HTTPStatus(status).phrase}"
    except ValueError:
        phrase = ""
    hint = "redirects are not followed" if 300 <= status < 400 else _STATUS_HINTS.get(status)
    return f"HTTP {status}{phrase}" + (f" ({hint})" if hint else "")


def log_body(why: str, text: str, *, status: int | None = None, where: str = "") -> None:
    """Write the start of a reply body that could not be used to the server log."""
    logger.warning(
        "LLM endpoint %s answered %s (%s); body starts: %r",
        where or "?",
        status if status is not None else "-",
        why,
        text[:LOGGED_BODY_CHARS],
    )


def _egress_refusal(error: BaseException) -> EgressRefused | None:
    """Return the egress refusal behind a client error, if that is what stopped it."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, EgressRefused):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _status_attempt(error: openai.APIStatusError, latency_ms: float) -> Attempt:
    """Return the attempt for an error status; its body goes to the log only."""
    status = error.status_code
    try:
        body, where = error.response.text, str(error.response.request.url)
    except Exception:  # a body that cannot be decoded is no reason to lose the status
        body, where = "", ""
    log_body("error status", body, status=status, where=where)
    return Attempt(
        False,
        latency_ms=latency_ms,
        status_code=status,
        error_kind=_status_kind(status),
        error=status_text(status),
        retry_after=parse_retry_after(dict(error.response.headers)),
    )


def _usage(raw: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """Return (prompt tokens, completion tokens) from a response, None where not reported."""
    usage = raw.get("usage")
    if not isinstance(usage, Mapping):
        return None, None
    tokens = [usage.get("prompt_tokens"), usage.get("completion_tokens")]
    tin, tout = (value if isinstance(value, int) and value >= 0 else None for value in tokens)
    return tin, tout


def read_completion(text: str, latency_ms: float, status: int) -> Attempt:
    """Return the attempt described by a 2xx response body; any surprise is malformed."""

    def malformed(problem: str, **counts: Any) -> Attempt:
        # Not a chat completion: the body is kept out of the result (users see the result).
        log_body(problem, text, status=status)
        return Attempt(
            False,
            latency_ms=latency_ms,
            status_code=status,
            error_kind=ErrorKind.MALFORMED_RESPONSE,
            error=problem,
            **counts,
        )

    try:
        raw = json.loads(text)
    except ValueError:
        return malformed("response body is not JSON")
    if not isinstance(raw, dict):
        return malformed("response body is not a JSON object")
    tokens_in, tokens_out = _usage(raw)
    choices = raw.get("choices")
    choice = choices[0] if isinstance(choices, list) and choices else None
    message = choice.get("message") if isinstance(choice, dict) else None
    if not isinstance(message, dict):
        return malformed(
            "response has no choices[0].message", tokens_in=tokens_in, tokens_out=tokens_out
        )
    content, refusal = message.get("content"), message.get("refusal")
    if not isinstance(content, str) and not (isinstance(refusal, str) and refusal):
        return malformed(
            "choices[0].message.content is not text", tokens_in=tokens_in, tokens_out=tokens_out
        )
    attempt = Attempt(
        False,
        raw=raw,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        latency_ms=latency_ms,
        status_code=status,
        finish_reason=choice.get("finish_reason") if isinstance(choice, dict) else None,
    )
    if isinstance(refusal, str) and refusal and not content:
        attempt.error_kind, attempt.error = ErrorKind.REFUSAL, f"model refused: {refusal}"
        return attempt
    attempt.ok, attempt.content = True, content
    return attempt


def send_once(
    client: openai.OpenAI, model: str, messages: Sequence[Message], params: Mapping[str, Any]
) -> Attempt:
    """Send one chat completion request and return what came back; never raise.

    The body is posted as it is (the client's ``post``, with the raw response back) rather
    than through ``chat.completions.create``, whose per-call walk of its typed parameters and
    reply wrapper cost more CPU than the rest of the call: the reply is read here anyway.
    """
    import httpx2
    import openai

    started = time.monotonic()

    def elapsed() -> float:
        return (time.monotonic() - started) * 1000

    try:
        response = client.post(
            "/chat/completions",
            body=chat_body(model, messages, params),
            cast_to=httpx2.Response,
        )
        text = response.text
    except openai.APITimeoutError:
        return Attempt(
            False, latency_ms=elapsed(), error_kind=ErrorKind.TIMEOUT, error="request timed out"
        )
    except EgressRefused as refused:  # the transport's check at connect time (see transport.py)
        return Attempt(
            False, latency_ms=elapsed(), error_kind=ErrorKind.EGRESS_REFUSED, error=str(refused)
        )
    except openai.APIConnectionError as error:
        wrapped = _egress_refusal(error)  # in case a client version wraps it
        if wrapped is not None:
            kind, message = ErrorKind.EGRESS_REFUSED, str(wrapped)
        else:
            # One message whatever went wrong (refused, reset, not HTTP): details would tell
            # an open port from a closed one. The cause goes to the server log.
            cause = error.__cause__ or error
            logger.info("LLM endpoint connection failed: %s: %s", type(cause).__name__, cause)
            kind, message = ErrorKind.CONNECTION, CONNECTION_FAILED
        return Attempt(False, latency_ms=elapsed(), error_kind=kind, error=message)
    except openai.APIStatusError as error:
        return _status_attempt(error, elapsed())
    return read_completion(text, elapsed(), response.status_code)


def attempt_with_retries(
    context: CallContext, model: str, messages: Sequence[Message], params: Mapping[str, Any]
) -> Attempt:
    """Return the first usable attempt, retrying transient failures under the policy."""
    policy = context.policy
    for number in range(policy.max_attempts):
        if context.cancelled.is_set():
            last = context.attempts[-1].error if context.attempts else "not started"
            return Attempt(False, error_kind=ErrorKind.CANCELLED, error=f"cancelled ({last})")
        attempt = send_once(context.client, model, messages, params)
        context.attempts.append(attempt)
        retryable = attempt.error_kind in ErrorKind.RETRYABLE
        if not retryable or number == policy.max_attempts - 1:
            break
        context.retries += 1
        context.sleep(backoff_delay(policy, number, context.rng, attempt.retry_after))
    return attempt


def _finish(
    context: CallContext,
    request: CallRequest,
    last: Attempt,
    started: float,
    parsed: Any = None,
    *,
    repaired: bool = False,
) -> CallResult:
    """Return the call's result, adding up tokens over every attempt."""
    spent = [a for a in context.attempts if a.tokens_in is not None or a.tokens_out is not None]
    tokens_in = sum(a.tokens_in or 0 for a in spent) if spent else None
    tokens_out = sum(a.tokens_out or 0 for a in spent) if spent else None
    cost: Decimal | None = None
    if context.prices is not None and spent:
        cost = cost_of(request.model, tokens_in or 0, tokens_out or 0, context.prices)
    error = last.error
    if last.error_kind in ErrorKind.RETRYABLE and context.policy.max_attempts > 1:
        error = f"{error} (gave up after {context.policy.max_attempts} attempts)"
    return CallResult(
        key=request.key,
        ok=last.ok,
        content=last.content,
        parsed=parsed,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        cost=cost,
        latency_ms=last.latency_ms,
        total_ms=(time.monotonic() - started) * 1000,
        attempts=len(context.attempts),
        retries=context.retries,
        repaired=repaired,
        error_kind=last.error_kind,
        error=error,
        attempt_errors=[f"{a.error_kind}: {a.error}" for a in context.attempts if not a.ok],
        status_code=last.status_code,
        finish_reason=last.finish_reason,
        raw=last.raw,
    )


def _parse(parser: Parser, request: CallRequest, content: str) -> tuple[Any, str | None]:
    """Return (parsed value, None), or (None, the parser's complaint)."""
    try:
        return parser(request, content), None
    except ParseError as error:
        return None, str(error)


def perform_call(context: CallContext, request: CallRequest) -> CallResult:
    """Make one call, parse its reply when a parser is set, and repair it once if allowed.

    The repair is one follow-up call (see ``parsing.repair_messages``) with its own retries;
    a reply that still does not parse ends as ``parse_error`` with the last reply kept.
    """
    started = time.monotonic()
    last = attempt_with_retries(context, request.model, request.messages, request.params)
    parser = context.parser
    if parser is None or not last.ok:
        return _finish(context, request, last, started)
    parsed, problem = _parse(parser, request, last.content or "")
    if problem is None:
        return _finish(context, request, last, started, parsed)
    repaired = context.policy.repair
    if repaired:
        follow_up = repair_messages(request.messages, last.content or "", problem)
        last = attempt_with_retries(context, request.model, follow_up, request.params)
        if not last.ok:
            return _finish(context, request, last, started, repaired=True)
        parsed, again = _parse(parser, request, last.content or "")
        if again is None:
            return _finish(context, request, last, started, parsed, repaired=True)
        problem = f"{again} (after one repair)"
    last.ok, last.error_kind, last.error = False, ErrorKind.PARSE_ERROR, problem
    return _finish(context, request, last, started, repaired=repaired)
