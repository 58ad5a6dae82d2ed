"""What every annotation endpoint shares: the queue in the URL, who may see it, 409s."""

from __future__ import annotations

from typing import Any

from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from annotate import sql
from annotate.errors import Conflict
from annotate.models import Queue, QueueItem, QueueReviewer
from annotate.permissions import queue_access
from llmops_core.api.views import ProjectScopedMixin
from llmops_core.models import Role
from llmops_core.selectors.projects import role_allows


class QueueScopedMixin(ProjectScopedMixin):
    """Resolve ``pk`` to a queue of the project the user may see (``annotate.permissions``).

    ``ProjectRolePermission`` has checked the role the verb needs (403 below it); then a queue
    that is not in the project, or that a reviewer is not assigned to, is a 404, so that its
    existence does not leak, and only the queue's own reviewers rate in it (403 for others).
    """

    request: Any

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, Conflict):
            body = {"detail": str(exc), "code": type(exc).__name__}
            return Response(body, status=status.HTTP_409_CONFLICT)
        return super().handle_exception(exc)  # type: ignore[misc]

    @property
    def is_lead(self) -> bool:
        return role_allows(self.role, Role.LEAD)

    def get_queue(self, pk: int) -> Queue:
        return queue_access(
            user=self.request.user, project=self.project, role=self.role, pk=pk
        ).queue

    def get_rating_queue(self, pk: int) -> tuple[Queue, QueueReviewer]:
        """Return the queue and the user's membership; only its reviewers rate in a queue."""
        access = queue_access(
            user=self.request.user, project=self.project, role=self.role, pk=pk, reviewers_only=True
        )
        assert access.membership is not None  # the rule let only the queue's reviewers through
        return access.queue, access.membership

    def get_item(self, queue: Queue, item_id: int) -> QueueItem:
        # Written in SQL (``annotate.sql``): every submission asks it first.
        found = sql.select(
            [(QueueItem, None)],
            f"SELECT {sql.columns(QueueItem, 'i')} FROM {QueueItem._meta.db_table} i "  # noqa: S608
            "WHERE i.id = %s AND i.queue_id = %s",
            [item_id, queue.pk],
        )
        if not found:
            raise NotFound("No such item in this queue.")
        item = found[0][0]
        assert isinstance(item, QueueItem)
        item.queue = queue
        return item
