"""URL configuration."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from llmops_core.views import audit, auth
from llmops_core.views import core as views
from llmops_core.views import reports as report_views

RP = "p/<slug:project_slug>/reports/<int:pk>/"

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth.LoginView.as_view(), name="login"),
    path("accounts/tokens/", auth.token_list, name="tokens"),
    path("accounts/tokens/<int:pk>/revoke/", auth.token_revoke_view, name="token-revoke"),
    path("p/<slug:project_slug>/audit/", audit.audit_log, name="audit-log"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("p/<slug:project_slug>/", views.project_detail, name="project"),
    path("p/<slug:project_slug>/imports/new/", views.import_upload, name="import-upload"),
    path("p/<slug:project_slug>/imports/<int:pk>/", views.import_detail, name="import-detail"),
    path("p/<slug:project_slug>/reports/", report_views.report_list, name="report-list"),
    path(RP, report_views.report_detail, name="report-detail"),
    path(RP + "retry/", report_views.report_retry, name="report-retry"),
    path(RP + "recompute/", report_views.report_recompute, name="report-recompute"),
    path(RP + "report.<str:fmt>", report_views.report_download, name="report-download"),
    path(RP + "charts/<slug:name>.<str:fmt>", report_views.report_chart, name="report-chart"),
    path(RP + "items/<int:item_id>/", report_views.report_item, name="report-item"),
    path("p/<slug:project_slug>/exports/", include("llmops_core.views.exports")),
    path("", include("llmops_core.views.judges")),
    path("", include("llmops_core.views.versions")),
    path("", include("llmops_core.views.dashboard")),
    path("", include("llmops_core.views.generation")),
    path("", include("annotate.views_pairwise")),
    path("", include("annotate.urls")),
    path("api/", include("llmops_core.api.urls")),
    path("admin/", admin.site.urls),
]
