"""Read one piece of feedback (as the API, Langfuse's score API or a span sends it) into values.

Every entry point hands a plain dict with the same keys: ``type``, ``value``, ``scale_min``,
``scale_max`` (or ``scale: {"min", "max"}``), ``comment``, ``correction``, ``name``,
``end_user_id``, ``id`` and ``timestamp``. Errors name the field; the caller adds the row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from llmops_core.errors import DomainError
from llmops_core.models import FeedbackKind

UP = {"up", "thumbs_up", "thumbsup", "+1", "positive", "like", "good", "true", "yes", "1"}
DOWN = {"down", "thumbs_down", "thumbsdown", "-1", "negative", "dislike", "bad", "false", "no", "0"}
MAX_TEXT = 20_000
MAX_SHORT = 255
SCORE_LIMIT = 1e12
# Years a client's timestamp may name: a time zone shift stays a valid datetime.
EARLIEST, LATEST = 1900, 9000
KINDS = [k.value for k in FeedbackKind]


class FeedbackInvalid(DomainError):
    """A field of one piece of feedback is wrong; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class FeedbackValues:
    """One piece of feedback, checked: the kind and the value fields that go with it."""

    kind: str
    thumb: bool | None = None
    score: float | None = None
    scale_min: float | None = None
    scale_max: float | None = None
    comment: str = ""
    correction: str = ""
    name: str = ""
    end_user_id: str = ""
    client_id: str = ""
    client_created_at: datetime | None = None


def _text(raw: dict[str, Any], key: str, limit: int) -> str:
    value = raw.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FeedbackInvalid(key, f"give text, not {type(value).__name__}")
    if len(value) > limit:
        raise FeedbackInvalid(key, f"at most {limit:,} characters (got {len(value):,})")
    if "\x00" in value:
        raise FeedbackInvalid(key, "NUL characters cannot be stored")
    return value


def _number(raw: dict[str, Any], key: str) -> float | None:
    value = raw.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise FeedbackInvalid(key, "give a number, not true or false")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise FeedbackInvalid(key, f"{str(value)[:40]!r} is not a number") from None
    if not math.isfinite(number) or abs(number) > SCORE_LIMIT:
        raise FeedbackInvalid(key, f"{str(value)[:40]} is not a finite number of sensible size")
    return number


def _thumb(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in UP | DOWN:
        return value.strip().lower() in UP
    raise FeedbackInvalid("value", f"{str(value)[:40]!r} is not thumbs up or down (up, down)")


def _kind(raw: dict[str, Any]) -> str:
    kind = raw.get("type")
    if kind is None or kind == "":
        if any(raw.get(key) is not None for key in ("scale", "scale_min", "scale_max")):
            return FeedbackKind.SCORE
        if raw.get("value") is not None:
            value = raw["value"]
            is_number = isinstance(value, int | float) and not isinstance(value, bool)
            return FeedbackKind.SCORE if is_number and value not in (0, 1) else FeedbackKind.THUMBS
        if raw.get("correction"):
            return FeedbackKind.CORRECTION
        if raw.get("comment"):
            return FeedbackKind.COMMENT
        raise FeedbackInvalid("type", f"give the feedback's type ({', '.join(KINDS)}) or value")
    if not isinstance(kind, str) or kind.strip().lower() not in KINDS:
        raise FeedbackInvalid("type", f"{str(kind)[:40]!r} is not one of {', '.join(KINDS)}")
    return kind.strip().lower()


def _scale(raw: dict[str, Any]) -> tuple[float | None, float | None]:
    scale = raw.get("scale")
    if scale is not None:
        if not isinstance(scale, dict):
            raise FeedbackInvalid("scale", 'give {"min": number, "max": number}')
        raw = {"scale_min": scale.get("min"), "scale_max": scale.get("max")}
    low, high = _number(raw, "scale_min"), _number(raw, "scale_max")
    if low is not None and high is not None and low >= high:
        raise FeedbackInvalid("scale_max", f"{high:g} is not above scale_min {low:g}")
    return low, high


def _when(raw: dict[str, Any]) -> datetime | None:
    value = raw.get("timestamp")
    if value is None or value == "" or isinstance(value, datetime):
        return value or None
    if not isinstance(value, str):
        raise FeedbackInvalid("timestamp", "give an ISO 8601 date and time")
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise FeedbackInvalid("timestamp", f"{value[:40]!r} is not an ISO 8601 date and time")
    if not EARLIEST <= parsed.year <= LATEST:
        raise FeedbackInvalid("timestamp", f"{value[:40]} is outside the years {EARLIEST}-{LATEST}")
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, UTC)


def _client_id(raw: dict[str, Any]) -> str:
    value = raw.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _text(raw, "id", MAX_SHORT).strip()


def feedback_values(raw: dict[str, Any]) -> FeedbackValues:
    """Return the checked values of one piece of feedback, or raise ``FeedbackInvalid``."""
    kind = _kind(raw)
    comment = _text(raw, "comment", MAX_TEXT)
    correction = _text(raw, "correction", MAX_TEXT)
    low, high = _scale(raw)
    thumb, score = None, None
    value = raw.get("value")
    if kind == FeedbackKind.THUMBS:
        if value is None:
            raise FeedbackInvalid("value", "thumbs feedback needs a value: up or down")
        thumb = _thumb(value)
    elif kind == FeedbackKind.SCORE:
        score = _number(raw, "value")
        if score is None:
            raise FeedbackInvalid("value", "score feedback needs a number")
        if (low is not None and score < low) or (high is not None and score > high):
            scale = f"{'' if low is None else f'{low:g}'} to {'' if high is None else f'{high:g}'}"
            raise FeedbackInvalid("value", f"{score:g} is outside the scale ({scale.strip()})")
    elif kind == FeedbackKind.COMMENT and not comment.strip():
        raise FeedbackInvalid("comment", "comment feedback needs a comment")
    elif kind == FeedbackKind.CORRECTION and not correction.strip():
        raise FeedbackInvalid("correction", "correction feedback needs the corrected answer")
    return FeedbackValues(
        kind=kind,
        thumb=thumb,
        score=score,
        scale_min=low,
        scale_max=high,
        comment=comment,
        correction=correction,
        name=_text(raw, "name", 200),
        end_user_id=_text(raw, "end_user_id", MAX_SHORT),
        client_id=_client_id(raw),
        client_created_at=_when(raw),
    )
