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


PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k" * 20 + "x9#F2!qL0zR7^vB4&nW1*yT6-pJ3@hG8",
    "ALLOWED_HOSTS": "feedback.example.org",
}


def test_deploy_check_refuses_a_per_process_cache_in_production(tmp_path: Path) -> None:
    proc = run_manage(
        "check", "--deploy", **PRODUCTION, CACHE_URL="locmem://", VAR_DIR=str(tmp_path)
    )
    assert proc.returncode != 0
    assert "(llmops.E001)" in proc.stderr + proc.stdout
    assert "inside one process" in proc.stderr + proc.stdout


def test_the_cache_is_shared_by_default_in_production_and_set_by_cache_url(
    tmp_path: Path,
) -> None:
    code = "from django.conf import settings as s; print(s.CACHES['default']['BACKEND'])"

    def backend(debug: str, **env: str) -> str:
        settings = {**PRODUCTION, "DEBUG": debug, "VAR_DIR": str(tmp_path), **env}
        proc = run_manage("shell", "--no-imports", "-c", code, **settings)
        return (proc.stdout.strip() or proc.stderr).rsplit(".", 1)[-1]

    assert backend("0") == "DatabaseCache"
    assert backend("1") == "LocMemCache"
    assert backend("1", CACHE_URL="db://") == "DatabaseCache"
    assert backend("0", CACHE_URL="redis://127.0.0.1:6379/1") == "RedisCache"
    assert "CACHE_URL='memcached://x': use redis://" in backend("0", CACHE_URL="memcached://x")


def _statuses(tmp_path: Path, **env: str) -> list[int]:
    """Return the statuses of GET /api/projects/ without and with ``X-Forwarded-Proto: https``."""
    code = (
        "from django.test import Client; c = Client(); "
        "print(c.get('/api/projects/').status_code, "
        "c.get('/api/projects/', HTTP_X_FORWARDED_PROTO='https').status_code)"
    )
    settings = {**PRODUCTION, "ALLOWED_HOSTS": "testserver", "VAR_DIR": str(tmp_path), **env}
    proc = run_manage("shell", "--no-imports", "-c", code, **settings)
    return [int(word) for word in proc.stdout.split()] or [proc.returncode, -1]


def test_https_is_required_and_a_proxy_header_is_trusted_only_when_set(tmp_path: Path) -> None:
    # The default: every page redirects to https, whatever a client claims in the header.
    assert _statuses(tmp_path) == [301, 301]
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto: the header is believed.
    assert _statuses(tmp_path, SECURE_PROXY_SSL_HEADER="1") == [301, 401]
    # Plain HTTP on a private network, as the README says: no redirect.
    plain = {
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
    }
    assert _statuses(tmp_path, **plain) == [401, 401]
