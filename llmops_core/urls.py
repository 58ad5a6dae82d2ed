"""URL configuration."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from llmops_core.views import audit, auth
from llmops_core.views import core as views

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
    path("", include("annotate.urls")),
    path("api/", include("llmops_core.api.urls")),
    path("admin/", admin.site.urls),
]
