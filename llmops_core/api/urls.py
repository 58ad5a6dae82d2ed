"""API routes, mounted under /api/: every endpoint of the LLMOps core, then the annotation app's
(``annotate.api.urls``: queues, the rating flow, review)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from llmops_core.api import alerts as al
from llmops_core.api import drift as dr
from llmops_core.api import exports as ex
from llmops_core.api import feedback as fb
from llmops_core.api import generation as gen
from llmops_core.api import imports as imp
from llmops_core.api import ingest_keys as ik
from llmops_core.api import monitoring as mon
from llmops_core.api import otlp, serving
from llmops_core.api import reports as rep
from llmops_core.api import rubrics as r
from llmops_core.api import tokens as t
from llmops_core.api import users as u
from llmops_core.api import versions as ver
from llmops_core.api import views as v
from llmops_core.api.judges import views as jv
from llmops_core.api.judges.calibration import JudgeCalibrationApi
from llmops_core.api.langfuse import views as lf

P = "projects/<slug:project_slug>/"
R = P + "reports/<int:pk>/"
EX = P + "exports/"
JR = P + "judge-runs/<int:pk>/"
V = P + "prompts/<slug:name>/versions/<int:number>/"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("auth/token/", t.TokenObtainApi.as_view(), name="api-token"),
    path("tokens/", t.TokenListApi.as_view(), name="api-tokens"),
    path("tokens/<int:pk>/", t.TokenRevokeApi.as_view(), name="api-token-revoke"),
    path("users/", u.UserListApi.as_view(), name="api-users"),
    path("projects/", v.ProjectListApi.as_view(), name="api-projects"),
    path(P, v.ProjectDetailApi.as_view(), name="api-project"),
    path(P + "members/", v.MembershipListApi.as_view(), name="api-members"),
    path(P + "monitoring/", mon.MonitoringApi.as_view(), name="api-monitoring"),
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
    path(P + "feedback/", fb.FeedbackCreateApi.as_view(), name="api-feedback"),
    path("public/scores", fb.LangfuseScoreCreateApi.as_view(), name="api-langfuse-scores"),
    path(P + "ingest-keys/", ik.IngestKeyListApi.as_view(), name="api-ingest-keys"),
    path(P + "ingest-keys/<int:pk>/", ik.IngestKeyRevokeApi.as_view(), name="api-ingest-key"),
    path(P + "alert-rules/", al.AlertRuleListApi.as_view(), name="api-alert-rules"),
    path(P + "alert-rules/<int:pk>/", al.AlertRuleDetailApi.as_view(), name="api-alert-rule"),
    path(P + "alerts/", al.AlertEventListApi.as_view(), name="api-alerts"),
    path(
        P + "alerts/<int:pk>/acknowledge/",
        al.AlertEventAcknowledgeApi.as_view(),
        name="api-alert-acknowledge",
    ),
    path(P + "imports/", v.ImportJobListApi.as_view(), name="api-imports"),
    path(P + "imports/<int:pk>/", v.ImportJobDetailApi.as_view(), name="api-import"),
    path(
        P + "imports/<int:pk>/outputs/",
        imp.ImportJobOutputListApi.as_view(),
        name="api-import-outputs",
    ),
    path(P + "rubrics/", r.RubricListApi.as_view(), name="api-rubrics"),
    path(
        P + "rubrics/<int:pk>/versions/",
        r.RubricVersionCreateApi.as_view(),
        name="api-rubric-versions",
    ),
    # Drift reports and judge re-checks.
    path(P + "drift-reports/", dr.DriftReportListApi.as_view(), name="api-drift-reports"),
    path(P + "drift-reports/<int:pk>/", dr.DriftReportDetailApi.as_view(), name="api-drift-report"),
    path(
        P + "judges/<slug:name>/versions/<int:number>/recheck/",
        dr.JudgeRecheckApi.as_view(),
        name="api-judge-recheck",
    ),
    # Agreement reports.
    path(P + "reports/", rep.ReportListApi.as_view(), name="api-reports"),
    path(R, rep.ReportDetailApi.as_view(), name="api-report"),
    path(R + "retry/", rep.ReportRetryApi.as_view(), name="api-report-retry"),
    path(R + "recompute/", rep.ReportRecomputeApi.as_view(), name="api-report-recompute"),
    # Exports.
    path(EX, ex.ExportJobListApi.as_view(), name="api-exports"),
    path(EX + "stream/", ex.ExportStreamApi.as_view(), name="api-export-stream"),
    path(EX + "<int:pk>/", ex.ExportJobDetailApi.as_view(), name="api-export"),
    path(EX + "<int:pk>/cancel/", ex.ExportCancelApi.as_view(), name="api-export-cancel"),
    path(EX + "<int:pk>/download/", ex.ExportDownloadApi.as_view(), name="api-export-download"),
    path(EX + "<int:pk>/datasheet/", ex.ExportDatasheetApi.as_view(), name="api-export-datasheet"),
    # Judges: endpoints, judges and versions, runs and their calls, comparison reports.
    path(P + "llm-endpoints/", jv.LLMEndpointListApi.as_view(), name="api-llm-endpoints"),
    path(P + "judges/", jv.JudgeListApi.as_view(), name="api-judges"),
    path(
        P + "judges/<slug:name>/versions/",
        jv.JudgeVersionListApi.as_view(),
        name="api-judge-versions",
    ),
    path(
        P + "judges/<slug:name>/calibration/",
        JudgeCalibrationApi.as_view(),
        name="api-judge-calibration",
    ),
    path(P + "judge-runs/", jv.JudgeRunListApi.as_view(), name="api-judge-runs"),
    path(JR, jv.JudgeRunDetailApi.as_view(), name="api-judge-run"),
    path(JR + "cancel/", jv.JudgeRunCancelApi.as_view(), name="api-judge-run-cancel"),
    path(JR + "calls/", jv.JudgeRunCallListApi.as_view(), name="api-judge-run-calls"),
    path(P + "judge-reports/", jv.JudgeReportListApi.as_view(), name="api-judge-reports"),
    path(P + "judge-reports/<int:pk>/", jv.JudgeReportDetailApi.as_view(), name="api-judge-report"),
    # Prompt releases and serving.
    path("prompts/<slug:name>/", serving.PromptServeApi.as_view(), name="api-prompt-serve"),
    # The Langfuse-compatible prompt API, at Langfuse's paths (no trailing slash); names may
    # hold "/" (Langfuse's folders), so that unknown ones get Langfuse's 404.
    path("public/v2/prompts", lf.LangfusePromptListApi.as_view(), name="api-langfuse-prompts"),
    path(
        "public/v2/prompts/<path:name>/versions/<int:version>",
        lf.LangfusePromptVersionApi.as_view(),
        name="api-langfuse-prompt-version",
    ),
    path(
        "public/v2/prompts/<path:name>",
        lf.LangfusePromptGetApi.as_view(),
        name="api-langfuse-prompt",
    ),
    path(V + "scorecard/", ver.ScorecardApi.as_view(), name="api-version-scorecard"),
    path(V + "comparison/", ver.ComparisonApi.as_view(), name="api-version-comparison"),
    path(V + "gate/", ver.GateApi.as_view(), name="api-version-gate"),
    path(V + "promote/", ver.PromoteApi.as_view(), name="api-version-promote"),
    path(
        P + "prompts/<slug:name>/promotions/",
        ver.PromotionListApi.as_view(),
        name="api-promotions",
    ),
    path(
        P + "prompts/<slug:name>/history/",
        ver.TemplateHistoryApi.as_view(),
        name="api-prompt-history",
    ),
    path(P + "promotions/<int:pk>/", ver.PromotionDetailApi.as_view(), name="api-promotion"),
    path(
        P + "version-reports/<int:pk>/", ver.VersionReportApi.as_view(), name="api-version-report"
    ),
    path(P + "release-gate/", ver.GateRulesApi.as_view(), name="api-release-gate"),
    # Datasets and generation runs.
    path(P + "datasets/", gen.DatasetListApi.as_view(), name="api-datasets"),
    path(P + "datasets/<int:pk>/rows/", gen.DatasetRowListApi.as_view(), name="api-dataset-rows"),
    path(P + "generation-runs/", gen.GenerationRunListApi.as_view(), name="api-generation-runs"),
    path(
        P + "generation-runs/<int:pk>/",
        gen.GenerationRunDetailApi.as_view(),
        name="api-generation-run",
    ),
    path(
        P + "generation-runs/<int:pk>/cancel/",
        gen.GenerationRunCancelApi.as_view(),
        name="api-generation-run-cancel",
    ),
    # Traces in where the Langfuse SDK sends them (the same receiver as /v1/traces).
    path("public/otel/v1/traces", otlp.OtlpTracesApi.as_view(), name="api-otlp-traces"),
    path("", include("annotate.api.urls")),
]
