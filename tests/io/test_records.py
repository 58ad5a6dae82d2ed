"""validate_record: one raw record in, a typed ImportRow or every problem in it out."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from llmops_core.io.errors import RowError
from llmops_core.io.records import FieldLimits, ImportRow, validate_record

GOOD: dict[str, Any] = {"external_id": "out-1", "output": "Paris.", "input": "Capital of France?"}


def messages_of(raw: dict[str, Any], row: int = 7, **kwargs: Any) -> list[str]:
    result = validate_record(raw, row, **kwargs)
    assert isinstance(result, list), result
    return [str(error) for error in result]


def test_minimal_record_becomes_import_row_with_absent_optionals() -> None:
    row = validate_record(GOOD, 3)
    assert row == ImportRow(row=3, external_id="out-1", output="Paris.", input="Capital of France?")
    assert row.input_kind == "text"
    assert row.metadata is None and row.cost is None


def test_full_record_keeps_types() -> None:
    raw = {
        **GOOD,
        "input": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Capital of France?"},
        ],
        "prompt": "capitals",
        "prompt_version": 2,
        "model": "gpt-x",
        "latency_ms": 0,
        "tokens_in": 12,
        "tokens_out": 3,
        "cost": 0.00012,
        "metadata": {"run": "a", "tags": ["x"]},
    }
    row = validate_record(raw, 1)
    assert isinstance(row, ImportRow)
    assert row.input_kind == "messages"
    assert (row.prompt, row.prompt_version, row.model) == ("capitals", 2, "gpt-x")
    assert (row.latency_ms, row.tokens_in, row.tokens_out) == (0, 12, 3)
    assert row.cost == Decimal("0.00012") and isinstance(row.cost, Decimal)
    assert row.metadata == {"run": "a", "tags": ["x"]}


def test_input_may_be_an_object_of_variables() -> None:
    row = validate_record({**GOOD, "input": {"country": "France", "n": 1}}, 1)
    assert isinstance(row, ImportRow) and row.input_kind == "variables"


def test_error_formats_with_and_without_field() -> None:
    assert str(RowError(17, "tokens_in", '"abc" is not an integer')) == (
        'row 17, field "tokens_in": "abc" is not an integer'
    )
    assert str(RowError(4, None, "invalid JSON: Expecting value at column 1")) == (
        "row 4: invalid JSON: Expecting value at column 1"
    )
    assert RowError(2, "output", "required").to_dict() == {
        "row": 2,
        "field": "output",
        "reason": "required",
        "message": 'row 2, field "output": required',
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"output": None}, 'row 7, field "output": required'),
        ({"external_id": ""}, 'row 7, field "external_id": must not be blank'),
        ({"external_id": "   "}, 'row 7, field "external_id": must not be blank'),
        ({"external_id": 17}, 'row 7, field "external_id": 17 is not a string'),
        (
            {"external_id": "x" * 256},
            'row 7, field "external_id": is 256 characters long, more than 255',
        ),
        ({"output": ["a"]}, 'row 7, field "output": a list is not a string'),
        ({"output": "a\x00b"}, 'row 7, field "output": contains a NUL character'),
        (
            {"output": "\ud800"},
            'row 7, field "output": contains an unpaired surrogate (not valid Unicode)',
        ),
        ({"input": 5}, 'row 7, field "input": 5 is not a string, an object or a list of messages'),
        ({"input": []}, 'row 7, field "input": must not be an empty list of messages'),
        ({"input": ["hi"]}, 'row 7, field "input": message 1 is "hi", not an object'),
        (
            {"input": {"a": float("inf")}},
            'row 7, field "input": contains a number that is not finite',
        ),
        ({"tokens_in": "abc"}, 'row 7, field "tokens_in": "abc" is not an integer'),
        ({"tokens_in": "12"}, 'row 7, field "tokens_in": "12" is not an integer'),
        ({"tokens_out": 12.5}, 'row 7, field "tokens_out": 12.5 is not an integer'),
        ({"tokens_out": 12.0}, 'row 7, field "tokens_out": 12.0 is not an integer'),
        ({"latency_ms": True}, 'row 7, field "latency_ms": true is not an integer'),
        ({"latency_ms": -1}, 'row 7, field "latency_ms": -1 is negative'),
        ({"latency_ms": 2**31}, 'row 7, field "latency_ms": 2147483648 is larger than 2147483647'),
        ({"prompt": "p", "prompt_version": 0}, 'row 7, field "prompt_version": 0 is not positive'),
        ({"prompt_version": 3}, 'row 7, field "prompt_version": given without "prompt"'),
        ({"cost": "0.1"}, 'row 7, field "cost": "0.1" is not a number'),
        ({"cost": -0.5}, 'row 7, field "cost": -0.5 is negative'),
        ({"cost": 1e9}, 'row 7, field "cost": 1000000000.0 is too large (at most 6 whole digits)'),
        ({"cost": 1e-9}, 'row 7, field "cost": 1e-09 has more than 8 decimal places'),
        ({"cost": float("nan")}, 'row 7, field "cost": nan is not a number'),
        ({"model": "m" * 201}, 'row 7, field "model": is 201 characters long, more than 200'),
        ({"metadata": []}, 'row 7, field "metadata": a list is not an object'),
        ({"metadata": "{}"}, 'row 7, field "metadata": "{}" is not an object'),
        ({"colour": "red"}, 'row 7, field "colour": unknown field'),
    ],
)
def test_each_bad_field_has_an_exact_message(change: dict[str, Any], message: str) -> None:
    assert messages_of({**GOOD, **change}) == [message]


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ({"role": "bot", "content": "x"}, 'role "bot" is not one of system, user, assistant, tool'),
        ({"role": "user", "content": 3}, "content 3 is not a string"),
        ({"role": "user"}, "content is required"),
        ({"content": "x"}, "role is required"),
        ({"role": "user", "content": "x", "name": "n"}, 'unknown key "name"'),
    ],
)
def test_chat_message_problems_name_the_message(message: dict[str, Any], reason: str) -> None:
    raw = {**GOOD, "input": [{"role": "user", "content": "ok"}, message]}
    assert messages_of(raw) == [f'row 7, field "input": message 2: {reason}']


def test_every_problem_in_a_row_is_reported_in_field_order() -> None:
    raw = {
        "colour": "red",
        "tokens_in": "abc",
        "external_id": "",
        "cost": -1,
        "prompt_version": 0,
        "input": [{"role": "bot", "content": 2}],
    }
    assert messages_of(raw, row=3) == [
        'row 3, field "colour": unknown field',
        'row 3, field "external_id": must not be blank',
        'row 3, field "output": required',
        'row 3, field "input": message 1: role "bot" is not one of system, user, assistant, tool',
        'row 3, field "input": message 1: content 2 is not a string',
        'row 3, field "prompt_version": 0 is not positive',
        'row 3, field "prompt_version": given without "prompt"',
        'row 3, field "tokens_in": "abc" is not an integer',
        'row 3, field "cost": -1 is negative',
    ]


def test_missing_required_fields_are_each_reported() -> None:
    assert messages_of({}, row=5) == [
        'row 5, field "external_id": required',
        'row 5, field "output": required',
        'row 5, field "input": required',
    ]


def test_a_record_that_is_not_an_object_is_one_row_error() -> None:
    assert messages_of([1, 2], row=2) == ["row 2: expected a JSON object, got a list"]  # type: ignore[arg-type]
    assert messages_of("x", row=2) == ['row 2: expected a JSON object, got "x"']  # type: ignore[arg-type]


def test_null_and_empty_optional_fields_are_absent() -> None:
    row = validate_record({**GOOD, "model": "", "prompt": None, "cost": None}, 1)
    assert isinstance(row, ImportRow) and row.model is None and row.prompt is None


def test_nesting_deeper_than_the_limit_is_refused() -> None:
    deep: Any = "leaf"
    for _ in range(21):
        deep = {"k": deep}
    assert messages_of({**GOOD, "metadata": deep}) == [
        'row 7, field "metadata": nested deeper than 20 levels'
    ]
    assert isinstance(validate_record({**GOOD, "metadata": deep["k"]}, 1), ImportRow)


def test_nul_inside_nested_metadata_is_refused() -> None:
    raw = {**GOOD, "metadata": {"a": ["ok", {"b\x00": 1}]}}
    assert messages_of(raw) == ['row 7, field "metadata": contains a NUL character']


def test_limits_are_arguments() -> None:
    limits = FieldLimits(max_external_id=3, max_integer=10, max_depth=1)
    raw = {**GOOD, "external_id": "abcd", "tokens_in": 11, "metadata": {"a": {}}}
    assert messages_of(raw, limits=limits) == [
        'row 7, field "external_id": is 4 characters long, more than 3',
        'row 7, field "tokens_in": 11 is larger than 10',
        'row 7, field "metadata": nested deeper than 1 levels',
    ]


def test_a_long_unknown_field_name_is_cut_in_the_message() -> None:
    (message,) = messages_of({**GOOD, "x" * 500: 1})
    assert message == f'row 7, field "{"x" * 40}…": unknown field'


class TestTextCells:
    """With text=True (CSV), values are cell strings to be parsed."""

    def test_numbers_are_parsed_from_text(self) -> None:
        raw = {
            **GOOD,
            "tokens_in": "12",
            "latency_ms": " 7 ",
            "cost": "0.0012",
            "prompt": "p",
            "prompt_version": "2",
        }
        row = validate_record(raw, 1, text=True)
        assert isinstance(row, ImportRow)
        assert (row.tokens_in, row.latency_ms, row.prompt_version) == (12, 7, 2)
        assert row.cost == Decimal("0.0012")

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"tokens_in": "12.5"}, 'row 7, field "tokens_in": "12.5" is not an integer'),
            ({"tokens_in": "abc"}, 'row 7, field "tokens_in": "abc" is not an integer'),
            ({"tokens_in": "1_000"}, 'row 7, field "tokens_in": "1_000" is not an integer'),
            ({"tokens_in": "-4"}, 'row 7, field "tokens_in": -4 is negative'),
            ({"cost": "abc"}, 'row 7, field "cost": "abc" is not a number'),
            ({"cost": "NaN"}, 'row 7, field "cost": "NaN" is not a number'),
            ({"metadata": "[1]"}, 'row 7, field "metadata": a list is not an object'),
            (
                {"metadata": "oops"},
                'row 7, field "metadata": invalid JSON: Expecting value at column 1',
            ),
            (
                {"input": "[INST] hi"},
                'row 7, field "input": invalid JSON: Expecting value at column 2 '
                '(a cell starting with "{" or "[" is JSON)',
            ),
            ({"external_id": ""}, 'row 7, field "external_id": must not be blank'),
        ],
    )
    def test_bad_cells(self, change: dict[str, str], message: str) -> None:
        assert messages_of({**GOOD, **change}, text=True) == [message]

    def test_empty_cells_are_absent_for_optional_fields(self) -> None:
        raw = {**GOOD, "prompt": "", "prompt_version": "", "cost": "", "metadata": ""}
        row = validate_record(raw, 1, text=True)
        assert isinstance(row, ImportRow) and row.cost is None and row.metadata is None

    def test_input_cell_is_json_only_when_it_starts_with_a_bracket(self) -> None:
        plain = validate_record({**GOOD, "input": ' {"not": "json"}'}, 1, text=True)
        variables = validate_record({**GOOD, "input": '{"q": "x"}'}, 1, text=True)
        chat = validate_record(
            {**GOOD, "input": '[{"role": "user", "content": "x"}]'}, 1, text=True
        )
        assert isinstance(plain, ImportRow) and plain.input == ' {"not": "json"}'
        assert isinstance(variables, ImportRow) and variables.input == {"q": "x"}
        assert isinstance(chat, ImportRow) and chat.input == [{"role": "user", "content": "x"}]
