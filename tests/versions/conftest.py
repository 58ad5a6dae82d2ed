"""Fixtures of the prompt-version tests: three reviewers and an admin, small and explicit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from llmops_core.models import Project, Role
from llmops_core.services.prompts import prompt_label_set
from tests.versions.helpers import N, make_outputs, make_queue, make_versions, rate_all, scores_for


@pytest.fixture
def reviewers(make_member: Callable[..., Any]) -> list[Any]:
    return [make_member(Role.REVIEWER, f"rev{i}") for i in range(1, 4)]


@pytest.fixture
def admin(make_member: Callable[..., Any]) -> Any:
    return make_member(Role.ADMIN, "the-admin")


@pytest.fixture
def pair(project: Project, reviewers: list[Any], lead: Any) -> dict[str, Any]:
    v1, v2 = make_versions(project, 2)
    prompt_label_set(version=v1, label="production", actor=lead)
    base = make_outputs(project, v1, N)
    cand = make_outputs(project, v2, N + 2)  # two inputs v1 never answered
    queue = make_queue(project, base + cand, reviewers[:2], overlap=2)
    for reviewer in reviewers[:2]:
        rate_all(queue, reviewer, scores_for(reviewer, v2.pk))
    return {"v1": v1, "v2": v2, "base": base, "cand": cand, "queue": queue}
