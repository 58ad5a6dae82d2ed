"""Fixtures for the LLM call machinery: the local OpenAI-compatible server and an endpoint."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from llmops_core.llm.client import EndpointConfig
from tests.llm.helpers import LOCAL
from tests.support.openai_server import LocalOpenAIServer


@pytest.fixture
def server() -> Iterator[LocalOpenAIServer]:
    """Run a fresh local OpenAI-compatible server for one test."""
    with LocalOpenAIServer(timeout_delay=3.0) as running:
        yield running


@pytest.fixture
def endpoint(server: LocalOpenAIServer) -> EndpointConfig:
    """Return an endpoint pointing at the local server.

    The per-attempt timeout is generous so that a loaded CI machine never turns a slow
    answer into an extra retry; tests about timeouts build their own short one.
    """
    return EndpointConfig(base_url=server.base_url, api_key="test-key", timeout=15.0, egress=LOCAL)
