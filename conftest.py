"""Root pytest configuration: local defaults before Django settings load."""

import os
from pathlib import Path

os.environ.setdefault("DEBUG", "1")
# Tests keep their SQLite file, broker folder and media apart from a running `make run`.
os.environ.setdefault("VAR_DIR", str(Path(__file__).parent / "var" / "test"))
os.environ.setdefault("CELERY_QUEUE", f"test-{os.getpid()}")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
