"""REST endpoints of the prompt release loop: scorecards, comparisons, the gate, promotions.

Leads and admins read and request reports and promote; only admins override a failing gate or
change its rules (reviewers get 403, non-members 404). Reports are computed by Celery: a POST
answers 202 with the report row, which the client polls at ``version-reports/{id}/``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from llmops_core.api.fields import TextBoxField
from llmops_core.api.views import ProjectScopedMixin
from llmops_core.models import Promotion, PromptTemplate, PromptVersion, Report, ReportKind, Role
from llmops_core.permissions import signed_in
from llmops_core.selectors.prompts import (
    label_version,
    promotion_get,
    promotion_list,
    template_history,
    template_version_get,
)
from llmops_core.selectors.rubrics import rubric_criteria_scales
from llmops_core.selectors.versions import (
    version_report_get,
    version_report_latest,
)
from llmops_core.services.comparisons import comparison_request
from llmops_core.services.gates import (
    gate_evaluate,
    gate_rules_check,
    gate_rules_for,
    release_gate_update,
)
from llmops_core.services.promotion import prompt_promote
from llmops_core.services.scorecards import scorecard_request


class VersionReportSerializer(serializers.ModelSerializer[Report]):
    candidate = serializers.IntegerField(source="subject_version.number", read_only=True)
    baseline = serializers.IntegerField(
        source="baseline_version.number", read_only=True, allow_null=True, default=None
    )
    results = serializers.DictField(read_only=True)
    snapshot_counts = serializers.DictField(read_only=True)

    class Meta:
        model = Report
        fields = [
            "id",
            "kind",
            "title",
            "status",
            "progress",
            "error",
            "candidate",
            "baseline",
            "parameters",
            "snapshot_hash",
            "snapshot_counts",
            "results",
            "created_at",
            "started_at",
            "finished_at",
        ]


class ComparisonRequestSerializer(serializers.Serializer[Any]):
    baseline = serializers.IntegerField(
        required=False, min_value=1, help_text="Version number; default: production."
    )


class GateCheckSerializer(serializers.Serializer[Any]):
    rule = serializers.DictField()
    passed = serializers.BooleanField()
    applies = serializers.BooleanField()
    message = serializers.CharField()
    evidence = serializers.DictField()


class GateResultSerializer(serializers.Serializer[Any]):
    passed = serializers.BooleanField()
    checks = GateCheckSerializer(many=True)
    comparison_id = serializers.IntegerField(allow_null=True)
    scorecard_id = serializers.IntegerField(allow_null=True)
    rules = serializers.ListField(child=serializers.DictField())
    default_rules = serializers.BooleanField()


class PromoteSerializer(serializers.Serializer[Any]):
    label = serializers.SlugField(required=False, default="production")  # type: ignore[assignment]
    override_reason = TextBoxField(required=False, allow_blank=True, default="", max_length=5000)


class PromotionSerializer(serializers.ModelSerializer[Promotion]):
    template = serializers.CharField(source="template.name", read_only=True)
    actor = serializers.CharField(
        source="actor.username", read_only=True, allow_null=True, default=None
    )
    from_version = serializers.IntegerField(
        source="from_version.number", read_only=True, allow_null=True, default=None
    )
    to_version = serializers.IntegerField(source="to_version.number", read_only=True)

    class Meta:
        model = Promotion
        fields = [
            "id",
            "template",
            "label",
            "from_version",
            "to_version",
            "actor",
            "gate_passed",
            "override_reason",
            "created_at",
        ]


class PromotionDetailSerializer(PromotionSerializer):
    gate_result = serializers.DictField(read_only=True)
    evidence = serializers.DictField(read_only=True)

    class Meta(PromotionSerializer.Meta):
        fields = [*PromotionSerializer.Meta.fields, "gate_result", "evidence"]


class HistoryVersionSerializer(serializers.Serializer[Any]):
    number = serializers.IntegerField(source="version.number")
    parent = serializers.IntegerField(  # type: ignore[assignment]
        source="version.parent.number", allow_null=True, default=None
    )
    note = serializers.CharField(source="version.note")
    model_name = serializers.CharField(source="version.model_name")
    content_hash = serializers.CharField(source="version.content_hash")
    created_at = serializers.DateTimeField(source="version.created_at")
    labels = serializers.ListField(child=serializers.CharField())
    scorecard_id = serializers.IntegerField(source="scorecard.pk", allow_null=True, default=None)
    means = serializers.DictField(child=serializers.FloatField(allow_null=True))
    diff = serializers.ListField(child=serializers.DictField())


class HistorySerializer(serializers.Serializer[Any]):
    versions = HistoryVersionSerializer(many=True)
    promotions = PromotionSerializer(many=True)


class GateRulesSerializer(serializers.Serializer[Any]):
    """The gate's rules, checked against the project's rubric (``context["scales"]``)."""

    rules = serializers.ListField(child=serializers.DictField())
    default_rules = serializers.BooleanField(read_only=True)

    def validate_rules(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        cleaned, problems = gate_rules_check(value, scales=self.context["scales"])
        if problems:
            raise serializers.ValidationError([str(p) for p in problems])
        return cleaned


class VersionScopedMixin(ProjectScopedMixin):
    read_role = Role.LEAD
    write_role = Role.LEAD
    kwargs: dict[str, Any]

    def get_template(self) -> PromptTemplate:
        return get_object_or_404(PromptTemplate, project=self.project, name=self.kwargs["name"])

    def get_version(self, number: int | None = None) -> PromptVersion:
        version = template_version_get(
            template=self.get_template(), number=number or self.kwargs["number"]
        )
        if version is None:
            raise NotFound(
                f'prompt "{self.kwargs["name"]}" has no version {number or self.kwargs["number"]}'
            )
        return version


def _report_or_404(report: Report | None, what: str) -> Response:
    if report is None:
        raise NotFound(f"no {what} has been computed yet; POST to request one")
    return Response(VersionReportSerializer(report).data)


class ScorecardApi(VersionScopedMixin, APIView):
    """Read the version's latest scorecard; POST to recompute it (202, poll the report)."""

    @extend_schema(responses=VersionReportSerializer)
    def get(self, request: Request, project_slug: str, name: str, number: int) -> Response:
        report = version_report_latest(version=self.get_version(), kind=ReportKind.SCORECARD)
        return _report_or_404(report, "scorecard")

    @extend_schema(request=None, responses={202: VersionReportSerializer})
    def post(self, request: Request, project_slug: str, name: str, number: int) -> Response:
        report, _ = scorecard_request(version=self.get_version(), requested_by=request.user)
        return Response(VersionReportSerializer(report).data, status=status.HTTP_202_ACCEPTED)


