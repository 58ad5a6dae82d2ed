"""Request parsers for import bodies that are not a single JSON document."""

from __future__ import annotations

from typing import IO, Any

from rest_framework.parsers import BaseParser


class JSONLinesParser(BaseParser):
    """Pass a JSON Lines body through as bytes; the import readers validate it row by row."""

    media_type = "application/x-ndjson"

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: dict[str, Any] | None = None,
    ) -> bytes:
        return stream.read()


class JSONLParser(JSONLinesParser):
    media_type = "application/jsonl"


class CSVParser(JSONLinesParser):
    media_type = "text/csv"
