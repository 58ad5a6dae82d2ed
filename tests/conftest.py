"""Shared fixtures: explicit, small, no world-building."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from llmops_core.models import Project, Role
from tests.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.support.db import database_url_for_subprocess

ROLES = ["reviewer", "adjudicator", "lead", "admin"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip ``postgres`` tests on SQLite; in the PostgreSQL CI run, insist on PostgreSQL."""
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    if os.environ.get("REQUIRE_POSTGRES_TESTS") and not on_postgres:
        raise pytest.UsageError("REQUIRE_POSTGRES_TESTS is set but DATABASE_URL is not PostgreSQL")
    if on_postgres:
        return
    skip = pytest.mark.skip(reason="PostgreSQL only: runs in the PostgreSQL half of .ci/run")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _media_root(tmp_path: Path, settings: object) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"  # type: ignore[attr-defined]


@pytest.fixture
def project(db: None) -> Project:
    return ProjectFactory()


@pytest.fixture
def make_member(project: Project) -> Callable[..., object]:
    """Return a function that adds a user with a role to ``project``."""

    def make(role: str = Role.REVIEWER, username: str | None = None, proj: Project | None = None):
        user = UserFactory(**({"username": username} if username else {}))
        MembershipFactory(project=proj or project, user=user, role=role)
        return user

    return make


@pytest.fixture
def lead(make_member: Callable[..., object]) -> object:
    return make_member(Role.LEAD, "the-lead")


@pytest.fixture
def reviewer(make_member: Callable[..., object]) -> object:
    return make_member(Role.REVIEWER, "the-reviewer")


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def api_as(api: APIClient) -> Callable[[object], APIClient]:
    def login(user: object) -> APIClient:
        api.force_authenticate(user=user)  # type: ignore[arg-type]
        return api

    return login


@pytest.fixture
def celery_worker_process(transactional_db: None) -> Iterator[object]:
    """Start a real ``celery worker`` process on the test database and broker."""
    from tests.support.worker import WorkerProcess

    worker = WorkerProcess(database_url=database_url_for_subprocess())
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()
