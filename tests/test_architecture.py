"""The architecture rules and the lint run as part of the suite, so CI holds them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def test_import_contracts_hold() -> None:
    """llmops_core reads ratings only via annotate selectors; pure modules never import Django."""
    proc = subprocess.run(
        [str(BIN / "lint-imports")], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]


def test_ruff_finds_nothing() -> None:
    proc = subprocess.run(
        [str(BIN / "ruff"), "check", "--output-format", "concise", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-5000:]


def test_ruff_format_changes_nothing() -> None:
    """The tree is in ruff's format, so diffs carry changes, not reformatting."""
    proc = subprocess.run(
        [str(BIN / "ruff"), "format", "--check", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-5000:]


@pytest.mark.backend_independent
@pytest.mark.slow
def test_mypy_finds_nothing() -> None:
    """The app type-checks with the Django and DRF plugins (their settings need DEBUG=1)."""
    env = {**os.environ, "DEBUG": "1"}
    proc = subprocess.run(
        [
            str(BIN / "mypy"),
            "--cache-dir",
            str(ROOT / "var" / "mypy-cache"),
            "llmops_core",
            "annotate",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
