"""Who may see and use a queue: the one rule every page and endpoint of a queue applies.

In order, for a URL naming a project and one of its queues:

1. not a member of the project (or no such project): 404, so that projects do not leak;
2. a member whose role is below what the action needs: 403. This is decided before the queue
   is looked up, so it says nothing about the queue (the API's role check runs here too);
3. no such queue in the project, or a queue the member may not see: 404, so that queues do
   not leak. Adjudicators, leads and admins see every queue of the project; reviewers see
   the queues they are reviewers of;
4. an action only the queue's own reviewers take (rating, pairwise preferences) asked by a
   member who sees the queue but is not one of its reviewers: 403.

HTML views call ``queue_for_request``; API views have passed steps 1 and 2 in
``ProjectRolePermission`` and call ``queue_access`` (through ``QueueScopedMixin``). Django's
``Http404`` and ``PermissionDenied`` become the API's 404 and 403 in its exception handler.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from annotate import sql
from annotate.models import Queue, QueueReviewer
from llmops_core.models import Project, Role, Rubric, RubricVersion
from llmops_core.permissions import project_for_request
from llmops_core.selectors.projects import role_allows

NO_SUCH_QUEUE = "No such queue."
NOT_A_REVIEWER = "you are not a reviewer of this queue"


def sees_every_queue(role: str | None) -> bool:
    """Return whether a project role sees every queue of the project (adjudicators and up)."""
    return role_allows(role, Role.ADJUDICATOR)


class QueueAccess:
    """A queue the user may see, with their role in its project and their membership of it.

    ``membership`` is read at most once: with the queue where the rule needed it, else when
    first asked (a lead's API call that never asks costs no query for it).
    """

    def __init__(
        self,
        *,
        project: Project,
        role: str,
        queue: Queue,
        user: Any,
        membership: QueueReviewer | None = None,
        membership_read: bool = False,
    ) -> None:
        self.project, self.role, self.queue, self.user = project, role, queue, user
        self._membership = membership
        self._membership_read = membership_read

    @property
    def membership(self) -> QueueReviewer | None:
        """Return the user's membership of the queue, or None if they are not its reviewer."""
        if not self._membership_read:
            self._membership = QueueReviewer.objects.filter(
                queue=self.queue, reviewer=self.user
            ).first()
            self._membership_read = True
        return self._membership


def _membership_with_queue(*, user: Any, project: Project, pk: int) -> QueueReviewer | None:
    """Return the user's membership of queue ``pk`` of ``project``, its queue and rubric joined.

    Written in SQL (``annotate.sql``): every rating request asks it first.
    """
    parts: list[sql.Part] = [(m, None) for m in (QueueReviewer, Queue, RubricVersion, Rubric)]
    cols = ", ".join(sql.columns(m, a) for (m, _), a in zip(parts, "mqvr", strict=True))
    found = sql.select(
        parts,
        f"SELECT {cols} FROM {QueueReviewer._meta.db_table} m "  # noqa: S608
        f"INNER JOIN {Queue._meta.db_table} q ON m.queue_id = q.id "
        f"INNER JOIN {RubricVersion._meta.db_table} v ON q.rubric_version_id = v.id "
        f"INNER JOIN {Rubric._meta.db_table} r ON v.rubric_id = r.id "
        "WHERE m.queue_id = %s AND q.project_id = %s AND m.user_id = %s",
        [pk, project.pk, user.pk],
    )
    if not found:
        return None
    membership, queue, version, rubric = found[0]
    assert isinstance(membership, QueueReviewer) and isinstance(queue, Queue)
    assert isinstance(version, RubricVersion) and isinstance(rubric, Rubric)
    version.rubric = rubric
    queue.rubric_version = version
    membership.queue = queue
    return membership


def queue_access(
    *, user: Any, project: Project, role: str, pk: int, reviewers_only: bool = False
) -> QueueAccess:
    """Return queue ``pk`` of ``project`` for a member with ``role``, by steps 3 and 4 above.

    ``reviewers_only``: the action is one only the queue's reviewers take; their membership
    is read with the queue in one query (the rating flow's hot path).
    """
    if reviewers_only:
        membership = _membership_with_queue(user=user, project=project, pk=pk)
        if membership is None:
            if sees_every_queue(role) and Queue.objects.filter(project=project, pk=pk).exists():
                raise PermissionDenied(NOT_A_REVIEWER)
            raise Http404(NO_SUCH_QUEUE)
        membership.queue.project = project
        return QueueAccess(
            project=project,
            role=role,
            queue=membership.queue,
            user=user,
            membership=membership,
            membership_read=True,
        )
    queue = (
        Queue.objects.select_related("rubric_version__rubric")
        .filter(project=project, pk=pk)
        .first()
    )
    if queue is None:
        raise Http404(NO_SUCH_QUEUE)
    queue.project = project
    access = QueueAccess(project=project, role=role, queue=queue, user=user)
    if not sees_every_queue(role) and access.membership is None:
        raise Http404(NO_SUCH_QUEUE)
    return access


def queue_for_request(
    user: Any,
    project_slug: str,
    pk: int,
    *,
    role: str = Role.REVIEWER,
    reviewers_only: bool = False,
) -> QueueAccess:
    """Return the queue of an HTML view's URL, by all four steps above.

    ``role`` is the least project role the action needs (step 2).
    """
    project, user_role = project_for_request(user, project_slug, role)
    return queue_access(
        user=user, project=project, role=user_role, pk=pk, reviewers_only=reviewers_only
    )