class ComparisonApi(VersionScopedMixin, APIView):
    """Read the latest comparison with ``?baseline=N`` (default production); POST to compute."""

    @extend_schema(
        parameters=[OpenApiParameter("baseline", OpenApiTypes.INT)],
        responses=VersionReportSerializer,
    )
    def get(self, request: Request, project_slug: str, name: str, number: int) -> Response:
        query = ComparisonRequestSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        baseline = (
            self.get_version(query.validated_data["baseline"])
            if "baseline" in query.validated_data
            else label_version(template=self.get_template())
        )
        if baseline is None:
            raise NotFound("there is no production version; give ?baseline=N")
        report = version_report_latest(
            version=self.get_version(), kind=ReportKind.VERSION_COMPARISON, baseline=baseline
        )
        return _report_or_404(report, "comparison")

    @extend_schema(request=ComparisonRequestSerializer, responses={202: VersionReportSerializer})
    def post(self, request: Request, project_slug: str, name: str, number: int) -> Response:
        data = ComparisonRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        number_b = data.validated_data.get("baseline")
        report, _ = comparison_request(
            candidate=self.get_version(),
            baseline=self.get_version(number_b) if number_b else None,
            requested_by=request.user,
        )
        return Response(VersionReportSerializer(report).data, status=status.HTTP_202_ACCEPTED)


class GateApi(VersionScopedMixin, APIView):
    """Check the version against the project's release gate (every check with its evidence)."""

    @extend_schema(responses=GateResultSerializer)
    def get(self, request: Request, project_slug: str, name: str, number: int) -> Response:
        return Response(
            GateResultSerializer(gate_evaluate(version=self.get_version()).as_dict()).data
        )


class PromoteApi(VersionScopedMixin, APIView):
    """Move a label (default production) to the version through the gate.

    A failing gate answers 400 with ``reasons`` (each in words, naming the rule that failed);
    admins may override with ``override_reason``. The first promotion is gated too.
    """

    @extend_schema(request=PromoteSerializer, responses={201: PromotionDetailSerializer})
    def post(self, request: Request, project_slug: str, name: str, number: int) -> Response:
        data = PromoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        promotion = prompt_promote(
            version=self.get_version(), actor=signed_in(request.user), **data.validated_data
        )
        return Response(PromotionDetailSerializer(promotion).data, status=status.HTTP_201_CREATED)


class TemplateHistoryApi(VersionScopedMixin, APIView):
    """Return every version with its scorecard means and diff to its parent, and label moves."""

    @extend_schema(responses=HistorySerializer)
    def get(self, request: Request, project_slug: str, name: str) -> Response:
        history = template_history(template=self.get_template())
        return Response(HistorySerializer(history).data)


class PromotionListApi(VersionScopedMixin, generics.ListAPIView[Any]):
    """List the template's label moves, newest first (who, when, gate verdict, override)."""

    model = Promotion
    serializer_class = PromotionSerializer

    def get_project_queryset(self) -> QuerySet[Any]:
        return promotion_list(template=self.get_template()).select_related("template")


class PromotionDetailApi(VersionScopedMixin, APIView):
    """Read one promotion with its gate result and the evidence frozen when it happened."""

    @extend_schema(responses=PromotionDetailSerializer)
    def get(self, request: Request, project_slug: str, pk: int) -> Response:
        promotion = promotion_get(project=self.project, pk=pk)
        if promotion is None:
            raise NotFound("No such promotion.")
        return Response(PromotionDetailSerializer(promotion).data)


class VersionReportApi(VersionScopedMixin, APIView):
    """Poll a scorecard or comparison report by id."""

    @extend_schema(responses=VersionReportSerializer)
    def get(self, request: Request, project_slug: str, pk: int) -> Response:
        report = version_report_get(project=self.project, pk=pk)
        if report is None:
            raise NotFound("No such report.")
        return Response(VersionReportSerializer(report).data)


class GateRulesApi(VersionScopedMixin, APIView):
    """Read the project's release gate rules (leads); replace them (admins)."""

    write_role = Role.ADMIN

    @extend_schema(responses=GateRulesSerializer)
    def get(self, request: Request, project_slug: str) -> Response:
        rules, default = gate_rules_for(project=self.project)
        return Response({"rules": rules, "default_rules": default})

    @extend_schema(request=GateRulesSerializer, responses=GateRulesSerializer)
    def put(self, request: Request, project_slug: str) -> Response:
        scales = rubric_criteria_scales(project=self.project)
        data = GateRulesSerializer(data=request.data, context={"scales": scales})
        data.is_valid(raise_exception=True)
        gate = release_gate_update(
            project=self.project, rules=data.validated_data["rules"], actor=request.user
        )
        return Response({"rules": gate.rules, "default_rules": False})
