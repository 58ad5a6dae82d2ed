"""Fixtures of the alert tests: a local webhook receiver and a rule builder."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from llmops_core.models import AlertRule, Project
from llmops_core.services.alerts import RuleInput, alert_rule_create

SECRET = "a-test-secret-of-enough-length"


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def signature_ok(self, secret: str = SECRET) -> bool:
        """Verify as the README tells receivers to (timestamp + "." + body, HMAC-SHA256)."""
        signed = self.headers["X-Workbench-Timestamp"].encode() + b"." + self.body
        expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, self.headers["X-Workbench-Signature"])


@dataclass
class Receiver:
    """An http.server on loopback that records each POST and answers the next status."""

    url: str
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # answered in order, then 200
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            hub = state["receiver"]
            with hub.lock:
                hub.received.append(Received(dict(self.headers.items()), body))
                code = hub.statuses.pop(0) if hub.statuses else 200
            self.send_response(code)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"no" if code >= 300 else b"ok")

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["receiver"] = Receiver(url=f"http://127.0.0.1:{server.server_port}/hook")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["receiver"]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def make_rule(project: Project, lead: Any) -> Callable[..., AlertRule]:
    """Return a function that creates a rule of ``project`` through the service."""

    def make(**fields: Any) -> AlertRule:
        values: dict[str, Any] = {
            "name": f"rule-{AlertRule.objects.count() + 1}",
            "metric": "error_rate",
            "window": "1h",
            "alert_threshold": 0.5,
            "cooldown_seconds": 0,
        }
        values.update(fields)
        if values.get("webhook_url") and "webhook_secret" not in values:
            values["webhook_secret"] = SECRET
        rule, _ = alert_rule_create(project=project, data=RuleInput(**values), actor=lead)
        return rule

    return make
