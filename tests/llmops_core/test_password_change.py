"""A password change revokes the user's API tokens unless they say not to; keys are never cached."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from llmops_core.models import ApiToken, AuditEvent
from llmops_core.services.accounts import user_password_set
from llmops_core.services.tokens import token_create

pytestmark = pytest.mark.django_db
OLD, NEW = "old-Passw0rd-1", "new-Passw0rd-2"


@pytest.fixture
def user() -> Any:
    return get_user_model().objects.create_user("alice", password=OLD)


@pytest.fixture
def keys(user: Any) -> list[str]:
    """Two active API tokens of the user (and one already revoked)."""
    made = [token_create(user=user, name=name) for name in ("ci", "laptop", "old")]
    ApiToken.objects.filter(pk=made[2][0].pk).update(revoked_at="2020-01-01T00:00:00Z")
    return [key for _, key in made[:2]]


def works(key: str) -> bool:
    response = APIClient().get(reverse("api-tokens"), HTTP_AUTHORIZATION=f"Token {key}")
    return response.status_code == 200


def test_the_change_password_page_offers_revocation_checked_by_default(
    client: Client, user: Any
) -> None:
    client.force_login(user)
    page = client.get(reverse("password-change")).content.decode()
    box = next(line for line in page.splitlines() if 'name="revoke_tokens"' in line)
    assert "checked" in box and "Also revoke my API tokens" in page


def test_changing_the_password_revokes_every_token_by_default(
    client: Client, user: Any, keys: list[str]
) -> None:
    client.force_login(user)
    assert all(works(key) for key in keys)
    response = client.post(
        reverse("password-change"),
        {"old_password": OLD, "new_password1": NEW, "new_password2": NEW, "revoke_tokens": "on"},
        follow=True,
    )
    assert response.status_code == 200 and response.redirect_chain[-1][0] == reverse("tokens")
    assert "2 API tokens were revoked" in response.content.decode()
    assert not any(works(key) for key in keys)
    assert not ApiToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    user.refresh_from_db()
    assert user.check_password(NEW)
    assert client.get(reverse("tokens")).status_code == 200  # still signed in
    event = AuditEvent.objects.get(action="user.password_change")
    assert event.after == {"user": "alice", "tokens_revoked": 2}


def test_unticking_the_box_keeps_the_tokens(client: Client, user: Any, keys: list[str]) -> None:
    client.force_login(user)
    response = client.post(
        reverse("password-change"),
        {"old_password": OLD, "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 302
    assert all(works(key) for key in keys)


def test_a_wrong_old_password_changes_nothing(client: Client, user: Any, keys: list[str]) -> None:
    client.force_login(user)
    response = client.post(
        reverse("password-change"),
        {"old_password": "nope", "new_password1": NEW, "new_password2": NEW, "revoke_tokens": "on"},
    )
    assert response.status_code == 200 and "incorrectly" in response.content.decode()
    assert all(works(key) for key in keys)


def test_the_admins_set_password_revokes_the_users_tokens_by_default(
    client: Client, user: Any, keys: list[str]
) -> None:
    admin = get_user_model().objects.create_superuser("root", password="x")
    client.force_login(admin)
    url = reverse("admin:auth_user_password_change", args=[user.pk])
    page = client.get(url).content.decode()
    box = next(line for line in page.splitlines() if 'name="revoke_tokens"' in line)
    assert "checked" in box
    response = client.post(
        url, {"password1": NEW, "password2": NEW, "usable_password": "true", "revoke_tokens": "on"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not any(works(key) for key in keys)
    user.refresh_from_db()
    assert user.check_password(NEW)


def test_the_service_revokes_by_default_whoever_calls_it(user: Any, keys: list[str]) -> None:
    assert user_password_set(user=user, password=NEW, actor=None) == 2
    assert not any(works(key) for key in keys)
    other = get_user_model().objects.create_user("bob", password=OLD)
    _, key = token_create(user=other, name="ci")
    assert user_password_set(user=other, password=NEW, actor=None, revoke_tokens=False) == 0
    assert works(key)
    assert user_password_set(user=other, password=None, actor=None) == 1  # password disabled
    other.refresh_from_db()
    assert not other.has_usable_password() and not works(key)


def no_store(response: Any) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_responses_that_show_a_new_secret_are_never_cached(client: Client, user: Any) -> None:
    api = APIClient()
    api.force_authenticate(user)
    created = api.post(reverse("api-tokens"), {"name": "ci"}, format="json")
    assert created.status_code == 201 and no_store(created)
    obtained = APIClient().post(
        reverse("api-token"), {"username": "alice", "password": OLD}, format="json"
    )
    assert obtained.status_code == 201 and no_store(obtained)
    client.force_login(user)
    page = client.post(reverse("tokens"), {"name": "laptop"})
    assert page.status_code == 200 and "fw_" in page.content.decode() and no_store(page)
    assert no_store(client.get(reverse("tokens")))
