"""Endpoints for leads and adjudicators: reviewers and quotas, pins, gold items, items, and
the adjudication stream."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate import serializers as s
from annotate.api import responses as r
from annotate.api.base import QueueScopedMixin
from annotate.consensus import suggested_scores
from annotate.models import Adjudication, QueueItem
from annotate.selectors.queues import (
    adjudication_candidates,
    item_for_rating,
    item_ratings,
    queue_items_for_lead,
)
from annotate.selectors.reviewers import reviewer_rows
from annotate.services.adjudication import adjudication_record, item_rubric_version_id
from annotate.services.gold import gold_mark, gold_unmark
from annotate.services.reviewers import items_pin, items_unpin, queue_reviewers_update
from llmops_core.api.pagination import KeysetPagination
from llmops_core.models import Role, RubricVersion
from llmops_core.permissions import signed_in


def _users(usernames: list[str]) -> dict[str, Any]:
    users = {u.get_username(): u for u in get_user_model().objects.filter(username__in=usernames)}
    unknown = sorted(set(usernames) - set(users))
    if unknown:
        raise ValidationError({"reviewers": f"unknown users: {', '.join(unknown)}"})
    return users


class QueueReviewersApi(QueueScopedMixin, APIView):
    """Per-reviewer progress (leads); set the reviewers and their quotas (leads)."""

    read_role = Role.LEAD

    @extend_schema(responses={200: r.ReviewerRowSerializer(many=True)})
    def get(self, request: Request, project_slug: str, pk: int) -> Response:
        queue = self.get_queue(pk)
        return Response([row.__dict__ for row in reviewer_rows(queue=queue)])

    @extend_schema(
        request=s.ReviewersSerializer, responses={200: r.ReviewerRowSerializer(many=True)}
    )
    def put(self, request: Request, project_slug: str, pk: int) -> Response:
        queue = self.get_queue(pk)
        data = s.ReviewersSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        wanted = data.validated_data["reviewers"]
        users = _users([r["username"] for r in wanted])
        queue_reviewers_update(  # reviewers and quotas, all or nothing
            queue=queue,
            reviewers=[(users[row["username"]], row["quota"]) for row in wanted],
            actor=signed_in(request.user),
        )
        return Response([row.__dict__ for row in reviewer_rows(queue=queue)])


class QueuePinsApi(QueueScopedMixin, APIView):
    """Assign items (by id, or a slice of positions) to one reviewer, or take them back."""

    @extend_schema(request=s.PinSerializer, responses={200: r.PinsChangedSerializer})
    def post(self, request: Request, project_slug: str, pk: int) -> Response:
        queue = self.get_queue(pk)
        data = s.PinSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        reviewer = _users([v["reviewer"]])[v["reviewer"]]
        ids = list(v["item_ids"])
        if v["from_position"] is not None or v["to_position"] is not None:
            ids += list(
                QueueItem.objects.filter(
                    queue=queue,
                    position__gte=v["from_position"] or 0,
                    position__lte=v["to_position"] or 2**31,
                ).values_list("id", flat=True)
            )
        if not ids:
            raise ValidationError({"item_ids": "give item ids or a slice of positions"})
        service = items_unpin if v["unpin"] else items_pin
        changed = service(
            queue=queue, reviewer=reviewer, item_ids=ids, actor=signed_in(request.user)
        )
        return Response({"changed": changed})


class QueueItemListApi(QueueScopedMixin, generics.ListAPIView[QueueItem]):
    """The queue's items with their counters (leads; keyset pages by id)."""

    serializer_class = s.QueueItemSerializer
    pagination_class = KeysetPagination
    read_role = Role.LEAD
    model = QueueItem

    def get_project_queryset(self) -> Any:
        queue = self.get_queue(self.kwargs["pk"])
        items = queue_items_for_lead(queue=queue)
        flag = self.request.query_params.get("filter")
        if flag == "contested":
            items = items.filter(contested=True)
        elif flag == "flagged":
            items = items.filter(flag_count__gt=0)
        elif flag == "gold":
            items = items.filter(is_gold=True)
        return items


