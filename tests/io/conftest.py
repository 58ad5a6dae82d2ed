"""Fixtures for the import/export tests; these modules are pure, so no database is needed."""

from __future__ import annotations

import os

import pytest

from llmops_core.io.writers import WRITERS, ExportWriter, writer_for

# Hugging Face datasets reads these once, at import: load local files only, never the Hub.
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


@pytest.fixture(params=sorted(WRITERS))
def writer_class(request: pytest.FixtureRequest) -> type[ExportWriter]:
    """Each export writer in turn: the contract tests run once per format."""
    return writer_for(request.param)
