"""Request parsers: JSON that survives hostile nesting, and raw bodies for the import readers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import BaseParser, JSONParser

from llmops_core.io.jsontext import unstorable_text


class BodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "request body too large"
    default_code = "body_too_large"


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, with a size limit, answering 400 instead of 500 for deep nesting.

    A JSON body is decoded whole, and its Python objects take about ten times its bytes, so
    an endpoint takes at most ``API_JSON_MAX_BYTES`` (the bodies it expects are small); the
    body is refused from its Content-Length before a byte is read (the request-size middleware
    makes sure there is one). Bulk data goes to the import endpoints, which stream it.

    The standard library's decoder recurses once per level, so a body of 100,000 "[" raises
    RecursionError, which DRF does not treat as a parse error.

    Text the database cannot store (NUL, which PostgreSQL refuses in text and jsonb, and lone
    surrogates) is refused here for every JSON endpoint at once, naming the field, instead of
    failing inside a transaction later.
    """

    limit_setting = "API_JSON_MAX_BYTES"

    def refuse_if_too_large(self, request: Any) -> None:
        """Raise 413 when the request's Content-Length is over this parser's limit."""
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        limit = getattr(settings, self.limit_setting)
        if length > limit:
            raise BodyTooLarge(
                f"the JSON body is {length:,} bytes; this endpoint takes at most {limit:,} "
                f"bytes ({self.limit_setting}); send bulk data to the project's import "
                "endpoints (outputs, imports), which stream it"
            )

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        request = (parser_context or {}).get("request")
        if request is not None:
            self.refuse_if_too_large(request)
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply") from None
        found = unstorable_text(data)
        if found is not None:
            path, problem = found
            where = f'field "{path}"' if path else "the body"
            raise ParseError(f"{where}: {problem}, which text cannot hold; remove it")
        return data


class SizeCheckingNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, refusing a body over its parser's limit before DRF reads it.

    DRF reads a JSON body whole (``request.body``) before it calls the parser, so the limit is
    checked here, where the parser is chosen.
    """

    def select_parser(self, request: Any, parsers: Any) -> Any:
        parser = super().select_parser(request, parsers)
        if isinstance(parser, SafeJSONParser):
            parser.refuse_if_too_large(request)
        return parser


class LargeJSONParser(SafeJSONParser):
    """The JSON parser of endpoints whose bodies hold data sets (dataset inputs)."""

    limit_setting = "DATA_UPLOAD_MAX_MEMORY_SIZE"


class JSONLinesParser(BaseParser):
    """Pass a JSON Lines body through as bytes; the import readers validate it row by row."""

    media_type = "application/x-ndjson"

    def parse(  # type: ignore[override]  # raw bytes, for the import readers to stream
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
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
