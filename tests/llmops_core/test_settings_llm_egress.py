"""The LLM egress settings: closed by default in production, and a bad value stops the start."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.llmops_core.test_settings import run_manage

SECRET = "k" * 20 + "x9#F2!qL0zR7^vB4&nW1*yT6-pJ3@hG8"
SHOW = (
    "import json; from django.conf import settings as s; "
    "print(json.dumps([s.LLM_ALLOWED_HOSTS, s.LLM_KEY_ENVS]))"
)


@pytest.mark.parametrize(
    ("debug", "allowed"), [("0", []), ("1", ["127.0.0.1", "::1"])], ids=["production", "debug"]
)
def test_only_debug_opens_loopback_and_the_site_key_goes_to_the_site_url_only(
    tmp_path: Path, debug: str, allowed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LLM_ALLOWED_HOSTS", raising=False)  # the child sees the defaults
    proc = run_manage(
        "shell",
        "--no-imports",
        "-c",
        SHOW,
        DEBUG=debug,
        SECRET_KEY=SECRET,
        VAR_DIR=str(tmp_path),
        OPENAI_BASE_URL="https://api.openai.com/v1",
        LLM_KEY_ENVS="",
    )
    hosts, bindings = json.loads(proc.stdout.strip().splitlines()[-1])
    assert hosts == allowed
    assert bindings == {"OPENAI_API_KEY": ["https://api.openai.com/v1"]}, proc.stderr


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("LLM_ALLOWED_HOSTS", "10.0.0.1/8", "LLM_ALLOWED_HOSTS entry '10.0.0.1/8'"),
        ("LLM_KEY_ENVS", '{"OPENAI_API_KEY": "https://x/v1?next=/"}', "LLM_KEY_ENVS"),
        ("OPENAI_BASE_URL", "http://127.0.0.1:8011/v1?x", "OPENAI_BASE_URL"),
    ],
)
def test_a_bad_value_stops_the_start_naming_the_setting(
    tmp_path: Path, name: str, value: str, named: str
) -> None:
    env = {"DEBUG": "0", "SECRET_KEY": SECRET, "VAR_DIR": str(tmp_path), name: value}
    proc = run_manage("check", **env)
    assert proc.returncode != 0
    assert "ImproperlyConfigured" in proc.stderr and named in proc.stderr
