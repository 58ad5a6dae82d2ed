"""Settings for the test run: local defaults in the environment, then the real settings.

The environment is set before importing so that subprocesses the tests start (a Celery worker,
the CLI) inherit the same database, broker folder and queue.
"""

import os
from pathlib import Path

os.environ.setdefault("DEBUG", "1")
# Tests keep their SQLite file, broker folder and media apart from a running `make run`.
os.environ.setdefault("VAR_DIR", str(Path(__file__).resolve().parent.parent / "var" / "test"))
os.environ.setdefault("CELERY_QUEUE", f"test-{os.getpid()}")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
# Playwright's sync API runs an event loop in the test thread; the tests' ORM calls between
# browser steps are synchronous and safe. Test settings only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from llmops_core.settings import *  # noqa: F403

# Fast password hashing: the tests create many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # One test database file per test process: parallel runs never share (or clobber) one.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test_db_{os.getpid()}.sqlite3")}  # noqa: F405

# The alert tests run a webhook receiver on loopback; every other private address stays refused.
ALERT_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
