"""Login rate limiting and lock-out, API tokens, the audit log page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from llmops_core.models import ApiToken, AuditEvent, LoginFailureCounter, Project
from llmops_core.services.login_limits import login_failure_record, login_limit_check
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


def login(client: Client, username: str, password: str) -> str:
    response = client.post(reverse("login"), {"username": username, "password": password})
    return response.content.decode() if response.status_code == 200 else "OK"


def test_repeated_failed_logins_lock_the_account_and_are_audited(
    client: Client, settings: object
) -> None:
    UserFactory(username="alice")
    for _ in range(settings.LOGIN_MAX_FAILURES_PER_USER - 1):  # type: ignore[attr-defined]
        assert "enter a correct username and password" in login(client, "alice", "wrong")
    assert "locked" in login(client, "alice", "wrong")
    # Even the right password is refused while the lock lasts.
    assert "locked" in login(client, "alice", "pw")
    event = AuditEvent.objects.get(action="login.locked")
    assert event.after["username"] == "alice"


def test_successful_login_resets_the_failure_count(client: Client) -> None:
    UserFactory(username="bob")
    for _ in range(3):
        login(client, "bob", "wrong")
    assert login(client, "bob", "pw") == "OK"
    client.logout()
    for _ in range(3):
        assert "locked" not in login(client, "bob", "wrong")


def test_token_obtain_is_rate_limited_too(api: APIClient, settings: object) -> None:
    UserFactory(username="carol")
    path = reverse("api-token")
    for _ in range(settings.LOGIN_MAX_FAILURES_PER_USER):  # type: ignore[attr-defined]
        assert api.post(path, {"username": "carol", "password": "x"}).status_code == 401
    locked = api.post(path, {"username": "carol", "password": "pw"})
    assert locked.status_code == 429
    assert 0 < int(locked["Retry-After"]) <= settings.LOGIN_LOCKOUT_SECONDS  # type: ignore[attr-defined]


def test_failures_older_than_the_window_no_longer_count_and_are_deleted(settings: object) -> None:
    for _ in range(4):
        login_failure_record(username="dave", ip="10.0.0.1")
    LoginFailureCounter.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert not login_limit_check(username="dave", ip="10.0.0.1").locked
    assert not login_failure_record(username="dave", ip="10.0.0.1").locked
    assert LoginFailureCounter.objects.get(key="user:dave").failures == 1
    assert LoginFailureCounter.objects.count() == 2  # the stale rows were replaced, not kept


def test_the_lock_out_lasts_its_full_time_from_the_failure_that_locks(settings: object) -> None:
    limit = settings.LOGIN_MAX_FAILURES_PER_USER  # type: ignore[attr-defined]
    for _ in range(limit - 1):
        login_failure_record(username="erin", ip="10.0.0.2")
    # The window is nearly over when the last failure comes: the lock still lasts in full.
    LoginFailureCounter.objects.filter(key="user:erin").update(
        expires_at=timezone.now() + timedelta(seconds=5)
    )
    assert login_failure_record(username="erin", ip="10.0.0.2").locked
    check = login_limit_check(username="ERIN", ip="10.9.9.9")  # names are case-insensitive
    assert check.locked
    assert check.retry_after_seconds > settings.LOGIN_LOCKOUT_SECONDS - 60  # type: ignore[attr-defined]


def test_tokens_are_created_listed_by_last_four_and_revoked(api: APIClient) -> None:
    user = UserFactory(username="dave")
    created = api.post(
        reverse("api-token"), {"username": "dave", "password": "pw", "name": "laptop"}
    ).json()
    key = created["key"]
    assert created["last4"] == key[-4:]
    assert not ApiToken.objects.filter(key_hash__contains=key).exists()  # stored hashed
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    listing = api.get(reverse("api-tokens")).json()["results"]
    assert [t["name"] for t in listing] == ["laptop"]
    assert "key" not in listing[0] and key not in str(listing)
    second = api.post(reverse("api-tokens"), {"name": "ci"}).json()
    assert second["key"] != key
    revoked = api.delete(reverse("api-token-revoke", args=[created["id"]]))
    assert revoked.json()["active"] is False
    assert api.get(reverse("api-tokens")).status_code == 401
    assert AuditEvent.objects.filter(action="token.revoke", actor=user).exists()


def test_a_user_cannot_revoke_someone_elses_token(api_as: Callable[[object], APIClient]) -> None:
    owner, other = UserFactory(), UserFactory()
    from llmops_core.services.tokens import token_create

    token, _ = token_create(user=owner, name="mine")
    assert api_as(other).delete(reverse("api-token-revoke", args=[token.pk])).status_code == 404


def test_tokens_page_shows_a_new_key_once(client: Client) -> None:
    client.force_login(UserFactory())
    body = client.post(reverse("tokens"), {"name": "<b>ci</b>"}).content.decode()
    assert "fw_" in body and "&lt;b&gt;ci&lt;/b&gt;" in body
    assert "fw_" not in client.get(reverse("tokens")).content.decode()


@pytest.mark.parametrize(
    ("role", "status"), [("reviewer", 403), ("adjudicator", 403), ("lead", 200), ("admin", 200)]
)
def test_audit_log_page_is_for_leads_and_admins(
    client: Client, project: Project, make_member: Callable[..., object], role: str, status: int
) -> None:
    client.force_login(make_member(role))
    assert client.get(reverse("audit-log", args=[project.slug])).status_code == status


def test_audit_log_shows_project_events(client: Client, project: Project, lead: object) -> None:
    client.force_login(lead)  # type: ignore[arg-type]
    body = client.get(reverse("audit-log", args=[project.slug])).content.decode()
    assert "project.create" in body
