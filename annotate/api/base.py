"""What every annotation endpoint shares: the queue in the URL, who may see it, 409s."""

from __future__ import annotations

from typing import Any

from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from annotate.errors import Conflict
from annotate.models import Queue, QueueItem, QueueReviewer
from llmops_core.api.views import ProjectScopedMixin
from llmops_core.models import Role
from llmops_core.selectors.projects import role_allows


class QueueScopedMixin(ProjectScopedMixin):
    """Resolve ``pk`` to a queue of the project the user may see.

    Leads see every queue of their project; a reviewer sees only the queues they rate in, and
    gets 404 for the others so that their existence does not leak.
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
        queue = (
            Queue.objects.select_related("rubric_version", "project")
            .filter(project=self.project, pk=pk)
            .first()
        )
        if queue is None:
            raise NotFound("No such queue.")
        if (
            not role_allows(self.role, Role.ADJUDICATOR)
            and not QueueReviewer.objects.filter(queue=queue, reviewer=self.request.user).exists()
        ):
            raise NotFound("No such queue.")
        return queue

    def get_rating_queue(self, pk: int) -> tuple[Queue, QueueReviewer]:
        """Return the queue and the user's membership; only its reviewers rate in a queue."""
        membership = (
            QueueReviewer.objects.select_related("queue__rubric_version")
            .filter(queue_id=pk, queue__project=self.project, reviewer=self.request.user)
            .first()
        )
        if membership is None:
            exists = Queue.objects.filter(project=self.project, pk=pk).exists()
            if exists and role_allows(self.role, Role.ADJUDICATOR):
                raise PermissionDenied("you are not a reviewer of this queue")
            raise NotFound("No such queue.")
        membership.queue.project = self.project
        return membership.queue, membership

    def get_item(self, queue: Queue, item_id: int) -> QueueItem:
        try:
            item = QueueItem.objects.get(queue=queue, pk=item_id)
        except QueueItem.DoesNotExist:
            raise NotFound("No such item in this queue.") from None
        item.queue = queue
        return item
