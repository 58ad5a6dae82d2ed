"""Render prompt templates with ``{{ variable }}`` placeholders into chat messages."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from llmops_core.llm.datatypes import Message
from llmops_core.llm.errors import MissingVariableError, PromptError

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
ROLES = frozenset({"system", "user", "assistant", "developer", "tool"})

PromptInput = str | Mapping[str, Any] | Sequence[Mapping[str, Any]]


def template_variables(template: str) -> list[str]:
    """Return the variable names a template uses, in order of first use."""
    return list(dict.fromkeys(PLACEHOLDER.findall(template)))


def _as_text(value: Any) -> str:
    """Return a variable's value as prompt text: strings as they are, other data as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def render_template(template: str, variables: Mapping[str, Any]) -> str:
    """Return ``template`` with every ``{{ name }}`` replaced by its variable.

    Substitution is one pass of plain text replacement: a value that itself contains
    ``{{ x }}`` is not expanded again, and nothing in the template is ever executed.
    """
    missing = [name for name in template_variables(template) if name not in variables]
    if missing:
        raise MissingVariableError(missing)
    return PLACEHOLDER.sub(lambda match: _as_text(variables[match.group(1)]), template)


def validate_messages(messages: Sequence[Mapping[str, Any]]) -> list[Message]:
    """Return the messages as ``Message`` dicts, or raise naming the first bad one."""
    if isinstance(messages, str | bytes) or not isinstance(messages, Sequence):
        raise PromptError("messages must be a list of {role, content} objects")
    checked: list[Message] = []
    for index, message in enumerate(messages):
        if not isinstance(message, Mapping):
            raise PromptError(f"message {index}: is not an object with role and content")
        role, content = message.get("role"), message.get("content")
        if role not in ROLES:
            raise PromptError(f'message {index}, field "role": {role!r} is not a chat role')
        if not isinstance(content, str):
            raise PromptError(f'message {index}, field "content": is not text')
        checked.append({"role": role, "content": content})
    return checked


def transcript(messages: Sequence[Message]) -> str:
    """Return chat messages as plain ``role: content`` text, one turn per paragraph."""
    return "\n\n".join(f"{message['role']}: {message['content']}" for message in messages)


def input_as_text(value: PromptInput) -> str:
    """Return any prompt input (text, variables or chat messages) as one readable text."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return "\n".join(f"{key}: {_as_text(item)}" for key, item in value.items())
    return transcript(validate_messages(value))


def render_prompt(template: str, value: PromptInput, *, system: str | None = None) -> list[Message]:
    """Return the chat messages for one input rendered through a prompt template.

    - text: available to the template as ``{{ input }}``;
    - a mapping: its keys are the template's variables;
    - chat messages: the conversation is kept as chat turns; the template replaces the
      last user turn, with ``{{ input }}`` as that turn's text and ``{{ conversation }}``
      as the whole transcript.

    ``system``, when given and not blank, is rendered with the same variables and sent first.
    """
    before: list[Message] = []
    after: list[Message] = []
    if isinstance(value, str):
        variables: Mapping[str, Any] = {"input": value}
    elif isinstance(value, Mapping):
        variables = value
    else:
        messages = validate_messages(value)
        last_user = max(
            (index for index, message in enumerate(messages) if message["role"] == "user"),
            default=None,
        )
        if last_user is None:
            raise PromptError("chat input has no user message to answer")
        before, after = messages[:last_user], messages[last_user + 1 :]
        variables = {"input": messages[last_user]["content"], "conversation": transcript(messages)}
    rendered: list[Message] = []
    if system is not None and system.strip():
        rendered.append({"role": "system", "content": render_template(system, variables)})
    rendered.extend(before)
    rendered.append({"role": "user", "content": render_template(template, variables)})
    rendered.extend(after)
    return rendered
