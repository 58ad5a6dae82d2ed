"""Build the POST body of the release gate's form from rule rows, as a browser sends it."""

from __future__ import annotations

from typing import Any


def gate_rows(*rows: dict[str, Any], initial: int = 0) -> dict[str, str]:
    """Return the formset's fields for ``rows`` (field name -> value, "" for unset)."""
    data = {"rules-TOTAL_FORMS": str(len(rows)), "rules-INITIAL_FORMS": str(initial)}
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"rules-{index}-{name}"] = "on" if value is True else str(value)
    return data
