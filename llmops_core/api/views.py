"""REST endpoints of the LLMOps core: projects, members, prompts, outputs, imports, rubrics."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from llmops_core.api import serializers as s
from llmops_core.api.import_results import import_result_data, query_flag
from llmops_core.api.outputs import FILTER_PARAMETERS, output_filter_from_params
from llmops_core.api.pagination import KeysetPagination
from llmops_core.api.parsers import CSVParser, JSONLinesParser, JSONLParser, RawJSONParser
from llmops_core.errors import DomainError
from llmops_core.models import (
    ImportFormat,
    ImportJob,
    Membership,
    ModelOutput,
    Project,
    PromptTemplate,
    PromptVersion,
    Role,
)
from llmops_core.permissions import ProjectRolePermission, project_create_allowed, signed_in
from llmops_core.selectors.outputs import outputs_filter
from llmops_core.selectors.projects import (
    import_job_list,
    membership_list,
    output_list,
    project_list_for_user,
    prompt_template_list,
    prompt_version_by_label,
    prompt_version_list,
)
from llmops_core.services.import_jobs import import_bytes, import_job_create, import_job_enqueue
from llmops_core.services.projects import membership_set, project_create
from llmops_core.services.promotion import prompt_promote

if TYPE_CHECKING:
    from rest_framework.permissions import _PermissionClass
from llmops_core.services.prompts import prompt_template_create, prompt_version_create


class ProjectScopedMixin:
    """Resolve ``project_slug`` from the URL and check the role (404 for non-members).

    List views implement ``get_project_queryset``; during OpenAPI schema generation there is
    no request or project, so ``get_queryset`` then returns an empty queryset of ``model``.
    """

    permission_classes: Sequence[_PermissionClass] = [ProjectRolePermission]
    read_role: str = Role.REVIEWER
    write_role: str = Role.LEAD
    project: Project
    role: str
    model: type[Any] | None = None

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            assert self.model is not None, f"{type(self).__name__} must set model"
            return self.model.objects.none()
        return self.get_project_queryset()

    def get_project_queryset(self) -> QuerySet[Any]:
        raise NotImplementedError


class ProjectListApi(generics.ListCreateAPIView[Project]):
    """List your projects; create one (staff, or anyone if allowed; the creator is its admin)."""

    serializer_class = s.ProjectSerializer

    def get_queryset(self) -> QuerySet[Project]:
        return project_list_for_user(user=self.request.user).order_by("slug")

    def perform_create(self, serializer: serializers.BaseSerializer[Project]) -> None:
        if not project_create_allowed(self.request.user):
            raise PermissionDenied("only staff users create projects (PROJECT_CREATE_ALLOWED)")
        data = serializer.validated_data
        serializer.instance = project_create(
            name=data["name"],
            slug=data.get("slug"),
            description=data.get("description", ""),
            created_by=signed_in(self.request.user),
        )


class ProjectDetailApi(ProjectScopedMixin, APIView):
    @extend_schema(responses=s.ProjectSerializer)
    def get(self, request: Request, project_slug: str) -> Response:
        return Response(s.ProjectSerializer(self.project).data)


class MembershipListApi(ProjectScopedMixin, generics.ListAPIView[Any]):
    """List members (leads); set a member's role (admins)."""

    model = Membership
    serializer_class = s.MembershipSerializer
    read_role = Role.LEAD
    write_role = Role.ADMIN

    def get_project_queryset(self) -> QuerySet[Any]:
        return membership_list(project=self.project)

    @extend_schema(request=s.MembershipWriteSerializer, responses=s.MembershipSerializer)
    def post(self, request: Request, project_slug: str) -> Response:
        data = s.MembershipWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = get_user_model().objects.filter(username=data.validated_data["username"]).first()
        if user is None:
            raise ValidationError({"username": "no such user"})
        membership = membership_set(
            project=self.project,
            user=user,
            role=data.validated_data["role"],
            actor=signed_in(request.user),
        )
        return Response(s.MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)


