"""Ingest key pairs: shown once, stored hashed, Bearer and Basic authentication, revocation."""

from __future__ import annotations

import base64

import pytest
from django.core.cache import cache

from llmops_core.models import AuditEvent, IngestKey, Project
from llmops_core.services.ingest_keys import (
    ingest_key_authenticate,
    ingest_key_create,
    ingest_key_revoke,
    ingest_secret_hash,
)
from tests.factories import ProjectFactory


def basic(public: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{public}:{secret}".encode()).decode()


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


def test_create_shows_secret_once_and_stores_only_its_hash(project: Project) -> None:
    key, secret = ingest_key_create(project=project, name="prod app")
    assert key.public_key.startswith("pk-lf-") and secret.startswith("sk-lf-")
    stored = IngestKey.objects.get(pk=key.pk)
    assert stored.secret_hash == ingest_secret_hash(secret)
    assert secret not in str(IngestKey.objects.filter(pk=key.pk).values().get())
    assert stored.last4 == secret[-4:]
    event = AuditEvent.objects.get(action="ingest_key.create")
    assert event.project == project and secret not in str(event.after)


def test_bearer_secret_authenticates_its_project(project: Project) -> None:
    key, secret = ingest_key_create(project=project)
    found = ingest_key_authenticate(f"Bearer {secret}")
    assert found is not None and found.pk == key.pk and found.project == project


def test_basic_pair_authenticates_like_the_langfuse_sdk(project: Project) -> None:
    key, secret = ingest_key_create(project=project)
    found = ingest_key_authenticate(basic(key.public_key, secret))
    assert found is not None and found.pk == key.pk


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer",
        "Bearer sk-lf-wrong",
        "Token sk-lf-x",
        "Basic !!!notbase64",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),
        "Bearer " + "x" * 5000,
    ],
)
def test_malformed_or_unknown_credentials_are_refused(project: Project, header: str) -> None:
    ingest_key_create(project=project)
    assert ingest_key_authenticate(header) is None


def test_basic_pair_of_two_different_keys_is_refused(project: Project) -> None:
    first, _ = ingest_key_create(project=project)
    _, secret = ingest_key_create(project=ProjectFactory())
    assert ingest_key_authenticate(f"Bearer {secret}") is not None  # cached now
    assert ingest_key_authenticate(basic(first.public_key, secret)) is None


def test_revoked_key_is_refused_even_when_cached(project: Project) -> None:
    key, secret = ingest_key_create(project=project)
    assert ingest_key_authenticate(f"Bearer {secret}") is not None
    ingest_key_revoke(key=key, actor=None)
    assert ingest_key_authenticate(f"Bearer {secret}") is None
    assert AuditEvent.objects.filter(action="ingest_key.revoke").count() == 1
    ingest_key_revoke(key=key, actor=None)
    assert AuditEvent.objects.filter(action="ingest_key.revoke").count() == 1


def test_cached_key_costs_no_query(project: Project, django_assert_num_queries: object) -> None:
    _, secret = ingest_key_create(project=project)
    ingest_key_authenticate(f"Bearer {secret}")
    with django_assert_num_queries(0):  # type: ignore[operator]
        assert ingest_key_authenticate(f"Bearer {secret}") is not None
