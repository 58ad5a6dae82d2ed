"""The report pages: request form, report page, charts, downloads and an item's ratings."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client
from django.urls import reverse

from llmops_core.models import JobStatus, ModelOutput, Project, Report
from llmops_core.services.reports import ReportScope, report_compute, report_request
from tests.reports.builders import RatedQueue, rated_queue
from tests.reports.conftest import ROLE_EXPECTATIONS

pytestmark = pytest.mark.django_db


def client_for(user: object | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)  # type: ignore[arg-type]
    return client


def page_urls(project: Project, report: Report, item_id: int) -> list[tuple[str, str]]:
    slug, pk = project.slug, report.pk
    return [
        ("get", reverse("report-list", args=[slug])),
        ("post", reverse("report-list", args=[slug])),
        ("get", reverse("report-detail", args=[slug, pk])),
        ("post", reverse("report-retry", args=[slug, pk])),
        ("post", reverse("report-recompute", args=[slug, pk])),
        ("get", reverse("report-download", args=[slug, pk, "json"])),
        ("get", reverse("report-download", args=[slug, pk, "csv"])),
        ("get", reverse("report-chart", args=[slug, pk, "alpha", "svg"])),
        ("get", reverse("report-chart", args=[slug, pk, "heatmap", "png"])),
        ("get", reverse("report-item", args=[slug, pk, item_id])),
    ]


@pytest.mark.parametrize("role_user", list(ROLE_EXPECTATIONS), indirect=True)
def test_every_report_page_is_for_leads_and_admins_only(
    request: pytest.FixtureRequest,
    role_user: object,
    project: Project,
    done_report: Report,
    k2011: RatedQueue,
) -> None:
    expected = ROLE_EXPECTATIONS[request.node.callspec.params["role_user"]]
    client = client_for(role_user)
    for method, target in page_urls(project, done_report, k2011.items[5].pk):
        response = getattr(client, method)(target)
        if expected == "login":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        elif expected == 200:
            # 409 is the retry of a report that did not fail: allowed, but nothing to do.
            assert response.status_code in (200, 302, 409), (target, response.status_code)
        else:
            assert response.status_code == expected, (target, response.status_code)


def test_the_form_asks_for_a_report_and_shows_it(
    project: Project, lead: object, k2011: RatedQueue
) -> None:
    client = client_for(lead)
    response = client.post(
        reverse("report-list", args=[project.slug]),
        {"queue_id": str(k2011.queue.pk), "since": "", "reviewers": []},
    )
    report = Report.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("report-detail", args=[project.slug, report.pk])
    page = client.get(response["Location"]).content.decode()
    assert 'data-poll-url="/api/projects/' in page and "progress-bar" in page
    listing = client.get(reverse("report-list", args=[project.slug])).content.decode()
    assert f"#{report.pk} Agreement: queue {k2011.queue.name}" in listing


def test_the_form_shows_what_is_wrong(project: Project, lead: object) -> None:
    response = client_for(lead).post(
        reverse("report-list", args=[project.slug]), {"queue_id": "424242", "since": "soon"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "is not a date (YYYY-MM-DD) or an ISO 8601 time" in body
    assert not Report.objects.exists()


def test_a_finished_report_shows_summary_charts_reviewers_and_contested_items(
    project: Project, lead: object, done_report: Report, k2011: RatedQueue
) -> None:
    body = client_for(lead).get(reverse("report-detail", args=[project.slug, done_report.pk]))
    html = body.content.decode()
    assert "Reviewers agree well on fluency (alpha 0.82, 95% CI" in html
    assert html.index('id="summary"') < html.index('id="charts"') < html.index('id="reviewers"')
    for name in ("alpha", "distribution", "heatmap", "trend"):
        svg = reverse("report-chart", args=[project.slug, done_report.pk, name, "svg"])
        png = reverse("report-chart", args=[project.slug, done_report.pk, name, "png"])
        assert f'<img src="{svg}"' in html and f'href="{png}?download=1"' in html
    item_page = reverse("report-item", args=[project.slug, done_report.pk, k2011.items[5].pk])
    assert f'href="{item_page}"' in html
    assert k2011.reviewers[0].username in html
    assert done_report.snapshot_hash in html
    assert "style=" not in html  # the CSP forbids inline styles


def test_a_failed_report_shows_its_reason_and_a_retry_button(
    project: Project, lead: object, done_report: Report
) -> None:
    Report.objects.filter(pk=done_report.pk).update(
        status=JobStatus.FAILED, error="reviewer(s) x are no longer members"
    )
    client = client_for(lead)
    html = client.get(reverse("report-detail", args=[project.slug, done_report.pk])).content
    assert b"reviewer(s) x are no longer members" in html and b'data-testid="retry"' in html
    response = client.post(reverse("report-retry", args=[project.slug, done_report.pk]))
    assert response.status_code == 302
    assert Report.objects.get(pk=done_report.pk).status == JobStatus.PENDING


def test_charts_are_served_as_svg_and_png_with_a_tight_policy(
    project: Project, lead: object, done_report: Report
) -> None:
    client = client_for(lead)
    svg = client.get(reverse("report-chart", args=[project.slug, done_report.pk, "alpha", "svg"]))
    assert svg["Content-Type"] == "image/svg+xml" and svg.content.lstrip().startswith(b"<?xml")
    assert svg["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
    png = client.get(
        reverse("report-chart", args=[project.slug, done_report.pk, "trend", "png"]) + "?download=1"
    )
    assert png["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG")
    assert png["Content-Disposition"].startswith("attachment;")
    missing = reverse("report-chart", args=[project.slug, done_report.pk, "pie", "svg"])
    assert client.get(missing).status_code == 404


def test_json_download_is_the_report_and_its_results(
    project: Project, lead: object, done_report: Report
) -> None:
    response = client_for(lead).get(
        reverse("report-download", args=[project.slug, done_report.pk, "json"])
    )
    assert response["Content-Disposition"] == (
        f'attachment; filename="agreement-report-{done_report.pk}.json"'
    )
    document = json.loads(response.content)
    assert document["report"]["snapshot_hash"] == done_report.snapshot_hash
    assert document["results"] == done_report.results


def _csv(project: Project, lead: object, report: Report) -> list[dict[str, str]]:
    response = client_for(lead).get(
        reverse("report-download", args=[project.slug, report.pk, "csv"])
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_csv_download_is_long_format_one_metric_a_row(
    project: Project, lead: object, done_report: Report
) -> None:
    rows = _csv(project, lead, done_report)
    alpha = next(
        r for r in rows if r["metric"] == "krippendorff_alpha" and r["variant"] == "ordinal"
    )
    assert round(float(alpha["value"]), 3) == 0.815
    assert alpha["criterion"] == "fluency" and alpha["n"] == "11"
    assert float(alpha["ci_low"]) < float(alpha["value"]) < float(alpha["ci_high"])
    sections = {r["section"] for r in rows}
    assert sections == {"verdict", "metric", "reviewer_pair", "reviewer", "contested_item"}


def test_csv_neutralises_formula_injection_in_text_cells(project: Project, lead: object) -> None:
    names = ['=HYPERLINK("http://x")', "+sum", "-bob", "@cmd", "\n=cmd", " +1"]
    matrix = [[1, 2, 3], [1, 2, 4], [2, 2, 3], [1, 3, 3], [2, 3, 3], [1, 2, 2]]
    rq = rated_queue(project, matrix, reviewer_names=names)
    report, _ = report_request(
        project=project,
        requested_by=None,
        scope=ReportScope(queue_id=rq.queue.pk, bootstrap_draws=0),
    )
    report_compute(report_id=report.pk)
    reviewers = {r["reviewer"] for r in _csv(project, lead, report) if r["reviewer"]}
    assert reviewers == {"'" + n for n in names}


def test_unfinished_reports_have_nothing_to_download(
    project: Project, lead: object, k2011: RatedQueue
) -> None:
    report, _ = report_request(
        project=project, requested_by=None, scope=ReportScope(queue_id=k2011.queue.pk)
    )
    client = client_for(lead)
    for target in (
        reverse("report-download", args=[project.slug, report.pk, "csv"]),
        reverse("report-chart", args=[project.slug, report.pk, "alpha", "svg"]),
    ):
        response = client.get(target)
        assert response.status_code == 409
        assert b"has no results yet" in response.content


def test_item_page_lists_every_rating_and_escapes_model_text(
    project: Project, lead: object, done_report: Report, k2011: RatedQueue
) -> None:
    item = k2011.items[5]
    ModelOutput.objects.filter(pk=item.output_id).update(
        output_text="<script>alert(1)</script>", input={"question": "<b>hi</b>"}
    )
    html = (
        client_for(lead)
        .get(reverse("report-item", args=[project.slug, done_report.pk, item.pk]))
        .content.decode()
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    assert "&lt;b&gt;hi&lt;/b&gt;" in html
    for reviewer in k2011.reviewers:
        assert reviewer.username in html
    assert reverse("queue-adjudicate", args=[project.slug, k2011.queue.pk]) in html
    missing = reverse("report-item", args=[project.slug, done_report.pk, 987654])
    assert client_for(lead).get(missing).status_code == 404
