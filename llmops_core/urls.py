"""URL configuration."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from llmops_core.views import core as views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("p/<slug:project_slug>/", views.project_detail, name="project"),
    path("p/<slug:project_slug>/imports/new/", views.import_upload, name="import-upload"),
    path("p/<slug:project_slug>/imports/<int:pk>/", views.import_detail, name="import-detail"),
    path("", include("annotate.urls")),
    path("api/", include("llmops_core.api.urls")),
    path("admin/", admin.site.urls),
]
