"""The JSON value checks shared by the readers, the API's JSON parser and the forms."""

from __future__ import annotations

from typing import Any

import pytest

from llmops_core.io.jsontext import unstorable_text


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ({"a": "fine", "b": ["x", {"c": "bad\x00"}]}, ("b.1.c", "contains a NUL character")),
        (["ok", "\ud800"], ("1", "contains an unpaired surrogate (not valid Unicode)")),
        ("\x00", ("", "contains a NUL character")),
        ({"p": {"k\x00": 1}}, ("p", 'has a key "k\\u0000" that contains a NUL character')),
    ],
)
def test_unstorable_text_names_the_field_that_holds_it(value: Any, found: tuple[str, str]) -> None:
    assert unstorable_text(value) == found


@pytest.mark.parametrize("value", [{"a": "é ✓ 😀", "n": 1, "f": 1.5, "z": None}, [], "", 0])
def test_storable_values_pass(value: Any) -> None:
    assert unstorable_text(value) is None


def test_depth_beyond_the_recursion_limit_does_not_exhaust_the_stack() -> None:
    deep: Any = "x\x00"
    for _ in range(5_000):
        deep = [deep]
    path, _ = unstorable_text(deep) or ("", "")
    assert path.count(".") == 4_999