class PromptTemplateListApi(ProjectScopedMixin, generics.ListCreateAPIView[PromptTemplate]):
    model = PromptTemplate
    serializer_class = s.PromptTemplateSerializer
    read_role = Role.LEAD

    def get_project_queryset(self) -> QuerySet[PromptTemplate]:
        return prompt_template_list(project=self.project).order_by("name")

    def perform_create(self, serializer: serializers.BaseSerializer[PromptTemplate]) -> None:
        data = serializer.validated_data
        serializer.instance = prompt_template_create(
            project=self.project, name=data["name"], description=data.get("description", "")
        )


class TemplateScopedMixin(ProjectScopedMixin):
    read_role = Role.LEAD
    kwargs: dict[str, Any]

    def get_template(self) -> PromptTemplate:
        return get_object_or_404(PromptTemplate, project=self.project, name=self.kwargs["name"])


class PromptVersionListApi(TemplateScopedMixin, generics.ListAPIView[Any]):
    """List a template's versions (``?label=production`` narrows to that one); create one."""

    model = PromptVersion
    serializer_class = s.PromptVersionSerializer

    @extend_schema(parameters=[OpenApiParameter("label", OpenApiTypes.STR)])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_project_queryset(self) -> QuerySet[Any]:
        qs = prompt_version_list(template=self.get_template()).order_by("-number")
        label = self.request.query_params.get("label")
        return qs.filter(labels__name=label.lower()) if label else qs

    @extend_schema(
        request=s.PromptVersionWriteSerializer,
        responses={200: s.PromptVersionSerializer, 201: s.PromptVersionSerializer},
    )
    def post(self, request: Request, project_slug: str, name: str) -> Response:
        data = s.PromptVersionWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version, created = prompt_version_create(
            template=self.get_template(), created_by=signed_in(request.user), **data.validated_data
        )
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(s.PromptVersionSerializer(version).data, status=code)


class PromptVersionDetailApi(TemplateScopedMixin, APIView):
    @extend_schema(responses=s.PromptVersionSerializer)
    def get(self, request: Request, project_slug: str, name: str, number: int) -> Response:
        version = get_object_or_404(
            prompt_version_list(template=self.get_template()), number=number
        )
        return Response(s.PromptVersionSerializer(version).data)


class PromptLabelApi(TemplateScopedMixin, APIView):
    """Read the version a label points at; move the label.

    Moving ``production`` goes through the release gate (refused with reasons unless an admin
    overrides with ``override_reason``); other labels move freely. Leads and admins only.
    """

    write_role = Role.LEAD

    @extend_schema(responses=s.PromptVersionSerializer)
    def get(self, request: Request, project_slug: str, name: str, label: str) -> Response:
        version = prompt_version_by_label(template=self.get_template(), label=label)
        if version is None:
            raise NotFound(f'prompt "{name}" has no label "{label}"')
        return Response(s.PromptVersionSerializer(version).data)

    @extend_schema(request=s.LabelWriteSerializer, responses=s.PromptVersionSerializer)
    def put(self, request: Request, project_slug: str, name: str, label: str) -> Response:
        data = s.LabelWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        template = self.get_template()
        version = get_object_or_404(template.versions, number=data.validated_data["version"])
        prompt_promote(
            version=version,
            actor=signed_in(request.user),
            label=label,
            override_reason=data.validated_data["override_reason"],
        )
        return Response(s.PromptVersionSerializer(version).data)


IMPORT_BODY_FORMATS = {
    "application/x-ndjson": ImportFormat.JSONL,
    "application/jsonl": ImportFormat.JSONL,
    "text/csv": ImportFormat.CSV,
}


