"""Fixtures of the annotation tests: a queue with reviewers, small and explicit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from annotate.models import Queue
from llmops_core.models import Project, Role
from tests.annotate.helpers import make_queue


@pytest.fixture
def reviewers(make_member: Callable[..., Any]) -> list[Any]:
    return [make_member(Role.REVIEWER, f"rev{i}") for i in range(1, 5)]


@pytest.fixture
def queue(project: Project, reviewers: list[Any], lead: Any) -> Queue:
    """Five items, overlap 3, the four reviewers."""
    return make_queue(project, items=5, reviewers=reviewers, created_by=lead)
