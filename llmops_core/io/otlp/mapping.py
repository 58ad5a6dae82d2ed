"""Map one span onto a model output: which spans are LLM calls, and what each field comes from.

The attribute names and where each convention defines them are in ``conventions``. For every
field the first convention that has it wins, in the order GenAI, OpenInference, Langfuse
(``conventions.MODEL_KEYS`` and the like list the order). Spans that are not LLM calls (agent
steps, tools, retrieval, embeddings, plain HTTP spans) map to None: the caller counts them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from llmops_core.io.otlp import conventions as c
from llmops_core.io.otlp.messages import content_text, normalise, parse_json, span_messages
from llmops_core.io.otlp.spans import STATUS_ERROR, SpanView
from llmops_core.llm.costs import PriceTable, cost_of
from llmops_core.llm.errors import ConfigError

INT_MAX = 2_147_483_647  # PositiveIntegerField on PostgreSQL
COST_MAX = Decimal("999999.99999999")  # DecimalField(14, 8)
MAX_TAGS = 50
_VERSION = re.compile(r"^\s*v?(\d{1,9})\s*$", re.IGNORECASE)
_REQUEST_PARAMETERS = (
    *("temperature", "max_tokens", "top_p", "top_k", "seed", "stop_sequences"),
    *("frequency_penalty", "presence_penalty"),
)


@dataclass(slots=True)
class MappedOutput:
    """The fields of a model output that one LLM span gives."""

    trace_id: str
    span_id: str
    parent_span_id: str
    input: Any
    output_text: str
    model_name: str
    latency_ms: int | None
    tokens_in: int | None
    tokens_out: int | None
    cost: Decimal | None
    session_id: str
    end_user_id: str
    started_at: datetime | None
    ended_at: datetime | None
    status: str
    error_type: str
    error_message: str
    tags: list[str]
    prompt_name: str
    prompt_version: int | None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def external_id(self) -> str:
        return f"otlp:{self.trace_id}:{self.span_id}"


def is_llm_span(attributes: dict[str, Any]) -> bool:
    """Return whether a span is an LLM call, by the first convention that says what it is."""
    kind = attributes.get(c.OPENINFERENCE_KIND)
    if isinstance(kind, str):
        return kind.upper() == "LLM"
    observation = attributes.get(c.LANGFUSE_TYPE)
    if isinstance(observation, str):
        return observation.lower() == "generation"
    operation = attributes.get(c.GENAI_OPERATION)
    if isinstance(operation, str):
        return operation in c.LLM_OPERATIONS
    # Instrumentations older than gen_ai.operation.name: a model and something it was sent.
    return any(isinstance(attributes.get(key), str) for key in c.MODEL_KEYS) and any(
        key.startswith(("gen_ai.prompt.", "gen_ai.usage.", "gen_ai.completion.", "gen_ai.input"))
        for key in attributes
    )


def _first(attributes: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = attributes.get(key)
        if value is not None and value != "":
            return value
    return None


def _text(value: Any, limit: int) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else orjson.dumps(value, default=str).decode()
    return text[:limit]


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 <= number <= INT_MAX else None


def _usage(attributes: dict[str, Any]) -> tuple[int | None, int | None]:
    tokens_in = _count(_first(attributes, c.TOKENS_IN_KEYS))
    tokens_out = _count(_first(attributes, c.TOKENS_OUT_KEYS))
    details = parse_json(attributes.get(c.LANGFUSE_USAGE))
    if isinstance(details, dict):
        if tokens_in is None:
            tokens_in = _count(_first(details, ("input", "prompt_tokens", "input_tokens")))
        if tokens_out is None:
            tokens_out = _count(_first(details, ("output", "completion_tokens", "output_tokens")))
    return tokens_in, tokens_out


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or number < 0 or number > COST_MAX:
        return None
    return number.quantize(Decimal("0.00000001"))


def _cost(
    attributes: dict[str, Any],
    model: str,
    tokens: tuple[int | None, int | None],
    prices: PriceTable,
) -> tuple[Decimal | None, str]:
    """Return the span's own cost, else the price table's, with where it came from."""
    own = _decimal(attributes.get(c.OPENINFERENCE_COST))
    details = parse_json(attributes.get(c.LANGFUSE_COST))
    if own is None and isinstance(details, dict):
        total = details.get("total")
        if total is None:
            numbers = [v for v in details.values() if isinstance(v, int | float)]
            total = sum(numbers) if numbers else None
        own = _decimal(total)
    if own is not None:
        return own, "span"
    tokens_in, tokens_out = tokens
    if tokens_in is None and tokens_out is None:
        return None, ""
    try:
        computed = cost_of(model, tokens_in or 0, tokens_out or 0, prices)
    except ConfigError:
        return None, ""
    return (_decimal(computed), "price table") if computed is not None else (None, "")


def _time(nanos: int) -> datetime | None:
    return datetime.fromtimestamp(nanos / 1e9, tz=UTC) if nanos > 0 else None


def _prompt_ref(attributes: dict[str, Any]) -> tuple[str, int | None]:
    name = _first(attributes, c.PROMPT_NAME_KEYS)
    raw = _first(attributes, c.PROMPT_VERSION_KEYS)
    version = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        version = raw if 1 <= raw <= INT_MAX else None
    elif isinstance(raw, str):
        match = _VERSION.match(raw)
        version = int(match.group(1)) if match else None
    return (_text(name, 200) if isinstance(name, str) else ""), version


def _tags(attributes: dict[str, Any]) -> list[str]:
    tags: list[str] = []
    for key in c.TAG_KEYS:
        value = parse_json(attributes.get(key))
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",")]
        if isinstance(value, list):
            tags += [_text(tag, 200) for tag in value if tag not in (None, "")]
    return list(dict.fromkeys(tags))[:MAX_TAGS]


def _error(span: SpanView) -> tuple[str, str, str]:
    """Return (status, error type, error message)."""
    attributes = span.attributes
    exception: dict[str, Any] = next(
        (attrs for name, _, attrs in span.events if name == c.EVENT_EXCEPTION), {}
    )
    level = attributes.get(c.LANGFUSE_LEVEL)
    failed = span.status_code == STATUS_ERROR or (
        isinstance(level, str) and level.upper() == "ERROR"
    )
    if not failed:
        return "ok", "", ""
    kind = attributes.get(c.ERROR_TYPE) or exception.get("exception.type") or "error"
    message = (
        span.status_message
        or exception.get("exception.message")
        or attributes.get(c.LANGFUSE_STATUS_MESSAGE)
        or ""
    )
    return "error", _text(kind, 200), _text(message, 10_000)


def _value(attributes: dict[str, Any], key: str, mime_key: str) -> Any:
    value = attributes.get(key)
    if isinstance(value, str) and str(attributes.get(mime_key, "")).startswith("application/json"):
        return parse_json(value)
    return value


def _output_text(attributes: dict[str, Any], outputs: list[dict[str, str]]) -> str:
    if outputs:
        return outputs[0]["content"]
    value = _value(attributes, c.OUTPUT_VALUE, c.OUTPUT_MIME)
    if value is None:
        value = parse_json(attributes.get(c.LANGFUSE_OUTPUT))
    if isinstance(value, dict) and isinstance(value.get("choices"), list) and value["choices"]:
        choice = value["choices"][0]
        if isinstance(choice, dict):
            message = choice.get("message")
            value = message.get("content") if isinstance(message, dict) else choice.get("text")
    elif isinstance(value, dict) and "content" in value:
        value = value["content"]
    return content_text(value)


def _input(attributes: dict[str, Any], inputs: list[dict[str, str]]) -> tuple[Any, dict[str, Any]]:
    """Return the output's input and what goes to metadata because of it.

    Template variables come first: they are what a generation run's or an import's input is,
    so outputs of different prompt versions for the same variables pair up in comparisons.
    """
    variables = parse_json(attributes.get(c.TEMPLATE_VARIABLES))
    if isinstance(variables, dict) and variables:
        return variables, ({"messages": inputs} if inputs else {})
    if inputs:
        return inputs, {}
    for key, mime in ((c.LANGFUSE_INPUT, ""), (c.INPUT_VALUE, c.INPUT_MIME)):
        value = _value(attributes, key, mime) if mime else parse_json(attributes.get(key))
        if value is None or value == "":
            continue
        messages = normalise(value)
        return (messages or value), {}
    return "", {}


def _metadata(span: SpanView, provider: Any) -> dict[str, Any]:
    attributes = span.attributes
    meta: dict[str, Any] = {"span_name": span.name}
    extras = {
        "service": span.resource.get(c.SERVICE_NAME),
        "scope": span.scope or None,
        "provider": provider,
        "operation": attributes.get(c.GENAI_OPERATION),
        "finish_reasons": attributes.get(c.FINISH_REASONS),
        "trace_name": attributes.get(c.TRACE_NAME),
        "environment": _first(attributes, c.ENVIRONMENT_KEYS),
        "release": attributes.get(c.RELEASE),
        "prompt_template": attributes.get(c.TEMPLATE),
    }
    parameters = parse_json(_first(attributes, c.PARAMETER_KEYS))
    if not isinstance(parameters, dict):
        parameters = {
            name: attributes[c.REQUEST_PARAMETER_PREFIX + name]
            for name in _REQUEST_PARAMETERS
            if c.REQUEST_PARAMETER_PREFIX + name in attributes
        }
    extras["parameters"] = parameters or None
    user: dict[str, Any] = {}
    for key in (c.OI_METADATA, *c.LANGFUSE_METADATA_KEYS):
        value = parse_json(attributes.get(key))
        if isinstance(value, dict):
            user.update(value)
    for key, value in attributes.items():
        if key.startswith(c.LANGFUSE_METADATA_PREFIXES):
            user[key.split(".metadata.", 1)[1]] = parse_json(value)
    extras["metadata"] = user or None
    meta.update({key: value for key, value in extras.items() if value not in (None, "", [])})
    return meta


def map_span(span: SpanView, *, prices: PriceTable) -> MappedOutput | None:
    """Return the model output an LLM span describes, or None when it is not an LLM call."""
    attributes = span.attributes
    if not is_llm_span(attributes):
        return None
    inputs, outputs = span_messages(attributes, span.events)
    input_value, input_meta = _input(attributes, inputs)
    model = _text(_first(attributes, c.MODEL_KEYS), 200)
    tokens = _usage(attributes)
    cost, cost_source = _cost(attributes, model, tokens, prices)
    status, error_type, error_message = _error(span)
    prompt_name, prompt_version = _prompt_ref(attributes)
    session = _first(attributes, c.SESSION_KEYS) or span.resource.get("session.id")
    user = _first(attributes, c.USER_KEYS)
    metadata = _metadata(span, _first(attributes, c.PROVIDER_KEYS))
    metadata.update(input_meta)
    if cost_source:
        metadata["cost_source"] = cost_source
    if len(outputs) > 1:
        metadata["choices"] = len(outputs)
    latency = None
    if span.start_ns > 0 and span.end_ns >= span.start_ns:
        latency = min((span.end_ns - span.start_ns) // 1_000_000, INT_MAX)
    return MappedOutput(
        trace_id=span.trace_id,
        span_id=span.span_id,
        parent_span_id=span.parent_span_id,
        input=input_value,
        output_text=_output_text(attributes, outputs),
        model_name=model,
        latency_ms=latency,
        tokens_in=tokens[0],
        tokens_out=tokens[1],
        cost=cost,
        session_id=_text(session, 255),
        end_user_id=_text(user, 255),
        started_at=_time(span.start_ns),
        ended_at=_time(span.end_ns),
        status=status,
        error_type=error_type,
        error_message=error_message,
        tags=_tags(attributes),
        prompt_name=prompt_name,
        prompt_version=prompt_version,
        metadata=metadata,
    )
