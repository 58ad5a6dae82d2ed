"""Helpers of the judge browser test: a local OpenAI-compatible server and a rated queue."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from annotate.models import Queue
from llmops_core.models import Project, Role
from tests.judges.helpers import make_outputs, make_queue, rate_queue
from tests.support.openai_server import LocalOpenAIServer


@pytest.fixture(scope="session")
def orm_beside_judge_browser() -> Iterator[None]:
    """Allow synchronous ORM calls while Playwright's loop runs in this thread (test-only).

    The transactional database is flushed after the ``page`` fixture (and its allowance) is
    gone, while the session's Playwright loop still runs; a session fixture outlives both.
    """
    patch = pytest.MonkeyPatch()
    patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    yield
    patch.undo()


@pytest.fixture
def judge_server() -> Iterator[LocalOpenAIServer]:
    """Serve the deterministic judge on a free port; a little latency makes progress visible."""
    with LocalOpenAIServer(latency=0.02) as server:
        yield server


def rated_queue(project: Project, make_member: Any, *, items: int = 60) -> Queue:
    """Return a queue of ``items`` outputs rated by three reviewers with their own habits."""
    team = [make_member(Role.REVIEWER, name) for name in ("ana", "ben", "chloe")]
    queue = make_queue(project, make_outputs(project, items, seed=5), name="Support replies")
    rate_queue(queue, team, noise=0.7, bias=[0.0, 0.3, -0.3])
    return queue
