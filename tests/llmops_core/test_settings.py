"""Settings come from the environment and are secure by default."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DEBUG",
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DATABASE_URL",
            "CELERY_BROKER_URL",
            "DJANGO_SETTINGS_MODULE",
            # The test process's own allowance for Playwright; never part of a deployment.
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )


def test_deploy_check_passes_with_debug_off_and_secret_and_hosts_set(tmp_path: Path) -> None:
    proc = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="k" * 20 + "x9#F2!qL0zR7^vB4&nW1*yT6-pJ3@hG8",
        ALLOWED_HOSTS="feedback.example.org",
        VAR_DIR=str(tmp_path),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_missing_secret_key_with_debug_off_is_a_clear_error(tmp_path: Path) -> None:
    proc = run_manage("check", DEBUG="0", VAR_DIR=str(tmp_path))
    assert proc.returncode != 0
    assert "SECRET_KEY is not set" in proc.stderr


def test_database_and_broker_urls_are_read_from_the_environment(tmp_path: Path) -> None:
    code = (
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'], "
        "s.CELERY_BROKER_URL)"
    )
    proc = run_manage(
        "shell",
        "--no-imports",
        "-c",
        code,
        DEBUG="1",
        VAR_DIR=str(tmp_path),
        DATABASE_URL="postgres://u@db.internal:5432/feedback",
        CELERY_BROKER_URL="redis://cache.internal:6379/0",
    )
    assert proc.stdout.split() == [
        "django.db.backends.postgresql",
        "feedback",
        "redis://cache.internal:6379/0",
    ], proc.stderr
    default = run_manage("shell", "--no-imports", "-c", code, DEBUG="1", VAR_DIR=str(tmp_path))
    engine, name, broker = default.stdout.split()
    assert engine == "django.db.backends.sqlite3" and name.endswith("db.sqlite3")
    assert broker == "filesystem://"
