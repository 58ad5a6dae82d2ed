"""The rating flow: next item, submit + next, skip, undo, lease renewal, history and edits."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate import serializers as s
from annotate.api import responses as r
from annotate.api.base import QueueScopedMixin
from annotate.models import Annotation, Queue, QueueReviewer, RatingRevision
from annotate.selectors.queues import (
    annotation_list_for_reviewer,
    done_today,
    item_ratings,
)
from annotate.services.assignment import (
    Claim,
    assignment_claim_next,
    assignment_release,
    assignment_renew,
)
from annotate.services.edits import annotation_edit, annotation_undo
from annotate.services.submit import annotation_skip, annotation_submit
from llmops_core.api.pagination import KeysetPagination
from llmops_core.models import Role
from llmops_core.permissions import signed_in

REASONS = {
    "done": "There is nothing left for you to rate in this queue.",
    "quota": "You reached your quota for this queue.",
    "paused": "The queue is paused.",
    "closed": "The queue is closed.",
    "busy": "Other reviewers are taking the last items right now; checking again shortly.",
}


def progress_payload(membership: QueueReviewer) -> dict[str, Any]:
    queue = membership.queue
    return {
        "complete": queue.complete_count,
        "items": queue.item_count,
        "reviews": queue.review_count,
        "mine": membership.done_count,
        "quota": membership.quota,
    }


def claim_payload(
    claim: Claim, queue: Queue, user: Any, previous: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Return ``{"next": item or None, "reason": ..., "message": ...}`` for a claim."""
    if claim.assignment is None:
        return {"next": None, "reason": claim.reason, "message": REASONS.get(claim.reason, "")}
    item = claim.assignment.item
    reveal = not queue.blind
    others = None
    if reveal:
        others = [r for r in item_ratings(item=item) if r["reviewer"] != user.get_username()]
    payload = s.item_payload(
        item=item, assignment=claim.assignment, reveal=reveal, previous=previous, others=others
    )
    return {"next": payload, "reason": "", "message": ""}


class NewestFirstPagination(KeysetPagination):
    ordering = "-id"
    page_size = 25


def _fresh_membership(queue: Queue, user: Any) -> QueueReviewer:
    membership = QueueReviewer.objects.select_related("queue").get(queue=queue, reviewer=user)
    return membership


class NextItemApi(QueueScopedMixin, APIView):
    """Lease and return your next item (a lease you hold comes back first, except ``holding``)."""

    write_role = Role.REVIEWER

    @extend_schema(request=s.HoldingSerializer, responses={200: r.ClaimSerializer})
    def post(self, request: Request, project_slug: str, pk: int) -> Response:
        queue, membership = self.get_rating_queue(pk)
        data = s.HoldingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        claim = assignment_claim_next(
            queue=queue,
            reviewer=signed_in(request.user),
            holding=data.validated_data["holding"],
            membership=membership,
        )
        return Response(claim_payload(claim, queue, request.user))


class SubmitApi(QueueScopedMixin, APIView):
    """Store your ratings of an item and return your next item in the same round trip.

    Idempotent by ``client_token``: resending it returns the stored annotation (200, not 201).
    Rating an item twice with different tokens is a 409.
    """

    write_role = Role.REVIEWER

    @extend_schema(
        request=s.SubmitSerializer,
        responses={201: r.SubmitResultSerializer, 200: r.SubmitResultSerializer},
    )
    def post(self, request: Request, project_slug: str, pk: int, item_id: int) -> Response:
        queue, _ = self.get_rating_queue(pk)
        item = self.get_item(queue, item_id)
        data = s.SubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        result = annotation_submit(
            item=item,
            reviewer=signed_in(request.user),
            client_token=v["client_token"],
            scores=v["scores"],
            comment=v["comment"],
            flags=v["flags"],
            active_ms=v["active_ms"],
            rubric_version_id=v["rubric_version"],
        )
        membership = result.membership or _fresh_membership(queue, request.user)
        claim = assignment_claim_next(
            queue=queue,
            reviewer=signed_in(request.user),
            holding=v["holding"],
            membership=membership,
        )
        body = {
            "annotation": {"id": result.annotation.pk, "item": item.pk, "created": result.created},
            **claim_payload(claim, membership.queue, request.user),
            "progress": progress_payload(membership),
        }
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(body, status=code)


class SkipApi(QueueScopedMixin, APIView):
    """Skip an item (optional reason); it returns to the pool for others. Returns your next."""

    write_role = Role.REVIEWER

    @extend_schema(request=s.SkipSerializer, responses={200: r.ClaimSerializer})
    def post(self, request: Request, project_slug: str, pk: int, item_id: int) -> Response:
        queue, _ = self.get_rating_queue(pk)
        item = self.get_item(queue, item_id)
        data = s.SkipSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        annotation_skip(
            item=item, reviewer=signed_in(request.user), reason=data.validated_data["reason"]
        )
        claim = assignment_claim_next(
            queue=queue, reviewer=signed_in(request.user), holding=data.validated_data["holding"]
        )
        return Response(claim_payload(claim, queue, request.user))


