"""Plain-words pieces every report summary shares: lists, counts, names, numbers, comparisons.

Summaries are read by leads who do not read metric tables, so a sentence names things as people
do ("factual accuracy", not ``factual_accuracy``), states an undefined number as undefined with
its reason (never as 0 or 1), and says which way a comparison goes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal

Comparison = Literal["more", "less", "same"]
UNDEFINED: Final = "undefined"


def join(words: Sequence[str]) -> str:
    """Return "a", "a and b" or "a, b and c"."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def count(n: int, noun: str, plural: str | None = None) -> str:
    """Return "1 item", "3 items" or "2,870 ratings" (``plural`` when an "s" is wrong)."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def label(name: str) -> str:
    """Return a criterion's name as a person writes it: "factual_accuracy" -> "factual accuracy"."""
    return " ".join(name.replace("_", " ").replace("-", " ").split()) or name


def capital(text: str) -> str:
    """Return ``text`` with its first letter upper case and the rest as written."""
    return text[:1].upper() + text[1:]


def number(value: float | None, digits: int = 2, reason: str | None = None) -> str:
    """Return ``value`` rounded, or "undefined (reason)" when there is no value."""
    if value is None:
        return f"{UNDEFINED} ({reason})" if reason else UNDEFINED
    return f"{value:.{digits}f}"


def signed(value: float, digits: int = 2) -> str:
    """Return ``value`` with its sign: "+0.30", "-0.12"."""
    return f"{value:+.{digits}f}"


def share(value: float) -> str:
    """Return a proportion as a whole percentage: 0.123 -> "12%"."""
    return f"{value:.0%}"


def magnitude(first: float, second: float, margin: float) -> Comparison:
    """Return whether ``|first|`` is more than, less than or within ``margin`` of ``|second|``."""
    gap = abs(first) - abs(second)
    if abs(gap) < margin:
        return "same"
    return "more" if gap > 0 else "less"
