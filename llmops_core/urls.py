"""URL configuration: every HTML page of the LLMOps core, then the annotation app's, the API, the
admin. ``annotate.urls`` holds the annotation pages and ``llmops_core.api.urls`` every endpoint."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from llmops_core.api.otlp import OtlpTracesApi
from llmops_core.views import (
    alerts,
    audit,
    auth,
    dashboard,
    exports,
    generation,
    health,
    ingest,
    monitoring,
    outputs,
    prompts,
    rubrics,
    versions,
)
from llmops_core.views import core as views
from llmops_core.views import drift as drift_views
from llmops_core.views import people as people_views
from llmops_core.views import reports as report_views
from llmops_core.views import users as user_views
from llmops_core.views.judges import calibration as judge_calibration
from llmops_core.views.judges import configs as judge_configs
from llmops_core.views.judges import reports as judge_reports
from llmops_core.views.judges import runs as judge_runs

P = "p/<slug:project_slug>/"
RP = P + "reports/<int:pk>/"
EX = P + "exports/"
J = P + "judges/<slug:name>/"
JR = P + "judge-runs/<int:pk>/"
JREP = P + "judge-reports/<int:pk>/"
T = P + "prompts/<slug:name>/"
VR = P + "version-reports/<int:pk>/"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz/", health.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("accounts/login/", auth.LoginView.as_view(), name="login"),
    path("accounts/password/", auth.PasswordChangeView.as_view(), name="password-change"),
    path("accounts/tokens/", auth.token_list, name="tokens"),
    path("accounts/tokens/<int:pk>/revoke/", auth.token_revoke_view, name="token-revoke"),
    # Projects, members, the instance's users and invitations.
    path("projects/new/", people_views.project_new, name="project-new"),
    path(P + "members/", people_views.member_list, name="members"),
    path(P + "members/<int:pk>/role/", people_views.member_role, name="member-role"),
    path(P + "members/<int:pk>/remove/", people_views.member_remove, name="member-remove"),
    path("users/", user_views.user_list_view, name="users"),
    path("users/new/", user_views.user_new, name="user-new"),
    path(
        "users/invitations/<int:pk>/revoke/",
        user_views.invitation_revoke_view,
        name="invitation-revoke",
    ),
    path("invitations/<str:token>/", user_views.invitation_accept_view, name="invitation-accept"),
    path(P + "audit/", audit.audit_log, name="audit-log"),
    path(P + "ingest-keys/", ingest.ingest_key_list, name="ingest-keys"),
    path(P + "monitoring/", monitoring.monitoring_page, name="monitoring"),
    path(
        P + "monitoring/chart.<str:fmt>",
        monitoring.monitoring_chart_view,
        name="monitoring-chart",
    ),
    path(
        P + "monitoring/download.<str:fmt>",
        monitoring.monitoring_download,
        name="monitoring-download",
    ),
    path(
        P + "ingest-keys/<int:pk>/revoke/",
        ingest.ingest_key_revoke_view,
        name="ingest-key-revoke",
    ),
    path(P + "alerts/", alerts.alert_rule_list, name="alert-rules"),
    path(P + "alerts/new/", alerts.alert_rule_new, name="alert-rule-new"),
    path(P + "alerts/<int:pk>/", alerts.alert_rule_detail, name="alert-rule"),
    path(P + "alerts/<int:pk>/edit/", alerts.alert_rule_edit, name="alert-rule-edit"),
    path(
        P + "alerts/events/<int:pk>/acknowledge/",
        alerts.alert_event_acknowledge_view,
        name="alert-event-acknowledge",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(P, views.project_detail, name="project"),
    path(P + "outputs/", outputs.output_list_view, name="output-list"),
    path(P + "outputs/<int:pk>/", outputs.output_detail, name="output-detail"),
    path(P + "imports/new/", views.import_upload, name="import-upload"),
    path(P + "imports/<int:pk>/", views.import_detail, name="import-detail"),
    path(
        P + "imports/<int:pk>/create-prompts/",
        views.import_create_prompts,
        name="import-create-prompts",
    ),
    # Drift reports.
    path(P + "drift/", drift_views.drift_list, name="drift-list"),
    path(P + "drift/<int:pk>/", drift_views.drift_detail, name="drift-detail"),
    path(
        P + "drift/<int:pk>/charts/<slug:name>.<str:fmt>",
        drift_views.drift_chart,
        name="drift-chart",
    ),
    path(J + "versions/<int:number>/recheck/", drift_views.judge_recheck, name="judge-recheck"),
    # Agreement reports.
    path(P + "reports/", report_views.report_list, name="report-list"),
    path(RP, report_views.report_detail, name="report-detail"),
    path(RP + "retry/", report_views.report_retry, name="report-retry"),
    path(RP + "recompute/", report_views.report_recompute, name="report-recompute"),
    path(RP + "report.<str:fmt>", report_views.report_download, name="report-download"),
    path(RP + "charts/<slug:name>.<str:fmt>", report_views.report_chart, name="report-chart"),
    path(RP + "items/<int:item_id>/", report_views.report_item, name="report-item"),
    # Exports.
    path(EX, exports.export_list, name="export-list"),
    path(EX + "<int:pk>/cancel/", exports.export_cancel, name="export-cancel"),
    path(EX + "<int:pk>/delete/", exports.export_delete, name="export-delete"),
    path(EX + "<int:pk>/", exports.export_detail, name="export-detail"),
    path(EX + "<int:pk>/download/", exports.export_download, name="export-download"),
    path(EX + "<int:pk>/datasheet.<str:fmt>", exports.export_datasheet, name="export-datasheet"),
    # Judges: configure, run, watch a run and its calls, read the comparison report.
    path(P + "judges/", judge_configs.judge_list_view, name="judge-list"),
    path(P + "judges/endpoints/new/", judge_configs.endpoint_new, name="judge-endpoint-new"),
    path(J, judge_configs.judge_detail, name="judge-detail"),
    path(J + "versions/new/", judge_configs.judge_version_new, name="judge-version-new"),
    path(J + "runs/new/", judge_configs.judge_run_new, name="judge-run-new"),
    path(J + "calibration/", judge_calibration.judge_calibration_view, name="judge-calibration"),
    path(
        J + "calibration/chart.<str:fmt>",
        judge_calibration.judge_calibration_chart,
        name="judge-calibration-chart",
    ),
    path(JR, judge_runs.judge_run_view, name="judge-run"),
    path(JR + "cancel/", judge_runs.judge_run_cancel_view, name="judge-run-cancel"),
    path(JR + "calls/", judge_runs.judge_run_calls, name="judge-run-calls"),
    path(JR + "report/", judge_runs.judge_run_report, name="judge-run-report"),
    path(JREP, judge_reports.judge_report_view, name="judge-report"),
    path(
        JREP + "download/<str:name>",
        judge_reports.judge_report_download,
        name="judge-report-download",
    ),
    path(
        JREP + "charts/<slug:name>.<str:fmt>",
        judge_reports.judge_report_chart,
        name="judge-report-chart",
    ),
    path(JREP + "items/<int:item_id>/", judge_reports.judge_report_item, name="judge-report-item"),
    # The rubric: everyone reads it; leads save new versions.
    path(P + "rubric/", rubrics.rubric_page, name="rubric"),
    path(P + "rubric/<int:pk>/edit/", rubrics.rubric_edit, name="rubric-edit"),
    path(
        P + "rubric/<int:pk>/v<int:number>/",
        rubrics.rubric_version_page,
        name="rubric-version",
    ),
    # Prompt templates, then releases: scorecards, comparisons, the gate, promotions.
    path(P + "prompts/", prompts.prompt_list, name="prompt-list"),
    path(P + "prompts/new/", prompts.prompt_new, name="prompt-new"),
    path(T + "compare/", versions.version_compare, name="version-compare"),
    path(T + "compare/request/", versions.version_compare_request, name="version-compare-request"),
    path(T + "history/", versions.prompt_history, name="prompt-history"),
    path(T + "versions/new/", versions.prompt_version_new, name="prompt-version-new"),
    path(T + "v<int:number>/", versions.version_scorecard, name="version-scorecard"),
    path(
        T + "v<int:number>/scorecard/",
        versions.version_scorecard_request,
        name="version-scorecard-request",
    ),
    path(T + "v<int:number>/promote/", versions.version_promote, name="version-promote"),
    path(P + "promotions/<int:pk>/", versions.promotion_detail, name="promotion-detail"),
    path(P + "release-gate/", versions.release_gate, name="release-gate"),
    path(
        VR + "charts/<slug:name>.<str:fmt>",
        versions.version_report_chart,
        name="version-report-chart",
    ),
    path(VR + "report.json", versions.version_report_json, name="version-report-json"),
    path(P + "dashboard/", dashboard.project_dashboard, name="project-dashboard"),
    # Datasets and generation runs.
    path(P + "datasets/", generation.dataset_list_view, name="dataset-list"),
    path(P + "datasets/<int:pk>/", generation.dataset_detail, name="dataset-detail"),
    path(P + "generation-runs/<int:pk>/", generation.generation_run_view, name="generation-run"),
    path(
        P + "generation-runs/<int:pk>/cancel/",
        generation.generation_run_cancel_view,
        name="generation-run-cancel",
    ),
    path("", include("annotate.urls")),
    # OpenTelemetry traces in (OTLP/HTTP's standard path); also at /api/public/otel/v1/traces.
    path("v1/traces", OtlpTracesApi.as_view(), name="otlp-traces"),
    path("api/", include("llmops_core.api.urls")),
    path("admin/", admin.site.urls),
]
