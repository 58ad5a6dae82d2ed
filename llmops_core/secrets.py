"""Encrypt stored secrets (LLM endpoint API keys) with a key derived from SECRET_KEY.

The stored text is a Fernet token (AES-128-CBC + HMAC-SHA256). The Fernet key is derived
from ``settings.SECRET_KEY`` with HKDF, so rotating SECRET_KEY makes stored keys unreadable:
``secret_decrypt`` then raises ``SecretError`` and the lead re-enters the key. Plain keys are
never logged, returned by the API or shown in pages; only their last four characters are.
"""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_SALT = b"llmops-core/secrets/v1"
_INFO = b"llm-endpoint-api-key"


class SecretError(Exception):
    """A stored secret cannot be read (SECRET_KEY changed, or the token was altered)."""


@functools.lru_cache(maxsize=4)
def _fernet(secret_key: str) -> Fernet:
    """Return the Fernet cipher for one SECRET_KEY."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO).derive(
        secret_key.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def secret_encrypt(plain: str) -> str:
    """Return ``plain`` encrypted as text safe to store in a database column."""
    return _fernet(settings.SECRET_KEY).encrypt(plain.encode("utf-8")).decode("ascii")


def secret_decrypt(token: str) -> str:
    """Return the plain text of a token made by ``secret_encrypt``."""
    try:
        return _fernet(settings.SECRET_KEY).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError) as exc:
        raise SecretError(
            "the stored API key cannot be decrypted (was SECRET_KEY changed?); enter it again"
        ) from exc


def secret_last4(plain: str) -> str:
    """Return the last four characters of a secret, for recognising it without revealing it."""
    return plain[-4:] if len(plain) >= 8 else ""
