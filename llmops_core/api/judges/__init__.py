"""The judge API: endpoints, judges and versions, runs and their calls, comparison reports.

Mounted under /api/ by one ``include`` in ``llmops_core/api/urls.py``.
"""

from django.urls import path

from llmops_core.api.judges import views as v

P = "projects/<slug:project_slug>/"
R = P + "judge-runs/<int:pk>/"

urlpatterns = [
    path(P + "llm-endpoints/", v.LLMEndpointListApi.as_view(), name="api-llm-endpoints"),
    path(P + "judges/", v.JudgeListApi.as_view(), name="api-judges"),
    path(
        P + "judges/<slug:name>/versions/",
        v.JudgeVersionListApi.as_view(),
        name="api-judge-versions",
    ),
    path(P + "judge-runs/", v.JudgeRunListApi.as_view(), name="api-judge-runs"),
    path(R, v.JudgeRunDetailApi.as_view(), name="api-judge-run"),
    path(R + "cancel/", v.JudgeRunCancelApi.as_view(), name="api-judge-run-cancel"),
    path(R + "calls/", v.JudgeRunCallListApi.as_view(), name="api-judge-run-calls"),
    path(P + "judge-reports/", v.JudgeReportListApi.as_view(), name="api-judge-reports"),
    path(P + "judge-reports/<int:pk>/", v.JudgeReportDetailApi.as_view(), name="api-judge-report"),
]
