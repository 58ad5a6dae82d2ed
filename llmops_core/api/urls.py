"""API routes."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from llmops_core.api import reports as rep
from llmops_core.api import rubrics as r
from llmops_core.api import tokens as t
from llmops_core.api import views as v

P = "projects/<slug:project_slug>/"
R = P + "reports/<int:pk>/"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("auth/token/", t.TokenObtainApi.as_view(), name="api-token"),
    path("tokens/", t.TokenListApi.as_view(), name="api-tokens"),
    path("tokens/<int:pk>/", t.TokenRevokeApi.as_view(), name="api-token-revoke"),
    path("projects/", v.ProjectListApi.as_view(), name="api-projects"),
    path(P, v.ProjectDetailApi.as_view(), name="api-project"),
    path(P + "members/", v.MembershipListApi.as_view(), name="api-members"),
    path(P + "prompts/", v.PromptTemplateListApi.as_view(), name="api-prompts"),
    path(
        P + "prompts/<slug:name>/versions/",
        v.PromptVersionListApi.as_view(),
        name="api-prompt-versions",
    ),
    path(
        P + "prompts/<slug:name>/versions/<int:number>/",
        v.PromptVersionDetailApi.as_view(),
        name="api-prompt-version",
    ),
    path(
        P + "prompts/<slug:name>/labels/<slug:label>/",
        v.PromptLabelApi.as_view(),
        name="api-prompt-label",
    ),
    path(P + "outputs/", v.OutputListApi.as_view(), name="api-outputs"),
    path(P + "outputs/<int:pk>/", v.OutputDetailApi.as_view(), name="api-output"),
    path(P + "imports/", v.ImportJobListApi.as_view(), name="api-imports"),
    path(P + "imports/<int:pk>/", v.ImportJobDetailApi.as_view(), name="api-import"),
    path(P + "rubrics/", r.RubricListApi.as_view(), name="api-rubrics"),
    path(
        P + "rubrics/<int:pk>/versions/",
        r.RubricVersionCreateApi.as_view(),
        name="api-rubric-versions",
    ),
    path(P + "reports/", rep.ReportListApi.as_view(), name="api-reports"),
    path(R, rep.ReportDetailApi.as_view(), name="api-report"),
    path(R + "retry/", rep.ReportRetryApi.as_view(), name="api-report-retry"),
    path(R + "recompute/", rep.ReportRecomputeApi.as_view(), name="api-report-recompute"),
    path(P + "exports/", include("llmops_core.api.exports")),
    path("", include("llmops_core.api.judges")),
    path("", include("llmops_core.api.versions")),
    path("", include("llmops_core.api.generation")),
    # The annotation app's endpoints (queues, next item, submit) live with it.
    path("", include("annotate.api_urls")),
]
