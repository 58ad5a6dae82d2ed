"""No server-side staleness across web processes: a label moved or removed is served at once.

Two gunicorn servers (one process each, so which process answers is known) run on the test
database, each with its own per-process cache (``CACHE_URL`` unset). An application fetches
through one of them with the Langfuse SDK while the label moves through the other, or is
deleted as an admin would delete it: the first server's next answer must already know.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from langfuse import Langfuse
from langfuse.api import NotFoundError

from bench.support import ServerProcess, free_port
from llmops_core.models import Project, PromptLabel, PromptVersion
from tests.support.db import database_url_for_subprocess
from tests.versions.langfuse_helpers import key_pair, open_gate, text_prompt

pytestmark = pytest.mark.django_db(transaction=True)


class Server:
    """``gunicorn llmops_core.wsgi`` with one sync worker on a free port of 127.0.0.1."""

    def __init__(self, log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if k != "CACHE_URL"}
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "tests.settings",
                "DEBUG": "1",
                "DATABASE_URL": database_url_for_subprocess(),
                "VAR_DIR": str(settings.VAR_DIR),
            }
        )
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "llmops_core.wsgi",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--log-level",
            "warning",
        ]
        self.process = ServerProcess("gunicorn", command, env=env, log_path=log_path)

    def answers(self) -> bool:
        try:
            urllib.request.urlopen(self.url + "/api/public/v2/prompts", timeout=10)
        except urllib.error.HTTPError:
            return True  # 401: up, and the view is loaded
        except OSError:
            return False
        return True


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[Server]]:
    running = [Server(tmp_path / f"gunicorn-{i}.log") for i in range(2)]
    for server in running:
        server.process.start()
    try:
        for server in running:
            server.process.wait_ready(server.answers, timeout=90)
        yield running
    finally:
        for server in running:
            server.process.stop(grace=5)


def sdk(project: Project, url: str) -> Langfuse:
    """Return the SDK on its own key pair (the SDK keeps one client per public key)."""
    key, secret = key_pair(project, name=url)
    return Langfuse(
        base_url=url, public_key=key.public_key, secret_key=secret, tracing_enabled=False
    )


def test_a_label_moved_or_removed_in_one_process_is_served_at_once_by_another(
    servers: list[Server], project: Project, lead: Any, admin: Any
) -> None:
    versions: list[PromptVersion] = text_prompt(project, lead)
    open_gate(project, admin)
    reader, mover = sdk(project, servers[0].url), sdk(project, servers[1].url)
    try:
        # The reader's process serves production v1 and keeps what it can in its cache.
        for _ in range(2):
            assert reader.get_prompt("greeting", cache_ttl_seconds=0).version == 1
        mover.update_prompt(name="greeting", version=2, new_labels=["production"])
        assert reader.get_prompt("greeting", cache_ttl_seconds=0).version == 2
        PromptLabel.objects.filter(version=versions[1], name="production").delete()
        with pytest.raises(NotFoundError):
            reader.get_prompt("greeting", cache_ttl_seconds=0, max_retries=0)
    finally:
        reader.shutdown()
        mover.shutdown()
