"""Request parsers: JSON that survives hostile nesting, and raw bodies for the import readers."""

from __future__ import annotations

from typing import IO, Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser, JSONParser


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, answering 400 instead of 500 for nesting deeper than Python recurses.

    The standard library's decoder recurses once per level, so a body of 100,000 "[" raises
    RecursionError, which DRF does not treat as a parse error.
    """

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: dict[str, Any] | None = None,
    ) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply") from None


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


class RawJSONParser(JSONLinesParser):
    """Pass a JSON body through as bytes, for the streaming JSON reader to decode row by row.

    Decoding the whole body up front would turn a 50 MB object of small keys into about
    half a gigabyte of Python objects; the reader holds one bounded element at a time.
    """

    media_type = "application/json"
