"""Safe presentation of untrusted text: Markdown without raw HTML, sanitised, and input shapes.

Model outputs, inputs and guidelines are untrusted. Markdown is rendered with raw HTML switched
off (a ``<script>`` in an output is shown as text), then sanitised with nh3 against a short
allow-list as a second line of defence; the page's Content-Security-Policy is the third.
Nothing here touches the database.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "pre",
    "code",
    "blockquote",
    "strong",
    "em",
    "del",
    "a",
    "ul",
    "ol",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "code": {"class"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}
MAX_RENDER_CHARS = 200_000

_local = threading.local()


def _markdown() -> markdown.Markdown:
    md: markdown.Markdown | None = getattr(_local, "md", None)
    if md is None:
        md = markdown.Markdown(extensions=["fenced_code", "tables", "sane_lists"])
        # Raw HTML in the source is escaped and shown, never passed through.
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        _local.md = md
    md.reset()
    return md


def render_markdown(text: str) -> str:
    """Return sanitised HTML for untrusted Markdown ``text``; raw HTML in it shows as text."""
    if not text:
        return ""
    html = _markdown().convert(text[:MAX_RENDER_CHARS])
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def safe_markdown(text: str) -> SafeString:
    """Return ``render_markdown(text)`` marked safe for templates.

    The one place untrusted text is marked safe, and only after it went through Markdown with
    raw HTML disabled and nh3's allow-list; templates never use ``|safe`` themselves.
    """
    return mark_safe(render_markdown(text))  # noqa: S308


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=2)


def _message_text(content: Any) -> str:
    """Return the text of a chat message's content (a string or a list of parts)."""
    if isinstance(content, list):
        parts = [p.get("text", "") if isinstance(p, dict) else str(p) for p in content]
        return "\n\n".join(part for part in parts if part)
    return _as_text(content)


def _is_messages(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(m, dict) and "role" in m and "content" in m for m in value)
    )


def input_view(value: Any) -> dict[str, Any]:
    """Return an input (text, variables or chat messages) in the shape the rating page shows.

    ``{"messages": [{"role", "html"}], "variables": [[name, text]], "html": str}``; message
    contents are sanitised Markdown, variable values plain text for the page to escape.
    """
    view: dict[str, Any] = {"messages": [], "variables": [], "html": ""}
    if isinstance(value, str):
        view["html"] = render_markdown(value)
        return view
    if _is_messages(value):
        messages, variables = value, {}
    elif isinstance(value, dict):
        nested = value.get("messages")
        messages = nested if _is_messages(nested) else []
        variables = {k: v for k, v in value.items() if not (messages and k == "messages")}
    else:
        view["variables"] = [["input", _as_text(value)]]
        return view
    view["messages"] = [
        {"role": str(m.get("role", "")), "html": render_markdown(_message_text(m.get("content")))}
        for m in messages
    ]
    view["variables"] = [[str(k), _as_text(v)] for k, v in variables.items()]
    return view
