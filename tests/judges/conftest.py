"""Fixtures of the judge tests: the local OpenAI-compatible server and a judge pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from llmops_core.llm.retry import RetryPolicy
from llmops_core.models import JudgeVersion, LLMEndpoint, Project, Role
from llmops_core.services.judges.configs import judge_create, judge_version_create
from llmops_core.services.judges.endpoints import endpoint_create
from llmops_core.services.llm_runs import StepOptions
from tests.support.openai_server import LocalOpenAIServer

PRICES = {"demo-judge": {"input": 0.001, "output": 0.002}}


@pytest.fixture
def llm_server() -> Iterator[LocalOpenAIServer]:
    """Run a fresh local OpenAI-compatible server for one test."""
    with LocalOpenAIServer(timeout_delay=3.0) as running:
        yield running


@pytest.fixture
def llm_endpoint(project: Project, llm_server: LocalOpenAIServer) -> LLMEndpoint:
    return endpoint_create(
        project=project,
        name="local",
        base_url=llm_server.base_url,
        api_key="sk-test-secret-key-1234",
        concurrency=8,
        timeout_seconds=30,
    )  # tests that want a timeout lower it


@pytest.fixture
def make_judge(project: Project, llm_endpoint: LLMEndpoint) -> Callable[..., JudgeVersion]:
    """Return a function creating a judge version (a new judge per name) on the default rubric."""

    def make(name: str = "quality", **fields: Any) -> JudgeVersion:
        judge = project.judges.filter(name=name).first() or judge_create(project=project, name=name)
        fields.setdefault("model_name", "demo-judge")
        fields.setdefault("endpoint", llm_endpoint)
        fields.setdefault("parameters", {"temperature": 0})
        rubric_version = project.rubrics.get(name="default").versions.get(number=1)
        version, _ = judge_version_create(judge=judge, rubric_version=rubric_version, **fields)
        return version

    return make


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def fast(sleeps: list[float]) -> StepOptions:
    """Step options for in-process runs: small chunks, recorded (not real) backoff sleeps."""
    return StepOptions(
        chunk_size=25,
        policy=RetryPolicy(max_attempts=3, base_delay=0.5),
        prices=PRICES,
        sleep=sleeps.append,
        cancel_poll_seconds=0.05,
    )


@pytest.fixture
def team(make_member: Callable[..., Any]) -> list[Any]:
    """Three reviewers and nothing else."""
    return [make_member(Role.REVIEWER, f"rater{i}") for i in (1, 2, 3)]
