"""Which address a request comes from, behind the proxies the operator trusts (or none)."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from llmops_core.models import LoginFailureCounter
from llmops_core.permissions import client_ip
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _request(remote: str, forwarded: str | None = None) -> object:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_forwarded_for_is_anyones_to_write(settings: object) -> None:
    settings.TRUSTED_PROXY_COUNT = 0  # type: ignore[attr-defined]
    assert client_ip(_request("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


def test_behind_one_proxy_the_address_it_appended_is_the_client(settings: object) -> None:
    settings.TRUSTED_PROXY_COUNT = 1  # type: ignore[attr-defined]
    # The client wrote the first entry itself; the proxy appended the address it saw.
    request = _request("10.0.0.2", "6.6.6.6, 198.51.100.7")
    assert client_ip(request) == "198.51.100.7"


def test_behind_two_proxies_the_second_entry_from_the_right_is_the_client(
    settings: object,
) -> None:
    settings.TRUSTED_PROXY_COUNT = 2  # type: ignore[attr-defined]
    assert client_ip(_request("10.0.0.2", "6.6.6.6, 198.51.100.7, 10.0.0.9")) == "198.51.100.7"


def test_a_request_that_bypassed_the_proxies_counts_as_its_own_address(settings: object) -> None:
    settings.TRUSTED_PROXY_COUNT = 2  # type: ignore[attr-defined]
    assert client_ip(_request("192.0.2.50", "6.6.6.6")) == "192.0.2.50"
    assert client_ip(_request("192.0.2.50")) == "192.0.2.50"


def test_behind_a_proxy_one_clients_failures_do_not_lock_out_another(settings: object) -> None:
    """Every request reaches the app from the proxy's address: the per-address limit must count
    the clients the proxy names, or one client's failures would lock everyone out."""
    settings.TRUSTED_PROXY_COUNT = 1  # type: ignore[attr-defined]
    settings.LOGIN_MAX_FAILURES_PER_IP = 3  # type: ignore[attr-defined]
    UserFactory(username="dana")
    attacker = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.66")
    for n in range(4):
        attacker.post(reverse("login"), {"username": f"nobody{n}", "password": "x"})
    assert LoginFailureCounter.objects.filter(key="ip:198.51.100.66").exists()
    assert not LoginFailureCounter.objects.filter(key="ip:10.0.0.2").exists()
    user = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.8")
    response = user.post(reverse("login"), {"username": "dana", "password": "pw"})
    assert response.status_code == 302, response.content.decode()[:500]
    token = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.66")
    refused = token.post(
        reverse("api-token"),
        {"username": "dana", "password": "pw"},
        content_type="application/json",
    )
    assert refused.status_code == 429
