"""Prompt rendering with {{ variable }} placeholders."""

from __future__ import annotations

import pytest

from llmops_core.llm.errors import MissingVariableError, PromptError
from llmops_core.llm.prompts import render_prompt, render_template, template_variables


def test_string_input_is_the_input_variable() -> None:
    messages = render_prompt("Answer briefly: {{input}}", "What is rye?", system="Be kind.")
    assert messages == [
        {"role": "system", "content": "Be kind."},
        {"role": "user", "content": "Answer briefly: What is rye?"},
    ]


def test_mapping_input_supplies_variables() -> None:
    messages = render_prompt(
        "Translate {{ text }} into {{ language }}.", {"text": "bread", "language": "French"}
    )
    assert messages == [{"role": "user", "content": "Translate bread into French."}]


def test_system_message_is_optional_and_rendered() -> None:
    messages = render_prompt("{{ q }}", {"q": "hi", "tone": "formal"}, system="Tone: {{ tone }}")
    assert messages[0] == {"role": "system", "content": "Tone: formal"}
    assert render_prompt("{{ q }}", {"q": "hi"}, system="  ")[0]["role"] == "user"


def test_missing_variable_is_named() -> None:
    with pytest.raises(
        MissingVariableError, match='missing template variable "language"'
    ) as caught:
        render_prompt("Translate {{ text }} into {{ language }}.", {"text": "bread"})
    assert caught.value.names == ["language"]


def test_all_missing_variables_are_named_once() -> None:
    with pytest.raises(MissingVariableError, match='variables "a", "b"'):
        render_template("{{a}} {{ b }} {{a}}", {})


def test_values_are_never_expanded_or_executed() -> None:
    rendered = render_template("Say {{ x }}", {"x": "{{ y }} {% for %} {{ __import__('os') }}"})
    assert rendered == "Say {{ y }} {% for %} {{ __import__('os') }}"


def test_expressions_are_not_placeholders() -> None:
    assert template_variables("{{ a.b }} {{ 1+1 }} {{ ok }}") == ["ok"]
    assert render_template("{{ a.b }} {{ ok }}", {"ok": 1}) == "{{ a.b }} 1"


def test_non_text_values_are_rendered_as_json() -> None:
    assert render_template("{{ v }}", {"v": {"b": [1, 2], "a": None}}) == '{"a": null, "b": [1, 2]}'


def test_chat_input_keeps_turns_and_renders_the_last_user_turn() -> None:
    chat = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "Recipe for rye bread?"},
    ]
    messages = render_prompt("Answer as a baker: {{ input }}", chat, system="You bake.")
    assert messages == [
        {"role": "system", "content": "You bake."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "Answer as a baker: Recipe for rye bread?"},
    ]


def test_chat_input_offers_the_transcript() -> None:
    chat = [{"role": "user", "content": "A"}, {"role": "assistant", "content": "B"}]
    [*_, last, after] = render_prompt("{{ conversation }}", chat)
    assert last["content"] == "user: A\n\nassistant: B"
    assert after == {"role": "assistant", "content": "B"}


@pytest.mark.parametrize(
    ("chat", "problem"),
    [
        ([{"role": "bot", "content": "x"}], 'message 0, field "role"'),
        ([{"role": "user", "content": 3}], 'message 0, field "content"'),
        ([{"role": "assistant", "content": "x"}], "no user message"),
        (["hello"], "message 0: is not an object"),
    ],
)
def test_bad_chat_input_names_the_message(chat: list, problem: str) -> None:
    with pytest.raises(PromptError, match=problem):
        render_prompt("{{ input }}", chat)
