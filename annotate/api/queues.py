"""Queue endpoints: list, create (from ids, a prompt version or a filter), read, change, add."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.api.base import QueueScopedMixin
from annotate.api.responses import ItemsAddedSerializer
from annotate.api.review import QueueItemListApi
from annotate.models import Queue, QueueOrder
from annotate.selectors.builder import OutputChoice, output_ids_chosen, output_ids_missing
from annotate.selectors.queues import queue_list_for_user
from annotate.serializers import MAX_LEASE_SECONDS, QueueUpdateSerializer
from annotate.services.queues import (
    MAX_SEED,
    queue_add_outputs,
    queue_change_rubric_version,
    queue_create,
    queue_update,
)
from annotate.services.queues_state import ACTIONS, queue_transition, queue_writable_check
from llmops_core.api.fields import TextBoxField, column_integer
from llmops_core.api.outputs import output_filter_from_json
from llmops_core.api.schema import ApiErrorSerializer
from llmops_core.api.views import ProjectScopedMixin
from llmops_core.models import Project, RubricVersion
from llmops_core.permissions import signed_in
from llmops_core.selectors.outputs import output_ids_for_filter

# Bounded ids: a huge number is a 400, not an overflow in the database driver.
MAX_ID = 2**63 - 1
MAX_LISTED = 10_000


class QueueSerializer(serializers.ModelSerializer[Queue]):
    rubric = serializers.CharField(source="rubric_version.rubric.name", read_only=True)
    rubric_version = serializers.IntegerField(source="rubric_version.number", read_only=True)

    class Meta:
        model = Queue
        fields = [
            "id",
            "name",
            "rubric",
            "rubric_version",
            "overlap",
            "max_overlap",
            "disagreement_threshold",
            "blind",
            "guidelines",
            "lease_seconds",
            "gold_every",
            "status",
            "archived_at",
            "order",
            "seed",
            "item_count",
            "complete_count",
            "review_count",
            "gold_count",
            "created_at",
        ]


class OutputChoiceSerializer(serializers.Serializer[Any]):
    """Outputs by id, by prompt version (any of) OR by model (any of), OR by a filter."""

    output_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        default=list,
        max_length=MAX_LISTED,
    )
    prompt_version_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        default=list,
        max_length=MAX_LISTED,
        help_text="Every output of any of these prompt versions.",
    )
    models = serializers.ListField(
        child=serializers.CharField(max_length=200),
        default=list,
        max_length=MAX_LISTED,
        help_text="Every output of any of these models (OR with the versions and ids).",
    )


def filter_field() -> serializers.DictField:
    """Return the ``filter`` field: the outputs list's parameters as an object."""
    return serializers.DictField(
        required=False,
        allow_null=True,
        default=None,
        help_text=(
            "Add every output matching the outputs list's filter, its query parameters as an "
            'object: {"prompt_version_id": [3, 4], "model": ["m1"], "rated": "no", '
            '"queue": ["none"], "judge_criterion": "fluency", "judge_max": 2, ...}; '
            "{} takes every output of the project."
        ),
    )


class QueueSettingsSerializer(serializers.Serializer[Any]):
    """A new queue's name and design, shared by queue and calibration-queue creation.

    Subclasses declare ``rubric_version_id`` and ``overlap`` (their defaults differ).
    """

    name = serializers.CharField(max_length=200)
    max_overlap = serializers.IntegerField(
        min_value=1, max_value=50, required=False, allow_null=True, default=None
    )
    disagreement_threshold = column_integer(
        Queue, "disagreement_threshold", min_value=1, required=False, allow_null=True, default=None
    )
    blind = serializers.BooleanField(default=True)
    guidelines = TextBoxField(allow_blank=True, default="")
    lease_seconds = column_integer(
        Queue, "lease_seconds", min_value=10, max_value=MAX_LEASE_SECONDS, default=900
    )
    gold_every = column_integer(Queue, "gold_every", min_value=2, default=10)
    seed = serializers.IntegerField(
        min_value=0, max_value=MAX_SEED, required=False, allow_null=True, default=None
    )
    reviewers = serializers.ListField(child=serializers.CharField(), default=list)


class QueueWriteSerializer(QueueSettingsSerializer, OutputChoiceSerializer):
    rubric_version_id = serializers.IntegerField()
    overlap = serializers.IntegerField(min_value=1, max_value=50, default=3)
    order = serializers.ChoiceField(QueueOrder.choices, default=QueueOrder.RANDOM)
    prompt_version_id = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=MAX_ID
    )
    filter = filter_field()


class AddItemsSerializer(OutputChoiceSerializer):
    prompt_version_id = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=MAX_ID
    )
    filter = filter_field()


def _output_ids(
    project: Project, user: User, data: dict[str, Any], *, required: bool = False
) -> list[int]:
    """Return the outputs chosen by ids, versions, models, prompt version and/or filter.

    Any of them takes an output (OR); a filter's own fields must all match (AND), and an empty
    filter ``{}`` takes every output. When ``required``, choosing nothing, or choosing outputs
    that match none, is a 400: a queue is not made empty by mistake.
    """
    choice = OutputChoice(
        version_ids=tuple(data["prompt_version_ids"])
        + ((data["prompt_version_id"],) if data.get("prompt_version_id") else ()),
        model_names=tuple(data["models"]),
        output_ids=tuple(data["output_ids"]),
    )
    chosen = data.get("filter")
    if required and not choice and chosen is None:
        raise ValidationError(
            {
                "output_ids": [
                    "choose the queue's outputs: give output_ids, prompt_version_ids, models or "
                    "filter (an empty filter {} takes every output of the project)"
                ]
            }
        )
    missing = output_ids_missing(project=project, output_ids=choice.output_ids)
    if missing:
        raise ValidationError({"output_ids": f"no output of this project has id {missing[:10]}"})
    ids = output_ids_chosen(project=project, choice=choice)
    if chosen is not None:
        flt = output_filter_from_json(project=project, user=user, value=chosen)
        ids += output_ids_for_filter(project=project, flt=flt)
    if required and not ids:
        given = [
            name
            for name in (
                "output_ids",
                "prompt_version_ids",
                "prompt_version_id",
                "models",
                "filter",
            )
            if data.get(name) not in (None, [], ())
        ] or ["filter"]
        verb = "matches" if len(given) == 1 else "match"
        raise ValidationError(
            {
                given[-1]: [
                    f"the {' and '.join(given)} {verb} no outputs: a queue needs at least one"
                ]
            }
        )
    return ids


