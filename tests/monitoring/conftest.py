"""Fixtures of the monitoring tests: the traces tests' span sender."""

from tests.traces.conftest import sender

__all__ = ["sender"]
