"""Plain-text clean-up shared by every place that stores text typed in a browser or imported.

Browsers send a text box's line breaks as CRLF (the HTML spec says so), and files made on
Windows carry them too. Stored as they came, the "\r" reached served prompts, SFT exports and
diffs between versions; text is stored with "\n" line breaks only.
"""

from __future__ import annotations

from typing import Any


def normalize_newlines(text: str) -> str:
    """Return ``text`` with every "\r\n" and lone "\r" turned into "\n"."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def normalize_newlines_in(value: Any) -> Any:
    """Return a JSON-like value with the newlines of every string in it normalised."""
    if isinstance(value, str):
        return normalize_newlines(value)
    if isinstance(value, dict):
        return {key: normalize_newlines_in(item) for key, item in value.items()}
    if isinstance(value, list):
        return [normalize_newlines_in(item) for item in value]
    return value
