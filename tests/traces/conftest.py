"""Fixtures of the traces tests: an ingest key of the project and a client that sends spans."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from llmops_core.models import IngestKey, Project
from llmops_core.services.ingest_keys import ingest_key_create
from tests.traces.spans import PROTOBUF


@dataclass
class Sender:
    """Posts export requests with the project's ingest key through the full Django stack."""

    client: Client
    key: IngestKey
    secret: str

    def post(
        self,
        data: bytes,
        content_type: str = PROTOBUF,
        path: str = "/v1/traces",
        auth: str | None = None,
        **headers: Any,
    ) -> Any:
        return self.client.post(
            path,
            data=data,
            content_type=content_type,
            headers={"Authorization": auth or f"Bearer {self.secret}", **headers},
        )


@pytest.fixture
def sender(project: Project) -> Sender:
    cache.clear()
    key, secret = ingest_key_create(project=project, name="app")
    return Sender(Client(), key, secret)
