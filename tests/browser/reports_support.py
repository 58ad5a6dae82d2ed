"""Helpers of the report browser test: the ORM beside Playwright, and a rated queue.

The browser and page fixtures are the shared ones of ``tests/browser/conftest.py``; the fixtures
here are imported by the test module.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from django.db import connections
from django.utils import timezone

from llmops_core.models import Project
from tests.reports.builders import RatedQueue, rate, rated_queue

# Reviewer noise per criterion, chosen so the three verdicts differ: good, tentative, poor.
NOISE = {"fluency": 0.3, "relevance": 0.85, "factuality": 1.1}
BIAS = [0.0, 0.2, -0.2, 0.4]


@pytest.fixture(scope="session")
def orm_beside_playwright_reports() -> Iterator[None]:
    """Allow synchronous ORM calls while Playwright's loop runs in this thread (test-only).

    Session-scoped so the allowance outlives the transactional database's flush.
    """
    patch = pytest.MonkeyPatch()
    patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    yield
    patch.undo()


@pytest.fixture
def live_app(django_db_setup: None, live_server: Any) -> Iterator[Any]:
    """Yield the live server, and close the database connections the test opened.

    ORM calls made beside Playwright's running loop get connections of their own; left open,
    PostgreSQL refuses to drop the test database ("being accessed by other users").
    """
    yield live_server
    connections.close_all()


def varied_queue(project: Project, *, items: int = 40, seed: int = 11) -> RatedQueue:
    """Return a queue of ``items`` items, each rated by 3 of 4 reviewers over five weeks.

    Reviewers follow a hidden true score with criterion-specific noise, so fluency comes out
    reliable, relevance tentative and factuality poor.
    """
    rng = np.random.default_rng(seed)
    rq = rated_queue(
        project,
        [[None] * items for _ in BIAS],
        name="Support replies",
        reviewer_names=["ana", "ben", "chloe", "dev"],
    )
    truth = rng.integers(1, 6, items)
    start = timezone.now() - timedelta(days=34)
    for index, item in enumerate(rq.items):
        when = start + timedelta(days=int(index * 34 / items), hours=int(rng.integers(0, 8)))
        for reviewer in rng.choice(len(BIAS), 3, replace=False):
            scores = {
                name: int(np.clip(np.rint(truth[index] + BIAS[reviewer] + rng.normal(0, sd)), 1, 5))
                for name, sd in NOISE.items()
            }
            rate(rq, rq.reviewers[int(reviewer)], item, scores, when=when)
    return rq
