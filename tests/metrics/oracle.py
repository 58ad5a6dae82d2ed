"""The authors' ppi-python package (``ppi_py``), imported as a test oracle."""

from __future__ import annotations

import warnings
from types import ModuleType

import pytest


def import_ppi_py() -> ModuleType:
    """Import ppi_py, skipping without it, and undo the warnings filter it sets.

    ppi_py calls ``warnings.simplefilter("ignore")`` at import, which would silence warnings
    for every later test in the session.
    """
    with warnings.catch_warnings():
        return pytest.importorskip("ppi_py")
