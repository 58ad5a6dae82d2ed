"""Reading settings from the environment: booleans, lists, integers, database and cache URLs.

Used by ``llmops_core.settings`` only; each reader names the variable in its error.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean from the environment (1/0, true/false, yes/no, on/off)."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1 or 0)")


def env_list(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated list from the environment."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def env_choice(name: str, choices: list[str]) -> str:
    """Read one of ``choices`` (the first is the default) from the environment, in any case."""
    raw = os.environ.get(name, "").strip().lower() or choices[0]
    if raw not in choices:
        raise ImproperlyConfigured(f"{name}={raw!r}: use one of {', '.join(choices)}")
    return raw


def env_int(name: str, default: int) -> int:
    """Read an integer from the environment."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from exc


def database_from_url(url: str, *, var_dir: Path) -> dict[str, Any]:
    """Return the DATABASES entry for ``DATABASE_URL``; SQLite is tuned for concurrent writers."""
    db: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60))
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # IMMEDIATE transactions take the write lock up front, so concurrent writers queue on the
        # busy timeout instead of failing with "database is locked" on lock upgrade.
        db["CONN_MAX_AGE"] = 0
        db["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        # The test database is a file too, so that a real Celery worker process can open it.
        db["TEST"] = {"NAME": str(var_dir / "test_db.sqlite3")}
        if db["NAME"] and db["NAME"] != ":memory:":
            Path(db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    else:
        db["CONN_HEALTH_CHECKS"] = True
        # A database host that does not answer fails a connection (and the health check) in seconds.
        db.setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
    return db


def cache_from_url(url: str, *, table: str) -> dict[str, object]:
    """Return the CACHES entry for ``CACHE_URL``: redis://, rediss://, unix://, db://, locmem://."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme in {"redis", "rediss", "unix"}:
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    if url.rstrip("/").lower() == "db:":
        return {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": table,
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    if url.rstrip("/").lower() == "locmem:":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    raise ImproperlyConfigured(
        f"CACHE_URL={url!r}: use redis://host:6379/1 (or rediss://, unix://), db:// "
        "(the database) or locmem:// (one process only)"
    )
