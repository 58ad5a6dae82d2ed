"""The real Langfuse Python SDK's ``create_score`` against a live workbench."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from django.core.cache import cache
from langfuse import Langfuse

from llmops_core.models import Feedback, Project
from llmops_core.services.ingest_keys import ingest_key_create
from tests.factories import ModelOutputFactory
from tests.feedback.conftest import SPAN_A, TRACE

pytestmark = pytest.mark.django_db(transaction=True)


def test_sdk_scores_become_feedback(live_server: Any, project: Project) -> None:
    cache.clear()
    output = ModelOutputFactory(project=project, trace_id=TRACE, span_id=SPAN_A, source="otlp")
    key, secret = ingest_key_create(project=project, name="app")
    with httpx.Client() as http:
        client = Langfuse(
            base_url=live_server.url,
            public_key=key.public_key,
            secret_key=secret,
            httpx_client=http,
        )
        client.create_score(
            name="user-feedback",
            value=0,
            data_type="BOOLEAN",
            trace_id=TRACE,
            observation_id=SPAN_A,
            comment="Wrong parcel.",
            score_id="sdk-1",
        )
        client.create_score(name="stars", value=4.0, trace_id=TRACE, observation_id=SPAN_A)
        client.flush()
        client.shutdown()
    down, stars = Feedback.objects.order_by("pk")
    assert (down.output, down.kind, down.thumb, down.comment) == (
        output,
        "thumbs",
        False,
        "Wrong parcel.",
    )
    assert (down.source, down.client_id, down.name) == ("langfuse", "sdk-1", "user-feedback")
    assert down.client_created_at is not None
    assert (stars.output, stars.kind, stars.score) == (output, "score", 4.0)
