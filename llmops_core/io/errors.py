"""Errors the import readers report: one bad row (RowError) or a whole bad file (FileError)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in one row; field is None when the row as a whole is unreadable."""

    row: int
    field: str | None
    reason: str

    def __str__(self) -> str:
        if self.field is None:
            return f"row {self.row}: {self.reason}"
        return f'row {self.row}, field "{self.field}": {self.reason}'

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-ready form, for storing on the import job."""
        return {"row": self.row, "field": self.field, "reason": self.reason, "message": str(self)}


class FileError(ValueError):
    """A problem with the file as a whole: empty, unreadable header, unknown format."""
