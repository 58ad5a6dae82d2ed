"""Fixtures of the report tests: a project with a queue rated as in Krippendorff (2011)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from llmops_core.models import JobStatus, Project, Report
from llmops_core.services.reports import ReportScope, report_compute, report_request
from tests.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.reports.builders import KRIPPENDORFF_2011, RatedQueue, rated_queue

# Who may see reports: only leads and admins. Everyone else, by the status they get.
ROLE_EXPECTATIONS = {
    "anonymous": "login",
    "outsider": 404,
    "reviewer": 403,
    "adjudicator": 403,
    "lead": 200,
    "admin": 200,
}


@pytest.fixture
def k2011(project: Project) -> RatedQueue:
    """The 4 x 12 reliability data of Krippendorff (2011) as ratings on fluency."""
    return rated_queue(project, KRIPPENDORFF_2011, name="Krippendorff 2011")


@pytest.fixture
def done_report(project: Project, k2011: RatedQueue) -> Report:
    """A succeeded agreement report of the Krippendorff (2011) queue."""
    report, _ = report_request(
        project=project,
        requested_by=None,
        scope=ReportScope(queue_id=k2011.queue.pk, bootstrap_draws=100),
    )
    done = report_compute(report_id=report.pk)
    assert done is not None and done.status == JobStatus.SUCCEEDED, done and done.error
    return done


@pytest.fixture
def role_user(
    request: pytest.FixtureRequest, project: Project, make_member: Callable[..., object]
) -> object:
    """A user for the role named by the test's ``role`` parameter (or anonymous, outsider)."""
    role = request.param
    if role == "anonymous":
        return None
    if role == "outsider":
        outsider = UserFactory()
        MembershipFactory(project=ProjectFactory(), user=outsider, role="admin")
        return outsider
    return make_member(role)
