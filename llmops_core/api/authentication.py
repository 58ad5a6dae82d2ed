"""DRF authentication: API tokens (``Authorization: Token <key>``) and project ingest keys."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from llmops_core.services.ingest_keys import ingest_key_authenticate
from llmops_core.services.tokens import token_authenticate


class ApiTokenAuthentication(BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Authorization header: give 'Token <key>'.")
        token = token_authenticate(parts[1].decode(errors="replace"))
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class IngestKeyAuthentication(BaseAuthentication):
    """A project's ingest key pair, as the Langfuse SDK sends it: ``Basic base64(public:secret)``.

    ``Bearer <secret>`` works too. The request acts for the key's project, not for a user:
    ``request.user`` is anonymous and ``request.auth`` is the ``IngestKey``.
    """

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        header = get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        if header.split(" ", 1)[0].lower() not in ("basic", "bearer"):
            raise exceptions.AuthenticationFailed(
                "Authorization header: send the project's ingest key pair as "
                "'Basic base64(<public key>:<secret key>)' (what the Langfuse SDK sends) "
                "or 'Bearer <secret key>'."
            )
        key = ingest_key_authenticate(header)
        if key is None:
            raise exceptions.AuthenticationFailed(
                "Invalid or revoked ingest key: check the public key, the secret key and the host."
            )
        return AnonymousUser(), key

    def authenticate_header(self, request: Request) -> str:
        return 'Basic realm="api"'
