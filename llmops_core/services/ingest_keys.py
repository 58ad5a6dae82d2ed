"""Ingest key pairs: create (the secret is shown once), revoke, and authenticate a request.

Applications send traces with ``Authorization: Bearer <secret>`` or, as the Langfuse SDK does,
``Basic base64(<public key>:<secret>)``. Keys are looked up by the SHA-256 of the secret (a
unique index), so the lookup time does not depend on how much of a guess was right, and the
public key of a Basic pair is compared with ``hmac.compare_digest``. A key that authenticated
is cached (``INGEST_KEY_CACHE_SECONDS``) under the secret's hash, so a busy exporter costs no
query per request; revoking deletes that entry (every process at once with a shared
``CACHE_URL``; with per-process caches other web processes notice within the cache lifetime).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from llmops_core.errors import DomainError
from llmops_core.models import IngestKey, Project
from llmops_core.services.audit import audit_record

PUBLIC_PREFIX = "pk-lf-"
SECRET_PREFIX = "sk-lf-"  # noqa: S105 (the prefix, not a secret)
CACHE_PREFIX = "ingest-key"
# Refresh "last used" at most this often, so authenticating is not a write per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_HEADER_CHARS = 1024


def ingest_secret_hash(secret: str) -> str:
    """Return the stored form of a secret: its SHA-256 in hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _random_id(prefix: str) -> str:
    # Shaped like Langfuse's keys (a UUID after the prefix) so SDKs that check the shape accept it.
    return prefix + str(uuid.UUID(bytes=secrets.token_bytes(16), version=4))


def _cache_key(secret_hash: str) -> str:
    return f"{CACHE_PREFIX}:{secret_hash}"


@transaction.atomic
def ingest_key_create(
    *, project: Project, name: str = "", created_by: User | None = None
) -> tuple[IngestKey, str]:
    """Create a key pair for ``project``; return it with its secret (never stored, shown once)."""
    name = name.strip() or "default"
    if len(name) > 100:
        raise DomainError(f'field "name": at most 100 characters (got {len(name)})')
    secret = _random_id(SECRET_PREFIX)
    key = IngestKey.objects.create(
        project=project,
        name=name,
        public_key=_random_id(PUBLIC_PREFIX),
        secret_hash=ingest_secret_hash(secret),
        last4=secret[-4:],
        created_by=created_by,
    )
    audit_record(
        actor=created_by,
        action="ingest_key.create",
        obj=key,
        project=project,
        after={"name": key.name, "public_key": key.public_key, "last4": key.last4},
    )
    return key, secret


@transaction.atomic
def ingest_key_revoke(*, key: IngestKey, actor: User | None) -> IngestKey:
    """Revoke ``key`` (requests with it get 401 from now on); revoking twice is harmless."""
    locked = IngestKey.objects.select_for_update().get(pk=key.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="ingest_key.revoke",
            obj=locked,
            project=locked.project,
            before={"name": locked.name, "public_key": locked.public_key, "last4": locked.last4},
        )
        # Now, and again after the commit in case a request re-cached it in between.
        entry = _cache_key(locked.secret_hash)
        cache.delete(entry)
        transaction.on_commit(lambda: cache.delete(entry))
    return locked


def _credentials(header: str) -> tuple[str | None, str] | None:
    """Split an Authorization header into (public key or None, secret), or None if malformed."""
    if len(header) > MAX_HEADER_CHARS:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if not value:
        return None
    if scheme.lower() == "bearer":
        return None, value
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        public, sep, secret = decoded.partition(":")
        return (public, secret) if sep and secret else None
    return None


def ingest_key_authenticate(header: str) -> IngestKey | None:
    """Return the active key (with its project) an ``Authorization`` header names, or None.

    Accepts ``Bearer <secret>`` and ``Basic base64(public:secret)``; a Basic pair must belong
    together. Refuses revoked keys (within the cache lifetime, see the module docstring).
    """
    credentials = _credentials(header)
    if credentials is None:
        return None
    public, secret = credentials
    digest = ingest_secret_hash(secret)
    key: IngestKey | None = cache.get(_cache_key(digest))
    if key is None:
        key = (
            IngestKey.objects.select_related("project")
            .filter(secret_hash=digest, revoked_at__isnull=True)
            .first()
        )
        if key is None:
            return None
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            IngestKey.objects.filter(pk=key.pk).update(last_used_at=now)
            key.last_used_at = now
        cache.set(_cache_key(digest), key, timeout=settings.INGEST_KEY_CACHE_SECONDS)
    if public is not None and not hmac.compare_digest(public.encode(), key.public_key.encode()):
        return None
    return key
