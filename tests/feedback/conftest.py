"""Fixtures of the feedback tests: outputs to give feedback on, an ingest key and a client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from llmops_core.models import IngestKey, ModelOutput, Project
from llmops_core.services.ingest_keys import ingest_key_create
from tests.factories import ModelOutputFactory
from tests.traces.conftest import sender  # noqa: F401 (the traces tests' fixture, reused)

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN_A, SPAN_B = "00f067aa0ba902b7", "00f067aa0ba902b8"
LONE_TRACE = "0af7651916cd43dd8448eb211c80319c"


@dataclass
class Outputs:
    plain: ModelOutput  # imported: found by output_id or external_id
    a: ModelOutput  # two LLM spans of one trace
    b: ModelOutput
    lone: ModelOutput  # the one LLM span of its trace


@pytest.fixture
def outputs(project: Project) -> Outputs:
    return Outputs(
        plain=ModelOutputFactory(project=project, external_id="ticket-1"),
        a=ModelOutputFactory(project=project, trace_id=TRACE, span_id=SPAN_A, source="otlp"),
        b=ModelOutputFactory(project=project, trace_id=TRACE, span_id=SPAN_B, source="otlp"),
        lone=ModelOutputFactory(
            project=project, trace_id=LONE_TRACE, span_id=SPAN_A, source="otlp"
        ),
    )


@dataclass
class App:
    """An application holding the project's ingest key pair."""

    key: IngestKey
    secret: str

    def client(self, *, basic: bool = False) -> APIClient:
        import base64

        client = APIClient()
        if basic:
            pair = base64.b64encode(f"{self.key.public_key}:{self.secret}".encode()).decode()
            client.credentials(HTTP_AUTHORIZATION=f"Basic {pair}")
        else:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {self.secret}")
        return client


@pytest.fixture
def app(project: Project) -> App:
    cache.clear()
    key, secret = ingest_key_create(project=project, name="app")
    return App(key, secret)


def url(project: Project) -> str:
    return f"/api/projects/{project.slug}/feedback/"


def post(client: APIClient, project: Project, body: Any) -> Any:
    return client.post(url(project), body, format="json")
