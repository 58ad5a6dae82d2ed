"""Request hashes for the call cache, and costs from a price table."""

from __future__ import annotations

from decimal import Decimal

import pytest

from llmops_core.llm.costs import cost_of
from llmops_core.llm.errors import ConfigError
from llmops_core.llm.hashing import request_hash

MESSAGES = [{"role": "system", "content": "Judge."}, {"role": "user", "content": "Item 1"}]
PARAMS = {"temperature": 0, "max_tokens": 200, "response_format": {"type": "json_object"}}


def test_hash_is_stable_and_hex() -> None:
    first = request_hash("gpt-x", MESSAGES, PARAMS, extra={"judge_version": 3})
    again = request_hash(
        "gpt-x", [dict(m) for m in MESSAGES], dict(PARAMS), extra={"judge_version": 3}
    )
    assert first == again
    assert len(first) == 64 and int(first, 16) >= 0


def test_hash_ignores_key_order_tuples_and_float_spelling() -> None:
    reordered = {"max_tokens": 200, "response_format": {"type": "json_object"}, "temperature": 0.0}
    assert request_hash("m", MESSAGES, PARAMS) == request_hash("m", tuple(MESSAGES), reordered)


@pytest.mark.parametrize(
    "change",
    [
        {"model": "gpt-y"},
        {"messages": [*MESSAGES[:1], {"role": "user", "content": "Item 2"}]},
        {"params": {**PARAMS, "temperature": 0.2}},
        {"params": {**PARAMS, "seed": 1}},
        {"extra": {"judge_version": 4}},
    ],
    ids=["model", "item content", "temperature", "seed", "judge version"],
)
def test_hash_changes_with_anything_that_changes_the_request(change: dict) -> None:
    base = {"model": "gpt-x", "messages": MESSAGES, "params": PARAMS, "extra": {"judge_version": 3}}
    changed = {**base, **change}
    assert _hash(base) != _hash(changed)


def _hash(request: dict) -> str:
    return request_hash(
        request["model"], request["messages"], request["params"], extra=request["extra"]
    )


def test_hash_refuses_values_without_a_json_meaning() -> None:
    with pytest.raises(ValueError, match=r"value.params.temperature: nan"):
        request_hash("m", MESSAGES, {"temperature": float("nan")})
    with pytest.raises(TypeError, match="a set cannot be hashed"):
        request_hash("m", MESSAGES, {"stop": {"x"}})


PRICES = {"gpt-x": {"input": 0.15, "output": 0.6}, "free": {"input": 0, "output": "0"}}


def test_cost_uses_prices_per_thousand_tokens_exactly() -> None:
    assert cost_of("gpt-x", 1000, 500, PRICES) == Decimal("0.45")
    assert cost_of("gpt-x", 1, 1, PRICES) == Decimal("0.00075")
    assert cost_of("free", 10_000, 10_000, PRICES) == 0


def test_unknown_model_costs_none() -> None:
    assert cost_of("mystery", 1000, 1000, PRICES) is None


def test_bad_price_table_names_model_and_field() -> None:
    with pytest.raises(ConfigError, match='model "half": field "output" is missing'):
        cost_of("half", 1, 1, {"half": {"input": 1}})
    with pytest.raises(ConfigError, match='model "odd", field "input"'):
        cost_of("odd", 1, 1, {"odd": {"input": "cheap", "output": 1}})