class OutputListApi(ProjectScopedMixin, generics.ListAPIView[Any]):
    """List outputs (keyset pages) matching the outputs filter, the outputs page's parameters.

    POST one JSON object, a JSON array (bulk), a JSON Lines body (``application/x-ndjson``)
    or CSV (``text/csv``). ``?partial=1`` imports the good rows and reports the bad ones;
    otherwise any bad row rejects the whole body with 400 and every row's error (repeats of
    one error as row ranges). ``?create_prompts=1`` creates the prompt templates and versions
    rows name but the project lacks. The answer lists each row's output id in row order (or,
    past a thousand, links to them).
    """

    model = ModelOutput
    serializer_class = s.ModelOutputSerializer
    pagination_class = KeysetPagination
    read_role = Role.LEAD
    parser_classes = [RawJSONParser, JSONLinesParser, JSONLParser, CSVParser]

    @extend_schema(parameters=FILTER_PARAMETERS)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_project_queryset(self) -> QuerySet[Any]:
        flt = output_filter_from_params(
            project=self.project,
            user=signed_in(self.request.user),
            params=self.request.query_params,
        )
        return outputs_filter(project=self.project, flt=flt)

    @extend_schema(
        request={
            "application/json": OpenApiTypes.OBJECT,
            "application/x-ndjson": OpenApiTypes.BINARY,
        },
        parameters=[
            OpenApiParameter("partial", OpenApiTypes.BOOL),
            OpenApiParameter("create_prompts", OpenApiTypes.BOOL),
        ],
        responses={201: s.ImportResultSerializer, 400: s.ImportRejectionSerializer},
    )
    def post(self, request: Request, project_slug: str) -> Response:
        body = request.data
        if not isinstance(body, bytes) or not body.strip():
            raise ValidationError(
                "the request body is empty: send a JSON object, a JSON array, JSON Lines "
                "(application/x-ndjson) or CSV (text/csv)"
            )
        if len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            raise ValidationError("body too large: upload the file to the imports endpoint")
        media = (request.content_type or "").split(";")[0].strip()
        fmt = IMPORT_BODY_FORMATS.get(media)
        if fmt is None:
            # JSON goes through the streaming array reader, one bounded element at a time.
            body = body.removeprefix(b"\xef\xbb\xbf")
            if body.lstrip().startswith(b"{"):
                body = b"[" + body + b"]"
            fmt = ImportFormat.JSON
        partial = query_flag(request, "partial")
        create_prompts = query_flag(request, "create_prompts")
        job, result = import_bytes(
            project=self.project,
            created_by=request.user,
            data=body,
            fmt=fmt,
            partial=partial,
            create_prompts=create_prompts,
            source="api",
        )
        data = import_result_data(job, result)
        code = status.HTTP_400_BAD_REQUEST if result.rejected else status.HTTP_201_CREATED
        return Response(data, status=code)


class OutputDetailApi(ProjectScopedMixin, APIView):
    read_role = Role.LEAD

    @extend_schema(responses=s.ModelOutputSerializer)
    def get(self, request: Request, project_slug: str, pk: int) -> Response:
        output = get_object_or_404(output_list(project=self.project), pk=pk)
        return Response(s.ModelOutputSerializer(output).data)


class ImportJobListApi(ProjectScopedMixin, generics.ListAPIView[Any]):
    """List import jobs; upload a file (multipart ``file``) to import it in the background."""

    model = ImportJob
    serializer_class = s.ImportJobSerializer
    read_role = Role.LEAD
    parser_classes = [MultiPartParser, FormParser]

    def get_project_queryset(self) -> QuerySet[Any]:
        return import_job_list(project=self.project)

    @extend_schema(request=s.ImportUploadSerializer, responses={202: s.ImportJobSerializer})
    def post(self, request: Request, project_slug: str) -> Response:
        data = s.ImportUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        if upload.size > settings.IMPORT_MAX_UPLOAD_BYTES:
            raise ValidationError(
                {
                    "file": f"{upload.size} bytes is over the "
                    f"{settings.IMPORT_MAX_UPLOAD_BYTES}-byte limit"
                }
            )
        try:
            job = import_job_create(
                project=self.project,
                created_by=signed_in(request.user),
                content=upload,
                filename=upload.name,
                partial=data.validated_data["partial"],
                create_prompts=data.validated_data["create_prompts"],
                source="upload",
            )
        except DomainError as exc:
            raise ValidationError({"file": str(exc)}) from exc
        import_job_enqueue(job=job)
        return Response(s.ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class ImportJobDetailApi(ProjectScopedMixin, APIView):
    read_role = Role.LEAD

    @extend_schema(responses=s.ImportJobSerializer)
    def get(self, request: Request, project_slug: str, pk: int) -> Response:
        job = get_object_or_404(import_job_list(project=self.project), pk=pk)
        return Response(s.ImportJobSerializer(job).data)
