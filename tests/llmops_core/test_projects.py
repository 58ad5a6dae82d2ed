"""Projects get the default rubric; memberships and roles."""

from __future__ import annotations

import pytest

from llmops_core.errors import DomainError
from llmops_core.models import AuditEvent, Project
from llmops_core.selectors.projects import project_list_for_user
from llmops_core.services.projects import membership_set, project_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_new_project_gets_the_default_anchored_rubric() -> None:
    project = project_create(name="Support bot")
    version = project.rubrics.get(name="default").versions.get()
    criteria = list(version.criteria.all())
    assert [c.name for c in criteria] == ["fluency", "relevance", "factuality"]
    for criterion in criteria:
        assert (criterion.scale_min, criterion.scale_max) == (1, 5)
        assert sorted(criterion.anchors) == ["1", "2", "3", "4", "5"]
        assert all(len(text) > 20 for text in criterion.anchors.values())


def test_creator_becomes_admin_and_the_action_is_audited() -> None:
    user = UserFactory()
    project = project_create(name="P", created_by=user)
    assert project.memberships.get(user=user).role == "admin"
    assert AuditEvent.objects.filter(action="project.create", project=project).exists()


def test_duplicate_slug_is_a_clear_error(project: Project) -> None:
    with pytest.raises(DomainError, match=f'slug "{project.slug}"'):
        project_create(name="x", slug=project.slug)


def test_reviewer_sees_only_projects_they_belong_to(project: Project) -> None:
    other = project_create(name="Other")
    user = UserFactory()
    membership_set(project=project, user=user, role="reviewer")
    assert list(project_list_for_user(user=user)) == [project]
    assert other not in project_list_for_user(user=user)


def test_unknown_role_is_refused(project: Project) -> None:
    with pytest.raises(DomainError, match="not one of"):
        membership_set(project=project, user=UserFactory(), role="owner")
