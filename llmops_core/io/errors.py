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


@dataclass(slots=True)
class ErrorGroup:
    """Rows that share one error (same field, same reason), as ranges of row numbers."""

    field: str | None
    reason: str
    ranges: list[list[int]]  # [first, last] pairs, in row order

    @property
    def rows(self) -> int:
        """Return how many rows the group holds."""
        return sum(last - first + 1 for first, last in self.ranges)

    def __str__(self) -> str:
        spans = ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in self.ranges)
        where = f"row {spans}" if self.rows == 1 else f"rows {spans}"
        if self.field is None:
            return f"{where}: {self.reason}"
        return f'{where}, field "{self.field}": {self.reason}'

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-ready form: the ranges, field, reason and the message."""
        return {
            "rows": [list(span) for span in self.ranges],
            "field": self.field,
            "reason": self.reason,
            "message": str(self),
        }


class ErrorGroups:
    """Collect row errors, folding repeats of one error into ranges of rows.

    A file where 300 rows name the same unknown prompt reports one line, "rows 3-302, field
    "prompt": ...", not 300; each distinct error keeps its own row and field. At most ``limit``
    distinct errors are kept (rows past it are still counted), so memory stays bounded.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._groups: dict[tuple[str | None, str], ErrorGroup] = {}
        self.dropped = 0

    def add(self, error: RowError) -> None:
        """Record ``error``, extending its group's last range when the rows are consecutive."""
        key = (error.field, error.reason)
        group = self._groups.get(key)
        if group is None:
            if len(self._groups) >= self.limit:
                self.dropped += 1
                return
            self._groups[key] = ErrorGroup(error.field, error.reason, [[error.row, error.row]])
            return
        last = group.ranges[-1]
        if last[0] <= error.row <= last[1]:
            return
        if error.row == last[1] + 1:
            last[1] = error.row
        elif len(group.ranges) < self.limit:
            group.ranges.append([error.row, error.row])
        else:
            self.dropped += 1

    def groups(self) -> list[ErrorGroup]:
        """Return the groups in the order of their first row."""
        return sorted(self._groups.values(), key=lambda g: (g.ranges[0][0], g.field or ""))

    def messages(self) -> list[str]:
        """Return one message per group, in row order."""
        return [str(group) for group in self.groups()]

    def __len__(self) -> int:
        return len(self._groups)
