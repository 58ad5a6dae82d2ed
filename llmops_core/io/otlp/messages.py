"""Chat messages out of span attributes and events, in every shape the conventions use.

Each reader returns a list of ``{"role", "content"}`` with text content (the shape imports and
the rating page use), or an empty list when the span carries no messages that way.
"""

from __future__ import annotations

from typing import Any

import orjson

from llmops_core.io.otlp import conventions as c

Message = dict[str, str]


def parse_json(value: Any) -> Any:
    """Return a JSON string's value; anything else (or text that is not JSON) as it is."""
    if isinstance(value, str) and value[:1] in ("[", "{", '"'):
        try:
            return orjson.loads(value)
        except (orjson.JSONDecodeError, RecursionError):
            return value
    return value


def _dumps(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


def _part_text(part: Any) -> str:
    """Return the text of one content part (GenAI parts, OpenAI content parts, plain text)."""
    if isinstance(part, str):
        return part
    if not isinstance(part, dict):
        return _dumps(part)
    kind = part.get("type")
    if kind == "text" or (kind is None and ("content" in part or "text" in part)):
        text = part.get("content", part.get("text", ""))
        return text if isinstance(text, str) else _dumps(text)
    if kind == "tool_call":
        return f"[tool call {part.get('name', '')}({_dumps(part.get('arguments', {}))})]"
    if kind == "tool_call_response":
        result = part.get("result", part.get("response", ""))
        return result if isinstance(result, str) else _dumps(result)
    return _dumps(part)


def content_text(content: Any) -> str:
    """Return message content (text, a list of parts, or anything JSON) as text."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(_part_text(part) for part in content)
    return _part_text(content)


def _tool_calls_text(calls: Any) -> str:
    if not isinstance(calls, list):
        return ""
    rendered = []
    for call in calls:
        if isinstance(call, dict):
            inner = call.get("function")
            function: dict[str, Any] = inner if isinstance(inner, dict) else call
            name = function.get("name", "")
            arguments = parse_json(function.get("arguments", {}))
            rendered.append(f"[tool call {name}({_dumps(arguments)})]")
    return "\n".join(rendered)


def normalise(messages: Any) -> list[Message]:
    """Return chat messages (GenAI ``parts``, OpenAI ``content``, Langfuse) as role and text."""
    messages = parse_json(messages)
    if isinstance(messages, dict) and isinstance(messages.get("messages"), list):
        messages = messages["messages"]
    if not isinstance(messages, list):
        return []
    result: list[Message] = []
    for message in messages:
        if not isinstance(message, dict):
            continue
        role = message.get("role")
        content = message.get("parts", message.get("content"))
        text = content_text(content)
        calls = _tool_calls_text(message.get("tool_calls"))
        if calls:
            text = f"{text}\n{calls}" if text else calls
        result.append({"role": str(role or "user"), "content": text})
    return result


def _indexed(attributes: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    """Group ``prefix + N + "." + field`` attributes into one dict per N, in order of N."""
    groups: dict[int, dict[str, Any]] = {}
    size = len(prefix)
    for key, value in attributes.items():
        if key.startswith(prefix):
            index, _, rest = key[size:].partition(".")
            if index.isdigit() and rest:
                groups.setdefault(int(index), {})[rest] = value
    return [groups[index] for index in sorted(groups)]


def _openinference(attributes: dict[str, Any], prefix: str) -> list[Message]:
    result: list[Message] = []
    for fields in _indexed(attributes, prefix):
        text = fields.get("message.content")
        if text is None:
            parts = [
                fields[key]
                for key in sorted(fields)
                if key.startswith("message.contents.") and key.endswith("message_content.text")
            ]
            text = "\n".join(str(part) for part in parts)
        calls = [
            {
                "name": fields.get(f"message.tool_calls.{n}.tool_call.function.name", ""),
                "arguments": fields.get(f"message.tool_calls.{n}.tool_call.function.arguments"),
            }
            for n in range(32)
            if f"message.tool_calls.{n}.tool_call.function.name" in fields
        ]
        text = content_text(text)
        rendered = _tool_calls_text(calls)
        if rendered:
            text = f"{text}\n{rendered}" if text else rendered
        result.append({"role": str(fields.get("message.role") or "user"), "content": text})
    return result


def _openllmetry(attributes: dict[str, Any], prefix: str, default_role: str) -> list[Message]:
    return [
        {
            "role": str(fields.get("role") or default_role),
            "content": content_text(fields.get("content")),
        }
        for fields in _indexed(attributes, prefix)
        if "content" in fields or "role" in fields
    ]


def _system_instructions(value: Any) -> list[Message]:
    value = parse_json(value)
    if value is None or value == "" or value == []:
        return []
    return [{"role": "system", "content": content_text(value)}]


def _from_events(
    events: list[tuple[str, int, dict[str, Any]]],
) -> tuple[list[Message], list[Message]]:
    """Return (input, output) messages carried by span events, in the order they were recorded."""
    inputs: list[Message] = []
    outputs: list[Message] = []
    for name, _, attributes in events:
        if name == c.EVENT_DETAILS:
            inputs += _system_instructions(attributes.get(c.GENAI_SYSTEM_INSTRUCTIONS))
            inputs += normalise(attributes.get(c.GENAI_INPUT_MESSAGES))
            outputs += normalise(attributes.get(c.GENAI_OUTPUT_MESSAGES))
        elif name in c.EVENT_ROLES:
            content = parse_json(attributes.get("content", attributes.get("body", "")))
            role = str(attributes.get("role") or c.EVENT_ROLES[name])
            inputs.append({"role": role, "content": content_text(content)})
        elif name == c.EVENT_CHOICE:
            message = parse_json(attributes.get("message"))
            if isinstance(message, dict):
                outputs += normalise([{"role": "assistant", **message}])
            else:
                content = parse_json(attributes.get("content", ""))
                outputs.append({"role": "assistant", "content": content_text(content)})
        elif name == c.EVENT_PROMPT:
            value = parse_json(attributes.get("gen_ai.prompt"))
            inputs += normalise(value) or [{"role": "user", "content": content_text(value)}]
        elif name == c.EVENT_COMPLETION:
            value = parse_json(attributes.get("gen_ai.completion"))
            outputs += normalise(value) or [{"role": "assistant", "content": content_text(value)}]
    return inputs, outputs


def span_messages(
    attributes: dict[str, Any], events: list[tuple[str, int, dict[str, Any]]]
) -> tuple[list[Message], list[Message]]:
    """Return the (input, output) chat messages of a span, from the first convention that has them.

    GenAI attributes, then OpenInference's, then OpenLLMetry's indexed ones, then events.
    """
    inputs = normalise(attributes.get(c.GENAI_INPUT_MESSAGES))
    if inputs:
        inputs = _system_instructions(attributes.get(c.GENAI_SYSTEM_INSTRUCTIONS)) + inputs
    outputs = normalise(attributes.get(c.GENAI_OUTPUT_MESSAGES))
    if not inputs:
        inputs = _openinference(attributes, c.OI_INPUT_PREFIX)
    if not outputs:
        outputs = _openinference(attributes, c.OI_OUTPUT_PREFIX)
    if not inputs:
        inputs = _openllmetry(attributes, c.GENAI_PROMPT_PREFIX, "user")
    if not outputs:
        outputs = _openllmetry(attributes, c.GENAI_COMPLETION_PREFIX, "assistant")
    if (not inputs or not outputs) and events:
        event_inputs, event_outputs = _from_events(events)
        inputs = inputs or event_inputs
        outputs = outputs or event_outputs
    return inputs, outputs
