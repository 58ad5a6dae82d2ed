"""Validation of one imported model-output record into a typed ImportRow."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Literal, TypeVar

from llmops_core.io import jsontext
from llmops_core.io.errors import RowError
from llmops_core.text import normalize_newlines, normalize_newlines_in

MESSAGE_ROLES: Final = ("system", "user", "assistant", "tool")
_INTEGER_TEXT: Final = re.compile(r"[+-]?[0-9]{1,30}")
_DECIMAL_TEXT: Final = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?")
_MAX_REASONS: Final = 10

Input = str | dict[str, Any] | list[dict[str, str]]
_T = TypeVar("_T")
InputKind = Literal["text", "variables", "messages"]


@dataclass(frozen=True, slots=True)
class FieldLimits:
    """Bounds on field values; the defaults match the columns the rows are stored in."""

    max_external_id: int = 255
    max_prompt: int = 120
    max_model: int = 200
    max_integer: int = 2_147_483_647
    cost_max_digits: int = 14
    cost_decimal_places: int = 8
    max_depth: int = 20


DEFAULT_LIMITS: Final = FieldLimits()


@dataclass(slots=True)
class ImportRow:
    """One valid model output to import; optional fields are None when absent.

    Treat it as read-only. It is not frozen because a frozen dataclass costs a
    setattr call per field: about 1.5 µs of the ~10 µs it takes to read a row.
    """

    row: int
    external_id: str
    output: str
    input: Input
    prompt: str | None = None
    prompt_version: int | None = None
    model: str | None = None
    latency_ms: int | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    cost: Decimal | None = None
    metadata: dict[str, Any] | None = None
    reference: str | None = None

    @property
    def input_kind(self) -> InputKind:
        """Return which of the three input shapes this row carries."""
        if isinstance(self.input, str):
            return "text"
        return "variables" if isinstance(self.input, dict) else "messages"


class _Invalid(Exception):
    """A field value is wrong; carries one or more reasons."""

    def __init__(self, *reasons: str) -> None:
        super().__init__(*reasons)
        self.reasons = reasons


@dataclass(frozen=True, slots=True)
class _Context:
    limits: FieldLimits
    text: bool  # values are CSV cells (strings) to be parsed
    # False only when the source JSON text had no \u escape, so no string in it can hold a
    # NUL or a lone surrogate and the per-string scan can be skipped.
    check_text: bool = True
    # False only when the source JSON text had no \r or \u escape, so no string in it holds
    # a carriage return and the input need not be walked to turn "\r\n" into "\n".
    may_hold_cr: bool = True


Parser = Callable[[Any, _Context], Any]


def _string(value: Any, ctx: _Context, max_chars: int | None = None) -> str:
    if not isinstance(value, str):
        raise _Invalid(f"{jsontext.show(value)} is not a string")
    problem = ctx.check_text and jsontext.text_problem(value)
    if problem:
        raise _Invalid(problem)
    if max_chars is not None and len(value) > max_chars:
        raise _Invalid(f"is {len(value)} characters long, more than {max_chars}")
    return value


def _parse_external_id(value: Any, ctx: _Context) -> str:
    text = _string(value, ctx, ctx.limits.max_external_id)
    if not text.strip():
        raise _Invalid("must not be blank")
    return text


def _parse_output(value: Any, ctx: _Context) -> str:
    return normalize_newlines(_string(value, ctx))


def _parse_prompt(value: Any, ctx: _Context) -> str:
    return _string(value, ctx, ctx.limits.max_prompt)


def _parse_model(value: Any, ctx: _Context) -> str:
    return _string(value, ctx, ctx.limits.max_model)


def _json_cell(value: str, ctx: _Context) -> Any:
    try:
        return jsontext.loads(value, max_depth=ctx.limits.max_depth)
    except jsontext.JsonError as exc:
        raise _Invalid(f"invalid JSON: {exc}") from None


def _json_value(value: _T, ctx: _Context) -> _T:
    problem = jsontext.value_problem(
        value, max_depth=ctx.limits.max_depth, from_text=not ctx.check_text
    )
    if problem:
        raise _Invalid(problem)
    return value


def _message_problems(message: Any, number: int) -> list[str]:
    where = f"message {number}"
    if not isinstance(message, dict):
        return [f"{where} is {jsontext.show(message)}, not an object"]
    problems = [
        f'{where}: unknown key "{key}"' for key in message if key not in ("role", "content")
    ]
    role = message.get("role")
    if role is None:
        problems.append(f"{where}: role is required")
    elif role not in MESSAGE_ROLES:
        problems.append(
            f"{where}: role {jsontext.show(role)} is not one of {', '.join(MESSAGE_ROLES)}"
        )
    content = message.get("content")
    if content is None:
        problems.append(f"{where}: content is required")
    elif not isinstance(content, str):
        problems.append(f"{where}: content {jsontext.show(content)} is not a string")
    return problems


def _messages(value: list[Any]) -> list[dict[str, str]]:
    if not value:
        raise _Invalid("must not be an empty list of messages")
    problems: list[str] = []
    for number, message in enumerate(value, start=1):
        problems.extend(_message_problems(message, number))
        if len(problems) > _MAX_REASONS:
            break
    if problems:
        raise _Invalid(*problems[:_MAX_REASONS])
    return value


def _parse_input(value: Any, ctx: _Context) -> Input:
    if ctx.text and isinstance(value, str):
        if not value.startswith(("{", "[")):
            return _string(value, ctx)
        try:
            value = jsontext.loads(value, max_depth=ctx.limits.max_depth)
        except jsontext.JsonError as exc:
            raise _Invalid(
                f'invalid JSON: {exc} (a cell starting with "{{" or "[" is JSON)'
            ) from None
    if isinstance(value, str):
        return normalize_newlines(_string(value, ctx))
    if isinstance(value, dict):
        value = _json_value(value, ctx)
    elif isinstance(value, list):
        value = _json_value(_messages(value), ctx)
    else:
        raise _Invalid(f"{jsontext.show(value)} is not a string, an object or a list of messages")
    # Text typed on Windows or in a browser carries "\r\n"; inputs are stored with "\n".
    return normalize_newlines_in(value) if ctx.may_hold_cr else value


def _parse_metadata(value: Any, ctx: _Context) -> dict[str, Any]:
    if ctx.text and isinstance(value, str):
        value = _json_cell(value, ctx)
    if not isinstance(value, dict):
        raise _Invalid(f"{jsontext.show(value)} is not an object")
    return _json_value(value, ctx)


def _integer(value: Any, ctx: _Context, minimum: int) -> int:
    number: int | None = None
    if ctx.text and isinstance(value, str) and _INTEGER_TEXT.fullmatch(value.strip()):
        number = int(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    if number is None:
        raise _Invalid(f"{jsontext.show(value)} is not an integer")
    if number < minimum:
        raise _Invalid(f"{number} is negative" if minimum == 0 else f"{number} is not positive")
    if number > ctx.limits.max_integer:
        raise _Invalid(f"{number} is larger than {ctx.limits.max_integer}")
    return number


def _parse_count(value: Any, ctx: _Context) -> int:
    return _integer(value, ctx, minimum=0)


def _parse_version(value: Any, ctx: _Context) -> int:
    return _integer(value, ctx, minimum=1)


def _to_decimal(value: Any, ctx: _Context) -> Decimal | None:
    if ctx.text and isinstance(value, str) and _DECIMAL_TEXT.fullmatch(value.strip()):
        return Decimal(value.strip())
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        # repr() is the shortest text that reads back as this float: "0.1", not 0.1000…0555
        return Decimal(repr(value))
    return None


def _parse_cost(value: Any, ctx: _Context) -> Decimal:
    number = _to_decimal(value, ctx)
    if number is None or not number.is_finite():
        raise _Invalid(f"{jsontext.show(value)} is not a number")
    if number < 0:
        raise _Invalid(f"{jsontext.show(value)} is negative")
    limits = ctx.limits
    whole_digits = limits.cost_max_digits - limits.cost_decimal_places
    if number >= Decimal(10) ** whole_digits:
        raise _Invalid(f"{jsontext.show(value)} is too large (at most {whole_digits} whole digits)")
    try:
        exact = number == number.quantize(Decimal(1).scaleb(-limits.cost_decimal_places))
    except InvalidOperation:
        exact = False
    if not exact:
        raise _Invalid(
            f"{jsontext.show(value)} has more than {limits.cost_decimal_places} decimal places"
        )
    return number


@dataclass(frozen=True, slots=True)
class _Field:
    parse: Parser
    required: bool = False


FIELDS: Final[dict[str, _Field]] = {
    "external_id": _Field(_parse_external_id, required=True),
    "output": _Field(_parse_output, required=True),
    "input": _Field(_parse_input, required=True),
    "prompt": _Field(_parse_prompt),
    "prompt_version": _Field(_parse_version),
    "model": _Field(_parse_model),
    "latency_ms": _Field(_parse_count),
    "tokens_in": _Field(_parse_count),
    "tokens_out": _Field(_parse_count),
    "cost": _Field(_parse_cost),
    "metadata": _Field(_parse_metadata),
    "reference": _Field(_parse_output),
}
REQUIRED_FIELDS: Final = tuple(name for name, spec in FIELDS.items() if spec.required)
_FIELD_ORDER: Final[dict[str | None, int]] = {name: i for i, name in enumerate(FIELDS)}


def _kind_of(value: object) -> str:
    return "a list" if isinstance(value, list) else jsontext.show(value)


def validate_record(
    raw: Mapping[str, Any] | Any,
    row: int,
    *,
    limits: FieldLimits = DEFAULT_LIMITS,
    text: bool = False,
) -> ImportRow | list[RowError]:
    """Validate one raw record and return an ImportRow, or every problem found in it.

    With text=True the values are CSV cells: numbers are parsed from their text, and input
    or metadata cells starting with "{" or "[" are parsed as JSON.
    """
    return _validate(raw, row, _Context(limits, text))


class RecordValidator:
    """Validate the records of one file, with its limits and cell mode fixed once."""

    def __init__(self, limits: FieldLimits = DEFAULT_LIMITS, *, text: bool = False) -> None:
        self._checked = _Context(limits, text, check_text=True)
        self._cr_only = _Context(limits, text, check_text=False)
        self._unchecked = _Context(limits, text, check_text=False, may_hold_cr=False)

    def validate(self, raw: Any, row: int) -> ImportRow | list[RowError]:
        """Validate one raw record, as validate_record does."""
        return _validate(raw, row, self._checked)

    def validate_parsed(self, raw: Any, row: int, source: str) -> ImportRow | list[RowError]:
        """Validate a record parsed from the JSON text source, skipping scans it rules out."""
        if "\\u" in source:
            return _validate(raw, row, self._checked)
        return _validate(raw, row, self._cr_only if "\\r" in source else self._unchecked)


def _validate(raw: Any, row: int, ctx: _Context) -> ImportRow | list[RowError]:
    if not isinstance(raw, Mapping):
        return [RowError(row, None, f"expected a JSON object, got {_kind_of(raw)}")]
    errors: list[RowError] = []
    values: dict[str, Any] = {}
    for name, value in raw.items():
        spec = FIELDS.get(name)
        if spec is None:
            errors.append(RowError(row, jsontext.show(str(name))[1:-1], "unknown field"))
        # An empty optional field (a blank CSV cell, or "" in JSON) means "not given".
        elif value is None or (value == "" and not spec.required):
            continue
        else:
            try:
                values[name] = spec.parse(value, ctx)
            except _Invalid as exc:
                errors.extend(RowError(row, name, reason) for reason in exc.reasons)
    if len(values) < len(REQUIRED_FIELDS) or errors:
        return _all_errors(raw, row, values, errors)
    if "prompt_version" in values and "prompt" not in values:
        return _all_errors(raw, row, values, errors)
    return ImportRow(row=row, **values)


def _all_errors(
    raw: Mapping[Any, Any], row: int, values: dict[str, Any], errors: list[RowError]
) -> list[RowError] | ImportRow:
    failed = {error.field for error in errors}
    for name in REQUIRED_FIELDS:
        if name not in values and name not in failed:
            errors.append(RowError(row, name, "required"))
    given = failed | set(values)
    if "prompt_version" in given and "prompt" not in given:
        errors.append(RowError(row, "prompt_version", 'given without "prompt"'))
    if not errors:
        return ImportRow(row=row, **values)
    errors.sort(key=lambda error: _FIELD_ORDER.get(error.field, -1))
    return errors
