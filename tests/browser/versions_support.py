"""Support of the prompt-version browser test.

The shared ``browser`` fixture keeps Playwright's event loop running in the test thread for the
whole session, and the ``page`` fixture allows synchronous ORM calls only while it is alive. The
transactional database is flushed after ``page`` is gone, so a test with ``live_server`` needs
the allowance for longer: this session fixture gives it, set before any database fixture.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def orm_beside_playwright() -> Iterator[None]:
    """Allow synchronous ORM calls while Playwright's loop runs in this thread (test-only)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    yield
    mp.undo()
