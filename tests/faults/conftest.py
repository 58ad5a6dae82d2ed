"""Fixtures of the fault tests: the local LLM server, a rated queue, a Redis of their own."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from llmops_core.models import LLMEndpoint, Project, Role
from tests.faults.redis_server import RedisServer
from tests.support.openai_server import LocalOpenAIServer


@pytest.fixture
def llm_server() -> Iterator[LocalOpenAIServer]:
    """Run a fresh local OpenAI-compatible server (it counts every request) for one test."""
    with LocalOpenAIServer(timeout_delay=3.0) as running:
        yield running


@pytest.fixture
def llm_endpoint(project: Project, llm_server: LocalOpenAIServer) -> LLMEndpoint:
    from llmops_core.services.judges.endpoints import endpoint_create

    return endpoint_create(
        project=project,
        name="local",
        base_url=llm_server.base_url,
        api_key="sk-test-secret-key-1234",
        concurrency=4,
        timeout_seconds=5,
    )


@pytest.fixture
def team(make_member: Callable[..., Any]) -> list[Any]:
    """Three reviewers."""
    return [make_member(Role.REVIEWER, f"rater{i}") for i in (1, 2, 3)]


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """Start a ``redis-server`` of this test's own (stopped at the end), or skip without one.

    The PostgreSQL half of CI (``REQUIRE_POSTGRES_TESTS``) fails instead of skipping.
    """
    if shutil.which("redis-server") is None:
        message = "redis-server is not installed: the broker-restart tests need it"
        if os.environ.get("REQUIRE_POSTGRES_TESTS"):
            pytest.fail(message)
        pytest.skip(message)
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.kill()
