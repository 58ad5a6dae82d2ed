"""Two admins demoting (or removing) each other at the same instant, on PostgreSQL: one wins.

A project always keeps an admin; without the project's lock each would see the other still
admin and both would succeed, leaving none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from llmops_core.errors import DomainError
from llmops_core.models import Membership, Project, Role
from llmops_core.services.projects import membership_remove, membership_set
from tests.concurrency.test_claims import run_threads
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _demote(project: Project, user: Any) -> None:
    membership_set(project=project, user=user, role=Role.LEAD)


def _remove(project: Project, user: Any) -> None:
    membership_remove(project=project, user=user)


@pytest.mark.parametrize("change", [_demote, _remove], ids=["demote", "remove"])
def test_two_admins_stepping_down_at_once_leave_one_admin(
    change: Callable[[Project, Any], None],
) -> None:
    for _ in range(5):  # the race is tried a few times: each try must keep an admin
        project = ProjectFactory()
        admins = [UserFactory(), UserFactory()]
        for user in admins:
            MembershipFactory(project=project, user=user, role=Role.ADMIN)

        def work(i: int, project: Project = project, admins: list[Any] = admins) -> str:
            try:
                change(project, admins[i])
            except DomainError as exc:
                return str(exc)
            return "done"

        results = run_threads(2, work)
        assert sorted(r == "done" for r in results) == [False, True], results
        assert "is the only admin" in next(r for r in results if r != "done")
        assert Membership.objects.filter(project=project, role=Role.ADMIN).count() == 1
