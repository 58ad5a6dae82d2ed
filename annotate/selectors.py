"""Named reads of the annotation app. The LLMOps core reads ratings only through this module."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from annotate.models import Queue
from llmops_core.models import Project, Role
from llmops_core.selectors import project_role, role_allows


def queue_list_for_user(
    *, user: AbstractBaseUser | AnonymousUser, project: Project
) -> QuerySet[Queue]:
    """Return the project's queues: all of them for leads, the assigned ones for reviewers."""
    qs = Queue.objects.filter(project=project).select_related("rubric_version__rubric")
    if role_allows(project_role(user=user, project=project), Role.LEAD):
        return qs
    return qs.filter(reviewers=user)
