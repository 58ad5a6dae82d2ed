"""HTML pages of judges: configure, run, watch a run and its calls, read the comparison report.

Mounted by one ``include`` in ``llmops_core/urls.py``. Leads and admins only.
"""

from django.urls import path

from llmops_core.views.judges import configs, reports, runs

P = "p/<slug:project_slug>/"
J = P + "judges/<slug:name>/"
R = P + "judge-runs/<int:pk>/"
REP = P + "judge-reports/<int:pk>/"

urlpatterns = [
    path(P + "judges/", configs.judge_list_view, name="judge-list"),
    path(P + "judges/endpoints/new/", configs.endpoint_new, name="judge-endpoint-new"),
    path(J, configs.judge_detail, name="judge-detail"),
    path(J + "versions/new/", configs.judge_version_new, name="judge-version-new"),
    path(J + "runs/new/", configs.judge_run_new, name="judge-run-new"),
    path(R, runs.judge_run_view, name="judge-run"),
    path(R + "cancel/", runs.judge_run_cancel_view, name="judge-run-cancel"),
    path(R + "calls/", runs.judge_run_calls, name="judge-run-calls"),
    path(R + "report/", runs.judge_run_report, name="judge-run-report"),
    path(REP, reports.judge_report_view, name="judge-report"),
    path(REP + "download/<str:name>", reports.judge_report_download, name="judge-report-download"),
    path(
        REP + "charts/<slug:name>.<str:fmt>", reports.judge_report_chart, name="judge-report-chart"
    ),
    path(REP + "items/<int:item_id>/", reports.judge_report_item, name="judge-report-item"),
]
