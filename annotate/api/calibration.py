"""Calibration queue endpoints (leads): preview a plan's forecast; draw and create the queue."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.api.queues import MAX_ID, QueueSerializer, QueueSettingsSerializer
from annotate.forms.calibration import MAX_BUDGET
from annotate.models import QueueSampling
from annotate.selectors.calibration import calibration_plan
from annotate.services.calibration import calibration_queue_create
from llmops_core.api.views import ProjectScopedMixin
from llmops_core.models import JudgeVersion, Project, PromptVersion, Role, RubricVersion
from llmops_core.permissions import signed_in
from llmops_core.selectors.judge_frames import judge_version_newest_for


class CalibrationPlanSerializer(serializers.Serializer[Any]):
    prompt_version_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    criterion = serializers.CharField(max_length=64)
    budget = serializers.IntegerField(
        min_value=1, max_value=MAX_BUDGET, help_text="N: the expected number of human ratings."
    )
    sampling = serializers.ChoiceField(
        [QueueSampling.UNIFORM, QueueSampling.ACTIVE], default=QueueSampling.UNIFORM
    )
    judge_version_id = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        default=None,
        help_text="A pointwise judge version; default: the one that last scored the version.",
    )


class CalibrationQueueSerializer(QueueSettingsSerializer, CalibrationPlanSerializer):
    rubric_version_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    overlap = serializers.IntegerField(min_value=1, max_value=50, default=1)


class WidthForecastSerializer(serializers.Serializer[Any]):
    budget = serializers.FloatField()
    human_only = serializers.FloatField(allow_null=True)
    uniform = serializers.FloatField(allow_null=True)
    active = serializers.FloatField(allow_null=True)
    uniform_share = serializers.FloatField()
    human_equivalent_uniform = serializers.FloatField(allow_null=True)
    human_equivalent_active = serializers.FloatField(allow_null=True)
    pilot = serializers.IntegerField(help_text="Human-rated outputs the forecast learns from.")
    reason = serializers.CharField(
        allow_null=True, help_text="Why the widths are undefined (null when they are not)."
    )


class CalibrationPlanOutSerializer(serializers.Serializer[Any]):
    prompt_version_id = serializers.IntegerField()
    judge_version_id = serializers.IntegerField()
    judge = serializers.CharField()
    criterion = serializers.CharField()
    frame = serializers.IntegerField(help_text="M: the version's outputs the judge scored.")
    budget = serializers.IntegerField()
    sampling = serializers.CharField()
    uniform_probability = serializers.FloatField(help_text="N / M.")
    uniform_share = serializers.FloatField(help_text="The floor of active sampling, as a share.")
    uncertainty_source = serializers.ChoiceField(["repeats", "swaps", "none"])
    uncertainty_source_text = serializers.CharField()
    forecast = WidthForecastSerializer()


class CalibrationQueueOutSerializer(QueueSerializer):
    sampling = serializers.CharField(read_only=True)
    calibrates = serializers.IntegerField(source="calibrates_id", read_only=True)
    sample_frame = serializers.IntegerField(read_only=True)

    class Meta(QueueSerializer.Meta):
        fields = [*QueueSerializer.Meta.fields, "sampling", "calibrates", "sample_frame"]


def _plan_objects(project: Project, v: dict[str, Any]) -> tuple[PromptVersion, JudgeVersion]:
    """Return the prompt version and the judge version the request names, in this project."""
    version = (
        PromptVersion.objects.filter(pk=v["prompt_version_id"], template__project=project)
        .select_related("template")
        .first()
    )
    if version is None:
        raise ValidationError({"prompt_version_id": "no such prompt version in this project"})
    if v["judge_version_id"] is None:
        judge = judge_version_newest_for(version=version, criterion=v["criterion"])
        if judge is None:
            raise ValidationError(
                {"judge_version_id": f'no judge scored this version on "{v["criterion"]}"'}
            )
        return version, judge
    judge = (
        JudgeVersion.objects.filter(pk=v["judge_version_id"], config__project=project)
        .select_related("config")
        .first()
    )
    if judge is None:
        raise ValidationError({"judge_version_id": "no such judge version in this project"})
    return version, judge


class CalibrationPreviewApi(ProjectScopedMixin, APIView):
    """The frame, the design and the forecast widths of a calibration queue (nothing written)."""

    read_role = Role.LEAD

    @extend_schema(parameters=[CalibrationPlanSerializer], responses=CalibrationPlanOutSerializer)
    def get(self, request: Request, project_slug: str) -> Response:
        data = CalibrationPlanSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        version, judge = _plan_objects(self.project, v)
        plan = calibration_plan(
            version=version,
            judge_version=judge,
            criterion=v["criterion"],
            budget=v["budget"],
            sampling=v["sampling"],
        )
        return Response(plan.as_dict())


class CalibrationQueueCreateApi(ProjectScopedMixin, APIView):
    """Draw a version's outputs at random (uniform or active) into a new queue (leads)."""

    @extend_schema(request=CalibrationQueueSerializer, responses=CalibrationQueueOutSerializer)
    def post(self, request: Request, project_slug: str) -> Response:
        data = CalibrationQueueSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        version, judge = _plan_objects(self.project, v)
        rubric_version = RubricVersion.objects.filter(
            pk=v["rubric_version_id"], rubric__project=self.project
        ).first()
        if rubric_version is None:
            raise ValidationError({"rubric_version_id": "no such rubric version in this project"})
        users = list(get_user_model().objects.filter(username__in=v["reviewers"]))
        unknown = set(v["reviewers"]) - {u.get_username() for u in users}
        if unknown:
            raise ValidationError({"reviewers": f"unknown users: {', '.join(sorted(unknown))}"})
        queue = calibration_queue_create(
            version=version,
            judge_version=judge,
            criterion=v["criterion"],
            budget=v["budget"],
            sampling=v["sampling"],
            name=v["name"],
            rubric_version=rubric_version,
            overlap=v["overlap"],
            max_overlap=v["max_overlap"],
            disagreement_threshold=v["disagreement_threshold"],
            blind=v["blind"],
            guidelines=v["guidelines"],
            lease_seconds=v["lease_seconds"],
            gold_every=v["gold_every"],
            seed=v["seed"],
            reviewers=users,
            created_by=signed_in(request.user),
        )
        return Response(CalibrationQueueOutSerializer(queue).data, status=status.HTTP_201_CREATED)
