"""Every web process sees the same state: login lock-outs and label moves, across processes.

Two gunicorn servers (one process each, so that which process answers is known) run on the
test database with ``DEBUG=0`` and the real settings, as the README's Production section says,
once per cache a deployment may use: ``CACHE_URL`` unset (the production default), an explicit
per-process ``locmem://`` (what the issue's attack ran on; ``check --deploy`` refuses it, yet
correctness must not depend on it) and Redis when the suite runs with a Redis broker.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.contrib.auth import get_user_model

from llmops_core.models import AuditEvent, Role
from llmops_core.services.gates import release_gate_update
from llmops_core.services.prompts import prompt_label_set
from llmops_core.services.tokens import token_create
from tests.support.db import database_url_for_subprocess
from tests.support.web import GunicornServer, collect_static, production_env, start_servers
from tests.versions.helpers import make_versions

pytestmark = pytest.mark.django_db(transaction=True)

LIMIT = 5
PASSWORD = "correct horse battery staple"


def _redis_cache_url() -> str:
    broker = os.environ.get("CELERY_BROKER_URL", "")
    return broker if broker.startswith("redis://") else ""


CACHES = [
    pytest.param(None, id="cache-unset"),
    pytest.param("locmem://", id="cache-locmem"),
    pytest.param(
        _redis_cache_url(),
        id="cache-redis",
        marks=pytest.mark.skipif(not _redis_cache_url(), reason="the suite's broker is not Redis"),
    ),
]


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A VAR_DIR whose static files were collected once, as a deployment does."""
    path = tmp_path_factory.mktemp("production")
    collect_static(production_env(database_url="sqlite:///unused", var_dir=path, cache_url=None))
    return path


@pytest.fixture(scope="module", params=CACHES)
def servers(
    request: pytest.FixtureRequest, var_dir: Path, django_db_setup: None
) -> Iterator[list[GunicornServer]]:
    env = production_env(
        database_url=database_url_for_subprocess(),
        var_dir=var_dir,
        cache_url=request.param,
        LOGIN_MAX_FAILURES_PER_USER=str(LIMIT),
    )
    running = start_servers(2, env=env, log_dir=var_dir)
    yield running
    for server in running:
        server.stop()


def html_login(server: GunicornServer, username: str, password: str) -> str:
    """Log in through the login page; return "OK" or the page's text."""
    session = requests.Session()
    page = session.get(server.url + "/accounts/login/", timeout=10)
    assert page.status_code == 200, server.log_tail()
    response = session.post(
        server.url + "/accounts/login/",
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        allow_redirects=False,
        timeout=30,
    )
    if response.status_code == 302:
        return "OK"
    assert response.status_code == 200, (response.status_code, server.log_tail())
    return response.text


def api_login(server: GunicornServer, username: str, password: str) -> int:
    """Ask for an API token with a password; return the status."""
    response = requests.post(
        server.url + "/api/auth/token/",
        json={"username": username, "password": password},
        timeout=30,
    )
    return response.status_code


def test_wrong_passwords_on_every_process_lock_the_account_at_the_limit(
    servers: list[GunicornServer], settings: Any
) -> None:
    # The servers run the real password hasher; the test settings' fast one is not theirs.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    get_user_model().objects.create_user(username="alice", password=PASSWORD)
    for attempt in range(LIMIT):
        server = servers[attempt % 2]
        if attempt % 2 == 0:
            page = html_login(server, "alice", "wrong")
            expected = "locked" if attempt == LIMIT - 1 else "enter a correct username"
            assert expected in page
        else:
            assert api_login(server, "alice", "wrong") == 401
    # The account is locked for every process and every door, even with the right password.
    for server in servers:
        assert "locked" in html_login(server, "alice", PASSWORD)
        assert api_login(server, "alice", PASSWORD) == 429
    assert AuditEvent.objects.filter(action="login.locked").count() == 1


def test_promotion_and_rollback_reach_every_process_on_the_next_request(
    servers: list[GunicornServer], project: Any, make_member: Any
) -> None:
    admin = make_member(Role.ADMIN, "the-admin")
    v1, _, v3 = make_versions(project, 3)
    prompt_label_set(version=v1, label="production", actor=admin)
    release_gate_update(project=project, rules=[], actor=admin)
    _, key = token_create(user=admin, name="app")
    headers = {"Authorization": f"Token {key}"}
    label_url = f"/api/projects/{project.slug}/prompts/support/labels/production/"

    def served(server: GunicornServer, etag: str = "") -> requests.Response:
        extra = {"If-None-Match": etag} if etag else {}
        response = requests.get(
            server.url + "/api/prompts/support/", headers={**headers, **extra}, timeout=10
        )
        assert response.status_code in (200, 304), (response.text, server.log_tail())
        return response

    def move(server: GunicornServer, number: int) -> None:
        response = requests.put(
            server.url + label_url, json={"version": number}, headers=headers, timeout=30
        )
        assert response.status_code == 200, response.text

    first = [served(server) for server in servers]  # every process has v1 cached now
    assert [r.json()["version"] for r in first] == [1, 1]
    v1_etag = first[0].headers["ETag"]

    move(servers[0], 3)  # a promotion through one process ...
    after_promotion = [served(server, etag=v1_etag) for server in servers]
    assert [r.status_code for r in after_promotion] == [200, 200]
    assert [r.json()["version"] for r in after_promotion] == [3, 3]
    assert {r.headers["ETag"] for r in after_promotion} == {f'"{v3.content_hash}:production"'}

    move(servers[1], 1)  # ... and a rollback through the other
    v3_etag = after_promotion[0].headers["ETag"]
    after_rollback = [served(server, etag=v3_etag) for server in servers]
    assert [r.json()["version"] for r in after_rollback] == [1, 1]
    # The current ETag still gives 304 on every process.
    assert [served(server, etag=v1_etag).status_code for server in servers] == [304, 304]
