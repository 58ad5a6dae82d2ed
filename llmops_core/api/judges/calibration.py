"""The judge calibration endpoint (leads): the calibration page's numbers as JSON."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from llmops_core.api.judges.views import LeadScopedMixin
from llmops_core.forms.calibration import CalibrationChoiceForm
from llmops_core.selectors.judge_calibration import judge_calibration_curves
from llmops_core.selectors.judge_frames import judge_label
from llmops_core.selectors.judges import judge_get

PARAMETERS = [
    OpenApiParameter("version", int, description="Judge version number; default the newest."),
    OpenApiParameter("prompt_version", int, description="Only this prompt version's outputs."),
    OpenApiParameter("criterion", str, description="One criterion; default every one."),
    OpenApiParameter("top", int, description="Largest residuals listed, 1-100 (default 20)."),
]


class LevelSerializer(serializers.Serializer[Any]):
    judge_low = serializers.FloatField()
    judge_high = serializers.FloatField()
    n_judged = serializers.IntegerField()
    n_rated = serializers.IntegerField()
    human_mean = serializers.FloatField(allow_null=True)
    low = serializers.FloatField(allow_null=True)
    high = serializers.FloatField(allow_null=True)
    reason = serializers.CharField(allow_null=True)


class ResidualSerializer(serializers.Serializer[Any]):
    output_id = serializers.IntegerField()
    judge = serializers.FloatField()
    human = serializers.FloatField(help_text="The mean of the output's human ratings.")
    reviewers = serializers.IntegerField()
    residual = serializers.FloatField(help_text="Human label minus judge score.")


class MeanResidualSerializer(serializers.Serializer[Any]):
    mean = serializers.FloatField(allow_null=True)
    low = serializers.FloatField(allow_null=True)
    high = serializers.FloatField(allow_null=True)
    n = serializers.IntegerField()
    se = serializers.FloatField(allow_null=True)
    reason = serializers.CharField(allow_null=True)


class CriterionCalibrationSerializer(serializers.Serializer[Any]):
    criterion = serializers.CharField()
    scale = serializers.ListField(child=serializers.IntegerField(), allow_null=True)
    n_judged = serializers.IntegerField()
    n_rated = serializers.IntegerField()
    levels = LevelSerializer(many=True)
    binned = serializers.BooleanField()
    mean_residual = MeanResidualSerializer()
    residuals = ResidualSerializer(many=True)
    confidence = serializers.FloatField()


class JudgeCalibrationSerializer(serializers.Serializer[Any]):
    judge = serializers.CharField()
    judge_version = serializers.IntegerField()
    judge_label = serializers.CharField()
    prompt_version_id = serializers.IntegerField(allow_null=True)
    criteria = serializers.DictField(child=CriterionCalibrationSerializer())


class JudgeCalibrationApi(LeadScopedMixin, APIView):
    """A judge version's calibration per criterion: the curve with counts, the bias and the
    largest residuals (human label minus judge score), each naming its output."""

    @extend_schema(parameters=PARAMETERS, responses=JudgeCalibrationSerializer)
    def get(self, request: Request, project_slug: str, name: str) -> Response:
        judge = judge_get(project=self.project, name=name)
        if judge is None:
            raise NotFound("no such judge")
        form = CalibrationChoiceForm(request.query_params, judge=judge)
        if not form.is_valid():
            raise ValidationError({k: [str(e) for e in v] for k, v in form.errors.items()})
        data = form.cleaned_data
        chosen = data["prompt_version_obj"]
        curves = judge_calibration_curves(
            project=self.project,
            judge_version=data["judge_version"],
            criteria=data["criteria"],
            prompt_version_id=chosen.pk if chosen else None,
            top=data["top"],
        )
        return Response(
            {
                "judge": judge.name,
                "judge_version": data["judge_version"].number,
                "judge_label": judge_label(data["judge_version"]),
                "prompt_version_id": chosen.pk if chosen else None,
                "criteria": {entry.criterion: entry.as_dict() for entry in curves},
            }
        )
