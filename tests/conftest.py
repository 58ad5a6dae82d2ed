"""Shared fixtures: explicit, small, no world-building."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from rest_framework.test import APIClient

from llmops_core.models import Project, Role
from tests.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.support.db import database_url_for_subprocess

ROLES = ["reviewer", "adjudicator", "lead", "admin"]
# Folders under tests/ that .ci/run runs in one half only (see pytest_collection_modifyitems).
BACKEND_INDEPENDENT = {"metrics", "io", "llm", "security"}
PRODUCTION_STACK = {"faults"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip ``postgres`` tests on SQLite; in the PostgreSQL CI run, insist on PostgreSQL."""
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    if os.environ.get("REQUIRE_POSTGRES_TESTS") and not on_postgres:
        raise pytest.UsageError("REQUIRE_POSTGRES_TESTS is set but DATABASE_URL is not PostgreSQL")
    # .ci/run runs the suite on both stacks; what does not depend on the stack runs once.
    # SQLite half: pure code (metrics, io, llm), the browser, permissions and API fuzzing.
    # PostgreSQL + Redis half: killed workers and a restarted broker (the production stack).
    if on_postgres:
        once = pytest.mark.skip(reason="backend-independent: runs in the SQLite half of .ci/run")
        for item in items:
            if "both_backends" in item.keywords:
                continue
            if (
                _folder(item) in BACKEND_INDEPENDENT
                or "browser" in item.keywords
                or "backend_independent" in item.keywords
            ):
                item.add_marker(once)
        return
    skip = pytest.mark.skip(reason="PostgreSQL only: runs in the PostgreSQL half of .ci/run")
    stack = pytest.mark.skip(reason="production stack: runs in the PostgreSQL + Redis half")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
        elif _folder(item) in PRODUCTION_STACK:
            item.add_marker(stack)


def _folder(item: pytest.Item) -> str:
    """Return the first folder under tests/ that holds the test."""
    parts = Path(str(item.fspath)).relative_to(Path(__file__).parent).parts
    return parts[0] if len(parts) > 1 else ""


@pytest.fixture(autouse=True)
def _media_root(tmp_path: Path, settings: object) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _queue_seeds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Queues made without a seed get 1, 2, 3… instead of a random one.

    The served order is random by design; a test run must not be. A test that needs a
    particular order passes ``order="import"`` or its own seed.
    """
    seeds = itertools.count(1)
    monkeypatch.setattr("annotate.services.queues.new_seed", lambda: next(seeds))


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


@pytest.fixture
def wsgi_app() -> Iterator[WSGIHandler]:
    """Return Django's WSGI handler, kept from closing the test's database connection.

    For clients nobody here wrote (schemathesis, werkzeug) that call the app in this process.
    Django's handler closes connections when a request finishes; the test client avoids that
    the same way, by disconnecting the signal handler for the duration.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        cache.clear()  # failed logins made through it must not lock out later tests
