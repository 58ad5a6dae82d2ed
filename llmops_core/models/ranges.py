"""The integer range of each column type, as PostgreSQL enforces it, for input checks."""

from __future__ import annotations

from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations

# SQLite stores any 64-bit integer in any integer column, so inputs are checked against these
# ranges in Python: a value accepted on one database is accepted on the other.
COLUMN_RANGES: dict[str, tuple[int, int]] = BaseDatabaseOperations.integer_field_ranges


def column_range(model: type[models.Model], name: str) -> tuple[int, int]:
    """Return the (lowest, highest) integer the column behind ``model.name`` can hold."""
    field = model._meta.get_field(name)
    return COLUMN_RANGES[field.get_internal_type()]
