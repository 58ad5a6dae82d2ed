"""Charts are drawn once per data fingerprint and served from Django's cache after that."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.urls import reverse

from llmops_core.charts import cache as chart_cache
from llmops_core.charts.agreement import CHARTS
from llmops_core.charts.cache import CHART_VERSION, chart_fingerprint
from llmops_core.models import Project, Report
from llmops_core.services.charts import report_charts_draw
from llmops_core.services.reports import ReportScope, report_request
from llmops_core.tasks.reports import report_compute_task
from tests.reports.test_views import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def drawings(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Count every call of the chart renderer (the formats it drew), on an empty cache."""
    calls: list[str] = []
    real = chart_cache.render

    def counted(fig: Any, fmt: str = "svg") -> bytes:
        calls.append(fmt)
        return real(fig, fmt)

    cache.clear()
    monkeypatch.setattr(chart_cache, "render", counted)
    yield calls
    cache.clear()


def test_the_second_view_of_a_chart_is_not_drawn_again(
    project: Project, lead: object, done_report: Report, drawings: list[str]
) -> None:
    client = client_for(lead)
    url = reverse("report-chart", args=[project.slug, done_report.pk, "alpha", "svg"])
    first = client.get(url)
    second = client.get(url)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert drawings == ["svg"]
    png = client.get(reverse("report-chart", args=[project.slug, done_report.pk, "alpha", "png"]))
    assert png.content.startswith(b"\x89PNG") and drawings == ["svg", "png"]


def test_changed_data_draws_a_new_chart(
    project: Project, lead: object, done_report: Report, drawings: list[str]
) -> None:
    client = client_for(lead)
    url = reverse("report-chart", args=[project.slug, done_report.pk, "alpha", "svg"])
    before = client.get(url).content
    results = copy.deepcopy(done_report.results)
    results["criteria"]["fluency"]["krippendorff_alpha"]["ordinal"] = None
    Report.objects.filter(pk=done_report.pk).update(results=results)
    after = client.get(url).content
    assert drawings == ["svg", "svg"]
    assert before != after and b"n/a (cannot be measured)" in after


def test_reports_over_the_same_data_share_their_drawing(
    project: Project, lead: object, done_report: Report, drawings: list[str]
) -> None:
    twin = Report.objects.get(pk=done_report.pk)
    twin.pk = None
    twin.save()
    client = client_for(lead)
    for pk in (done_report.pk, twin.pk):
        assert (
            client.get(reverse("report-chart", args=[project.slug, pk, "trend", "svg"])).status_code
            == 200
        )
    assert drawings == ["svg"]


def test_the_fingerprint_covers_kind_format_version_and_data() -> None:
    data = {"b": [1, 2.5], "a": None}
    key = chart_fingerprint("agreement:alpha", "svg", data)
    assert key == chart_fingerprint("agreement:alpha", "svg", {"a": None, "b": [1, 2.5]})
    others = {
        chart_fingerprint("agreement:trend", "svg", data),
        chart_fingerprint("agreement:alpha", "png", data),
        chart_fingerprint("agreement:alpha", "svg", {**data, "a": 0}),
    }
    assert key not in others and len(others) == 3
    assert isinstance(CHART_VERSION, int)


def test_the_worker_draws_a_new_reports_charts_so_the_first_view_draws_none(
    project: Project, lead: object, k2011: Any, drawings: list[str]
) -> None:
    report, _ = report_request(
        project=project,
        requested_by=None,
        scope=ReportScope(queue_id=k2011.queue.pk, bootstrap_draws=50),
    )
    report_compute_task.apply(args=(report.pk,))
    assert sorted(drawings) == ["svg"] * len(CHARTS)
    client = client_for(lead)
    for name in CHARTS:
        url = reverse("report-chart", args=[project.slug, report.pk, name, "svg"])
        assert client.get(url).status_code == 200
    assert len(drawings) == len(CHARTS)


def test_drawing_skips_unfinished_reports_and_draws_each_kind(
    project: Project, done_report: Report, drawings: list[str]
) -> None:
    pending = Report.objects.create(project=project, kind=done_report.kind)
    assert report_charts_draw(report_id=pending.pk) == []
    assert sorted(report_charts_draw(report_id=done_report.pk)) == sorted(CHARTS)
    assert report_charts_draw(report_id=done_report.pk) == sorted(CHARTS, key=list(CHARTS).index)
    assert len(drawings) == len(CHARTS)  # the second call read every chart from the cache
