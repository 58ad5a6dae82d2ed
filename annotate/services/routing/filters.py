"""A routing rule's filter: the shared outputs filter plus tag, metadata, status and length.

The rule stores one JSON object. Its keys that the outputs filter knows (``PARAMS`` of
``llmops_core.forms.outputs``: prompt, version, model, judge score range, and whatever that
filter learns later) are checked and applied by that filter, so a rule means what the outputs
page means. The few keys only spans carry are this module's: ``tag`` (any of), ``metadata``
(``key=value``, all of), ``status`` (``ok`` or ``error``) and ``length_min``/``length_max``
(characters of the output). They are applied to the batch of new outputs in Python, which
keeps them the same on SQLite and PostgreSQL (JSON containment differs between the two).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db.models.functions import Length

from llmops_core.errors import DomainError
from llmops_core.forms.outputs import PARAMS, OutputFilterForm, filter_data_from_json
from llmops_core.models import OutputStatus, Project
from llmops_core.selectors.outputs import OutputFilter, outputs_filter

EXTRA = ("tag", "metadata", "status", "length_min", "length_max")
MAX_VALUES = 50
MAX_LENGTH = 10_000_000


@dataclass(frozen=True)
class RuleFilter:
    """A parsed rule filter."""

    shared: OutputFilter
    tags: tuple[str, ...] = ()
    metadata: tuple[tuple[str, str], ...] = ()
    status: str = ""
    length_min: int | None = None
    length_max: int | None = None

    @property
    def narrows_rows(self) -> bool:
        """Return whether the span-only keys restrict the outputs."""
        return bool(
            self.tags
            or self.metadata
            or self.status
            or self.length_min is not None
            or self.length_max is not None
        )


def _strings(key: str, raw: Any) -> list[str]:
    items = raw if isinstance(raw, list) else [raw]
    if len(items) > MAX_VALUES:
        raise DomainError(f'field "filter", key "{key}": at most {MAX_VALUES} values')
    found = []
    for item in items:
        if not isinstance(item, str) or not item.strip() or len(item) > 200:
            raise DomainError(
                f'field "filter", key "{key}": give non-empty strings of at most 200 characters'
            )
        found.append(item.strip())
    return found


def _length(key: str, raw: Any) -> int | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise DomainError(f'field "filter", key "{key}": give a whole number')
    try:
        value = int(raw)
    except ValueError:
        raise DomainError(f'field "filter", key "{key}": {raw!r} is not a whole number') from None
    if not 0 <= value <= MAX_LENGTH:
        raise DomainError(f'field "filter", key "{key}": {value} is outside 0-{MAX_LENGTH}')
    return value


def _extras(value: dict[str, Any]) -> dict[str, Any]:
    """Return the span-only keys checked and normalised."""
    found: dict[str, Any] = {}
    if "tag" in value:
        found["tag"] = _strings("tag", value["tag"])
    if "metadata" in value:
        pairs = []
        for item in _strings("metadata", value["metadata"]):
            key, sep, wanted = item.partition("=")
            if not sep or not key.strip():
                raise DomainError(
                    f'field "filter", key "metadata": {item!r} is not of the form key=value'
                )
            pairs.append(f"{key.strip()}={wanted.strip()}")
        found["metadata"] = pairs
    status = value.get("status")
    if status not in (None, ""):
        if status not in OutputStatus.values:
            raise DomainError(
                f'field "filter", key "status": {status!r} is not one of '
                f"{', '.join(OutputStatus.values)}"
            )
        found["status"] = status
    low, high = (
        _length("length_min", value.get("length_min")),
        _length("length_max", value.get("length_max")),
    )
    if low is not None and high is not None and low > high:
        raise DomainError(f'field "filter", key "length_max": {high} is below length_min {low}')
    for key, number in (("length_min", low), ("length_max", high)):
        if number is not None:
            found[key] = number
    return found


def rule_filter_clean(value: Any, *, project: Project, user: User | None) -> dict[str, Any]:
    """Return the filter object checked (raising ``DomainError`` naming the key), normalised."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise DomainError('field "filter": give an object such as {"model": ["m1"]}')
    if "queue" in value:
        raise DomainError(
            'field "filter": "queue" cannot narrow a rule: which queues new outputs join is what '
            "rules decide"
        )
    unknown = sorted(k for k in value if k not in PARAMS and k not in EXTRA)
    if unknown:
        raise DomainError(
            f'field "filter": "{unknown[0]}" is not a filter key '
            f"(one of {', '.join((*PARAMS, *EXTRA))})"
        )
    shared = {k: v for k, v in value.items() if k in PARAMS}
    rule_filter_parse(shared, project=project, user=user)
    return {**shared, **_extras(value)}


def rule_filter_parse(value: dict[str, Any], *, project: Project, user: User | None) -> RuleFilter:
    """Return the rule filter ``value`` describes; ``DomainError`` names a bad key."""
    shared = {k: v for k, v in value.items() if k in PARAMS}
    try:
        data = filter_data_from_json(shared)
    except ValueError as exc:
        raise DomainError(f'field "filter": {exc}') from None
    form = OutputFilterForm(data, project=project, user=user)  # type: ignore[arg-type]
    if not form.is_valid():
        raise DomainError(f'field "filter": {"; ".join(form.error_lines())}')
    extras = _extras(value)
    return RuleFilter(
        shared=form.to_filter(),
        tags=tuple(extras.get("tag", ())),
        metadata=tuple(tuple(p.split("=", 1)) for p in extras.get("metadata", ())),  # type: ignore[misc]
        status=extras.get("status", ""),
        length_min=extras.get("length_min"),
        length_max=extras.get("length_max"),
    )


def _row_matches(flt: RuleFilter, tags: Any, metadata: Any, status: str, length: int) -> bool:
    if flt.tags and not (isinstance(tags, list) and set(map(str, tags)) & set(flt.tags)):
        return False
    if flt.metadata:
        meta = metadata if isinstance(metadata, dict) else {}
        for key, wanted in flt.metadata:
            if key not in meta or str(meta[key]) != wanted:
                return False
    if flt.status and status != flt.status:
        return False
    if flt.length_min is not None and length < flt.length_min:
        return False
    return flt.length_max is None or length <= flt.length_max


def rule_filter_ids(
    *,
    project: Project,
    flt: RuleFilter,
    first_id: int,
    last_id: int,
    not_before: dt.datetime | None = None,
) -> list[int]:
    """Return the ids in ``first_id..last_id`` of the project's outputs matching, oldest first.

    ``not_before`` leaves out outputs created before it.
    """
    qs = outputs_filter(project=project, flt=flt.shared).filter(pk__gte=first_id, pk__lte=last_id)
    if not_before is not None:
        qs = qs.filter(created_at__gte=not_before)
    if not flt.narrows_rows:
        return list(qs.order_by("id").values_list("id", flat=True))
    rows: Iterable[tuple[int, Any, Any, str, int]] = (
        qs.order_by("id")
        .annotate(text_length=Length("output_text"))
        .values_list("id", "tags", "metadata", "status", "text_length")
    )
    return [pk for pk, tags, meta, status, n in rows if _row_matches(flt, tags, meta, status, n)]


__all__ = ["RuleFilter", "rule_filter_clean", "rule_filter_ids", "rule_filter_parse"]