class QueueListApi(ProjectScopedMixin, generics.ListAPIView[Queue]):
    """List queues (reviewers see the ones they are assigned to); create one (leads)."""

    serializer_class = QueueSerializer
    model = Queue

    def get_project_queryset(self) -> QuerySet[Queue]:
        """The queues the user sees; archived ones only (and only they) with ``?archived=true``."""
        user = signed_in(self.request.user)
        archived = self.request.query_params.get("archived", "") in ("1", "true")
        queues = queue_list_for_user(user=user, project=self.project)
        return queues.filter(archived_at__isnull=not archived).order_by("-id")

    @extend_schema(request=QueueWriteSerializer, responses=QueueSerializer)
    def post(self, request: Request, project_slug: str) -> Response:
        data = QueueWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        rubric_version = RubricVersion.objects.filter(
            pk=v["rubric_version_id"], rubric__project=self.project
        ).first()
        if rubric_version is None:
            raise ValidationError({"rubric_version_id": "no such rubric version in this project"})
        users = list(get_user_model().objects.filter(username__in=v["reviewers"]))
        unknown = set(v["reviewers"]) - {u.get_username() for u in users}
        if unknown:
            raise ValidationError({"reviewers": f"unknown users: {', '.join(sorted(unknown))}"})
        queue = queue_create(
            project=self.project,
            name=v["name"],
            rubric_version=rubric_version,
            overlap=v["overlap"],
            max_overlap=v["max_overlap"],
            disagreement_threshold=v["disagreement_threshold"],
            blind=v["blind"],
            guidelines=v["guidelines"],
            lease_seconds=v["lease_seconds"],
            gold_every=v["gold_every"],
            order=v["order"],
            seed=v["seed"],
            reviewers=users,
            output_ids=_output_ids(self.project, signed_in(request.user), v, required=True),
            created_by=signed_in(request.user),
        )
        queue.refresh_from_db()
        return Response(QueueSerializer(queue).data, status=status.HTTP_201_CREATED)


class QueueDetailApi(QueueScopedMixin, APIView):
    """Read a queue (its reviewers, adjudicators, leads); change its settings (leads)."""

    @extend_schema(responses=QueueSerializer)
    def get(self, request: Request, project_slug: str, pk: int) -> Response:
        return Response(QueueSerializer(self.get_queue(pk)).data)

    @extend_schema(
        request=QueueUpdateSerializer, responses={200: QueueSerializer, 409: ApiErrorSerializer}
    )
    def patch(self, request: Request, project_slug: str, pk: int) -> Response:
        queue = self.get_queue(pk)
        data = QueueUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        queue_writable_check(queue=queue)
        changes = dict(data.validated_data)
        version_id = changes.pop("rubric_version_id", None)
        if version_id is not None and version_id != queue.rubric_version_id:
            version = RubricVersion.objects.filter(
                pk=version_id, rubric__project=self.project
            ).first()
            if version is None:
                raise ValidationError({"rubric_version_id": "no such rubric version here"})
            queue = queue_change_rubric_version(
                queue=queue, rubric_version=version, actor=signed_in(request.user)
            )
        if changes:
            queue = queue_update(queue=queue, changes=changes, actor=signed_in(request.user))
        return Response(QueueSerializer(queue).data)


class QueueItemsApi(QueueItemListApi):
    """List the queue's items (leads); add outputs by ids, prompt version or filter (leads).

    Outputs already in the queue are skipped, so adding is safe to repeat.
    """

    @extend_schema(
        request=AddItemsSerializer, responses={200: ItemsAddedSerializer, 409: ApiErrorSerializer}
    )
    def post(self, request: Request, project_slug: str, pk: int) -> Response:
        queue = self.get_queue(pk)
        data = AddItemsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        added = queue_add_outputs(
            queue=queue,
            output_ids=_output_ids(self.project, signed_in(request.user), data.validated_data),
        )
        return Response({"added": added, "item_count": queue.item_count})


class QueueStateSerializer(serializers.Serializer[Any]):
    action = serializers.ChoiceField(
        ACTIONS,
        help_text=(
            "pause; open (resume or reopen); close (no new claims, held items may be "
            "finished); archive (closed, read-only, left out of lists); unarchive."
        ),
    )


class QueueStateApi(QueueScopedMixin, APIView):
    """Pause, reopen, close, archive or unarchive a queue (leads); 409 when its state refuses."""

    @extend_schema(
        request=QueueStateSerializer, responses={200: QueueSerializer, 409: ApiErrorSerializer}
    )
    def post(self, request: Request, project_slug: str, pk: int) -> Response:
        queue = self.get_queue(pk)
        data = QueueStateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        queue = queue_transition(
            queue=queue, action=data.validated_data["action"], actor=signed_in(request.user)
        )
        return Response(QueueSerializer(queue).data)