class UndoApi(QueueScopedMixin, APIView):
    """Take back your last submission in this queue; returns that item, your values filled in."""

    write_role = Role.REVIEWER

    @extend_schema(request=None, responses={200: r.UndoResultSerializer})
    def post(self, request: Request, project_slug: str, pk: int) -> Response:
        queue, _ = self.get_rating_queue(pk)
        undo = annotation_undo(queue=queue, reviewer=signed_in(request.user))
        body = claim_payload(Claim(undo.assignment), queue, request.user, previous=undo.previous)
        membership = _fresh_membership(queue, request.user)
        return Response({**body, "progress": progress_payload(membership)})


class RenewApi(QueueScopedMixin, APIView):
    """Extend your lease on an item while you are still working on it."""

    write_role = Role.REVIEWER

    @extend_schema(request=None, responses={200: r.LeaseSerializer})
    def post(self, request: Request, project_slug: str, pk: int, item_id: int) -> Response:
        queue, _ = self.get_rating_queue(pk)
        assignment = assignment_renew(
            item=self.get_item(queue, item_id), reviewer=signed_in(request.user)
        )
        if assignment is None:
            raise NotFound("You hold no lease on this item.")
        return Response(
            {"assignment": assignment.pk, "expires_at": assignment.expires_at.isoformat()}
        )


class ReleaseApi(QueueScopedMixin, APIView):
    """Give back leases the page no longer needs (it is closing)."""

    write_role = Role.REVIEWER

    @extend_schema(request=s.ReleaseSerializer, responses={200: r.ReleasedSerializer})
    def post(self, request: Request, project_slug: str, pk: int) -> Response:
        queue, _ = self.get_rating_queue(pk)
        data = s.ReleaseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        released = assignment_release(
            queue=queue, reviewer=signed_in(request.user), item_ids=data.validated_data["item_ids"]
        )
        return Response({"released": released})


class ProgressApi(QueueScopedMixin, APIView):
    """Your progress in the queue (today, total, quota) and the queue's."""

    @extend_schema(responses={200: r.ProgressTodaySerializer})
    def get(self, request: Request, project_slug: str, pk: int) -> Response:
        queue, membership = self.get_rating_queue(pk)
        return Response(
            {
                **progress_payload(membership),
                "today": done_today(queue=queue, reviewer=signed_in(request.user)),
            }
        )


class MyAnnotationListApi(QueueScopedMixin, generics.ListAPIView[Annotation]):
    """Your annotations in this queue, newest first (keyset pages), to revisit and edit."""

    serializer_class = s.MyAnnotationSerializer
    pagination_class = NewestFirstPagination
    model = Annotation

    def get_project_queryset(self) -> Any:
        queue, _ = self.get_rating_queue(self.kwargs["pk"])
        return annotation_list_for_reviewer(queue=queue, reviewer=self.request.user)


class AnnotationScopedMixin(QueueScopedMixin):
    def get_annotation(self, pk: int) -> Annotation:
        annotation = (
            Annotation.objects.select_related(
                "item__queue", "item__output__prompt_version__template"
            )
            .prefetch_related("ratings__criterion")
            .filter(pk=pk, item__queue__project=self.project)
            .first()
        )
        mine = annotation is not None and annotation.reviewer_id == self.request.user.pk
        if annotation is None or not (mine or self.is_lead):
            raise NotFound("No such annotation.")
        return annotation


class AnnotationDetailApi(AnnotationScopedMixin, APIView):
    """Read one of your annotations with its item; change it (the old values are kept)."""

    write_role = Role.REVIEWER

    @extend_schema(responses={200: r.AnnotationDetailSerializer})
    def get(self, request: Request, project_slug: str, pk: int) -> Response:
        annotation = self.get_annotation(pk)
        reveal = self.is_lead or not annotation.item.queue.blind
        return Response(s.annotation_payload(annotation, reveal=reveal))

    @extend_schema(request=s.EditSerializer, responses={200: r.AnnotationDetailSerializer})
    def patch(self, request: Request, project_slug: str, pk: int) -> Response:
        annotation = self.get_annotation(pk)
        data = s.EditSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        annotation_edit(
            annotation=annotation,
            editor=signed_in(request.user),
            scores=v.get("scores"),
            comment=v.get("comment"),
            flags=v.get("flags"),
        )
        fresh = self.get_annotation(pk)
        reveal = self.is_lead or not fresh.item.queue.blind
        return Response(s.annotation_payload(fresh, reveal=reveal))


class AnnotationRevisionListApi(AnnotationScopedMixin, APIView):
    """Every change to an annotation: who, when, the values before and after."""

    @extend_schema(responses={200: r.RevisionSerializer(many=True)})
    def get(self, request: Request, project_slug: str, pk: int) -> Response:
        annotation = self.get_annotation(pk)
        revisions = (
            RatingRevision.objects.filter(annotation=annotation)
            .select_related("changed_by")
            .order_by("changed_at", "id")[:500]
        )
        return Response(
            [
                {
                    "changed_by": r.changed_by.get_username(),
                    "changed_at": r.changed_at.isoformat(),
                    "before": r.before,
                    "after": r.after,
                }
                for r in revisions
            ]
        )
