"""Small helpers shared by the reader tests."""

from __future__ import annotations

import io
from collections.abc import Iterable

from llmops_core.io.imports import ImportRow, Result


def bio(data: bytes | str) -> io.BytesIO:
    """Return a binary file holding data (str is encoded as UTF-8)."""
    return io.BytesIO(data.encode() if isinstance(data, str) else data)


def describe(results: Iterable[Result]) -> list[str]:
    """Return one line per result: "ok <row> <external_id>" or the row's error messages."""
    lines = []
    for result in results:
        if isinstance(result, ImportRow):
            lines.append(f"ok {result.row} {result.external_id}")
        else:
            lines.extend(str(error) for error in result)
    return lines