def _review_payload(item: QueueItem) -> dict[str, Any]:
    """Return an item with every rating side by side, for leads and adjudicators."""
    version = RubricVersion.objects.select_related("rubric").get(pk=item_rubric_version_id(item))
    ratings = item_ratings(item=item)
    same_version = [r for r in ratings if r["rubric_version_id"] == version.pk]
    by_criterion: dict[str, list[int]] = {}
    for row in same_version:
        for name, score in row["scores"].items():
            by_criterion.setdefault(name, []).append(score)
    adjudication = Adjudication.objects.filter(item=item).first()
    return {
        "item": s.item_payload(item=item, assignment=None, reveal=True),
        "position": item.position,
        "is_gold": item.is_gold,
        "gold_scores": item.gold_scores,
        "contested": item.contested,
        "done_count": item.done_count,
        "target_reviews": item.target_reviews,
        "rubric": s.rubric_payload(version),
        "ratings": ratings,
        "suggested": suggested_scores(by_criterion),
        "adjudication": None
        if adjudication is None
        else {
            "scores": adjudication.scores,
            "note": adjudication.note,
            "adjudicator": adjudication.adjudicator.get_username(),
            "updated_at": adjudication.updated_at.isoformat(),
        },
    }


class QueueItemDetailApi(QueueScopedMixin, APIView):
    """One item with all its ratings, gold scores and adjudication (leads, adjudicators)."""

    read_role = Role.ADJUDICATOR

    @extend_schema(responses={200: r.ItemReviewSerializer})
    def get(self, request: Request, project_slug: str, pk: int, item_id: int) -> Response:
        queue = self.get_queue(pk)
        item = item_for_rating(item_id=item_id, queue=queue)
        if item is None:
            raise NotFound("No such item in this queue.")
        return Response(_review_payload(item))


class GoldApi(QueueScopedMixin, APIView):
    """Make an item a gold item with known scores (PUT), or an ordinary one again (DELETE)."""

    @extend_schema(request=s.ScoresSerializer, responses={200: s.QueueItemSerializer})
    def put(self, request: Request, project_slug: str, pk: int, item_id: int) -> Response:
        item = self.get_item(self.get_queue(pk), item_id)
        data = s.ScoresSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = gold_mark(
            item=item, scores=data.validated_data["scores"], actor=signed_in(request.user)
        )
        return Response(s.QueueItemSerializer(item).data)

    @extend_schema(responses={200: s.QueueItemSerializer})
    def delete(self, request: Request, project_slug: str, pk: int, item_id: int) -> Response:
        item = gold_unmark(
            item=self.get_item(self.get_queue(pk), item_id), actor=signed_in(request.user)
        )
        return Response(s.QueueItemSerializer(item).data)


class AdjudicationNextApi(QueueScopedMixin, APIView):
    """The next contested item waiting for adjudication (``after``: continue past an item)."""

    read_role = Role.ADJUDICATOR
    write_role = Role.ADJUDICATOR

    @extend_schema(
        request=s.AdjudicationNextSerializer, responses={200: r.AdjudicationNextResultSerializer}
    )
    def post(self, request: Request, project_slug: str, pk: int) -> Response:
        queue = self.get_queue(pk)
        data = s.AdjudicationNextSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        candidates = adjudication_candidates(queue=queue)
        remaining = candidates.count()
        after = data.validated_data["after"]
        if after:
            current = (
                QueueItem.objects.filter(queue=queue, pk=after)
                .values_list("position", flat=True)
                .first()
            )
            if current is not None:
                candidates = candidates.filter(position__gt=current)
        item = candidates.first()
        if item is None:
            return Response({"next": None, "remaining": remaining})
        item = item_for_rating(item_id=item.pk, queue=queue)
        assert item is not None
        return Response({"next": _review_payload(item), "remaining": remaining})


class AdjudicateApi(QueueScopedMixin, APIView):
    """Record the final scores of an item (leads and adjudicators); changing them is kept."""

    write_role = Role.ADJUDICATOR

    @extend_schema(request=s.ScoresSerializer, responses={200: r.AdjudicatedSerializer})
    def post(self, request: Request, project_slug: str, pk: int, item_id: int) -> Response:
        item = self.get_item(self.get_queue(pk), item_id)
        data = s.ScoresSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        adjudication = adjudication_record(
            item=item,
            adjudicator=signed_in(request.user),
            scores=data.validated_data["scores"],
            note=data.validated_data["note"],
        )
        return Response(
            {
                "item": item.pk,
                "scores": adjudication.scores,
                "note": adjudication.note,
                "adjudicator": request.user.get_username(),
            }
        )
