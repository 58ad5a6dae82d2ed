"""Alert webhooks: the egress check of their URLs, the HMAC signature, and the POST.

A webhook URL is written by a project lead, so it is held to the rule LLM endpoints are held
to (``llmops_core.llm.egress``): an http(s) URL whose host resolves only to public addresses,
unless the operator allows more in ``ALERT_WEBHOOK_ALLOWED_HOSTS``. The check runs when the
rule is saved and again at every connection (the POST goes to the checked addresses only, so
a name that resolves differently the second time reaches nothing new). Redirects are not
followed and proxies from the environment are ignored.

The receiver verifies ``X-Workbench-Signature: sha256=<hex>``, the HMAC-SHA256 with the
rule's secret of ``<X-Workbench-Timestamp>.<body>``; the timestamp is in the signed text, so
an old request replayed later fails the receiver's freshness check (README, "Alerts").
"""

from __future__ import annotations

import hashlib
import hmac
import time

from django.conf import settings

from llmops_core.errors import DomainError
from llmops_core.llm.egress import EgressPolicy
from llmops_core.llm.errors import ConfigError

SIGNATURE_HEADER = "X-Workbench-Signature"
TIMESTAMP_HEADER = "X-Workbench-Timestamp"
DELIVERY_HEADER = "X-Workbench-Delivery"
_ERROR_BODY_CHARS = 200


class DeliveryFailed(Exception):
    """A delivery did not go through; the message says why (kept on the delivery row)."""


def webhook_policy() -> EgressPolicy:
    """Return the egress policy of alert webhooks (the operator's allow rules only)."""
    return EgressPolicy.from_rules(
        settings.ALERT_WEBHOOK_ALLOWED_HOSTS,
        name="webhook_url",
        caller="alert webhooks",
        setting="ALERT_WEBHOOK_ALLOWED_HOSTS",
    )


def webhook_url_check(url: str) -> str:
    """Return ``url`` once its shape and every address of its host pass the egress policy.

    Raise ``DomainError`` (field ``webhook_url``) saying what is wrong.
    """
    try:
        webhook_policy().check(url)
    except ConfigError as exc:
        raise DomainError(str(exc), field="webhook_url") from exc
    return url


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """Return the signature header's value for ``body`` sent at ``timestamp``."""
    signed = timestamp.encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def webhook_post(url: str, body: bytes, *, secret: str, delivery_id: int) -> None:
    """POST ``body`` (JSON) to ``url``, signed; raise ``DeliveryFailed`` unless it is 2xx."""
    import httpx2

    from llmops_core.llm.transport import GuardedTransport

    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "feedback-workbench-alerts",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: webhook_signature(secret, timestamp, body),
        DELIVERY_HEADER: str(delivery_id),
    }
    policy = webhook_policy()
    timeout = float(settings.ALERT_WEBHOOK_TIMEOUT_SECONDS)
    try:
        policy.check(url)
        transport = GuardedTransport(policy, limits=httpx2.Limits(max_connections=1))
        with httpx2.Client(
            transport=transport, timeout=timeout, follow_redirects=False, trust_env=False
        ) as client:
            response = client.post(url, content=body, headers=headers)
    except ConfigError as exc:
        raise DeliveryFailed(str(exc)) from exc
    except httpx2.HTTPError as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}"[: _ERROR_BODY_CHARS * 2]) from exc
    if not 200 <= response.status_code < 300:
        text = response.text[:_ERROR_BODY_CHARS]
        raise DeliveryFailed(f"the receiver answered HTTP {response.status_code}: {text}")
