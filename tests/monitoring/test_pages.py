"""The monitoring page, its chart and downloads, and the API: leads only, escaped, never a 500."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from llmops_core.models import Project, Role
from tests.factories import ProjectFactory, UserFactory
from tests.monitoring.helpers import START, add_all, make_outputs

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert(1)</script>"$\\alpha$'
RANGE = {"granularity": "day", "from": "2026-03-01", "to": "2026-03-05"}


def _urls(slug: str) -> dict[str, str]:
    return {
        "page": reverse("monitoring", args=[slug]),
        "chart": reverse("monitoring-chart", args=[slug, "svg"]),
        "csv": reverse("monitoring-download", args=[slug, "csv"]),
        "json": reverse("monitoring-download", args=[slug, "json"]),
        "api": reverse("api-monitoring", args=[slug]),
    }


@pytest.fixture
def seeded(project: Project) -> Project:
    add_all(project, make_outputs(project, 300, models=("gpt-a", HOSTILE)))
    return project


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.REVIEWER, 403),
        (Role.ADJUDICATOR, 403),
        (Role.LEAD, 200),
        (Role.ADMIN, 200),
        (None, 404),
    ],
)
@pytest.mark.parametrize("door", ["page", "chart", "csv", "json", "api"])
def test_only_leads_and_admins_see_monitoring(
    seeded: Project, make_member: Callable[..., Any], role: str | None, status: int, door: str
) -> None:
    user = make_member(role) if role else UserFactory()
    response = _client(user).get(_urls(seeded.slug)[door], RANGE)
    assert response.status_code == status


def test_anonymous_is_sent_to_log_in_or_refused(seeded: Project) -> None:
    urls = _urls(seeded.slug)
    assert Client().get(urls["page"]).status_code == 302
    assert Client().get(urls["api"]).status_code in {401, 403}


def test_page_shows_figures_and_escapes_model_names(seeded: Project, lead: Any) -> None:
    response = _client(lead).get(_urls(seeded.slug)["page"], RANGE)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="totals"' in html and "300" in html
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_chart_escapes_model_names(seeded: Project, lead: Any) -> None:
    response = _client(lead).get(_urls(seeded.slug)["chart"], {**RANGE, "model": HOSTILE})
    svg = response.content.decode()
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert "<script" not in svg and "&lt;script&gt;" in svg


def test_csv_download_parses_and_neutralises_formulas(project: Project, lead: Any) -> None:
    add_all(project, make_outputs(project, 100, models=("=HYPERLINK(1)", "gpt-a")))
    response = _client(lead).get(_urls(project.slug)["csv"], RANGE)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert sum(int(r["requests"]) for r in rows) == 100
    assert {r["model"] for r in rows} == {"'=HYPERLINK(1)", "gpt-a"}
    assert all(json.loads(r["errors_by_type"]) is not None for r in rows)


def test_json_download_and_api_agree(seeded: Project, lead: Any, api_as: Any) -> None:
    urls = _urls(seeded.slug)
    download = json.loads(_client(lead).get(urls["json"], RANGE).content)
    answer = api_as(lead).get(urls["api"], RANGE).json()
    assert download["totals"] == answer["totals"]
    assert answer["totals"]["requests"] == 300
    assert sum(r["requests"] for r in download["rows"]) == 300
    assert [s["period"][:10] for s in answer["series"]] == ["2026-03-02", "2026-03-03"]
    assert {g["model"] for g in answer["groups"]} == {"gpt-a", HOSTILE}


def test_filters_narrow_the_figures(seeded: Project, lead: Any, api_as: Any) -> None:
    answer = api_as(lead).get(_urls(seeded.slug)["api"], {**RANGE, "model": "gpt-a"}).json()
    assert {g["model"] for g in answer["groups"]} == {"gpt-a"}
    assert 0 < answer["totals"]["requests"] < 300
    hourly = api_as(lead).get(
        _urls(seeded.slug)["api"],
        {"granularity": "hour", "from": START.isoformat(), "to": "2026-03-03"},
    )
    assert hourly.status_code == 200 and hourly.json()["series"][0]["period"].startswith(
        "2026-03-02T08"
    )


def test_empty_project_says_no_data_not_zeros(project: Project, lead: Any, api_as: Any) -> None:
    html = _client(lead).get(_urls(project.slug)["page"]).content.decode()
    assert 'data-testid="no-data"' in html and 'data-testid="totals"' not in html
    answer = api_as(lead).get(_urls(project.slug)["api"]).json()
    assert answer["totals"] is None and answer["series"] == [] and answer["groups"] == []


@pytest.mark.parametrize(
    "query",
    [
        {"granularity": "minute"},
        {"from": "2026-13-01"},
        {"to": "yesterday"},
        {"from": "2026-03-05", "to": "2026-03-01"},
        {"granularity": "hour", "from": "2020-01-01", "to": "2026-01-01"},
        {"version": "-1"},
        {"version": "abc"},
        {"from": "0001-01-01", "granularity": "week"},
        {"to": "9999-12-31"},
        {"model": "x" * 201},
    ],
)
def test_bad_parameters_answer_400_naming_them(
    seeded: Project, lead: Any, api_as: Any, query: dict[str, str]
) -> None:
    urls = _urls(seeded.slug)
    answer = api_as(lead).get(urls["api"], query)
    assert answer.status_code == 400
    assert set(answer.json()) & {"granularity", "from", "to", "version", "model"}
    client = _client(lead)
    assert client.get(urls["page"], query).status_code == 400
    assert client.get(urls["csv"], query).status_code == 400
    assert client.get(urls["chart"], query).status_code == 400


def test_unknown_download_format_is_404(seeded: Project, lead: Any) -> None:
    client = _client(lead)
    assert client.get(reverse("monitoring-download", args=[seeded.slug, "xlsx"])).status_code == 404
    assert client.get(reverse("monitoring-chart", args=[seeded.slug, "gif"])).status_code == 404


def test_api_query_count_does_not_grow_with_data(
    project: Project, lead: Any, api_as: Any, django_assert_max_num_queries: Any
) -> None:
    add_all(project, make_outputs(project, 400, models=("a", "b", "c", "d")))
    client = api_as(lead)
    with django_assert_max_num_queries(12):
        assert client.get(_urls(project.slug)["api"], RANGE).status_code == 200


def test_other_projects_figures_never_show(project: Project, lead: Any, api_as: Any) -> None:
    other = ProjectFactory()
    add_all(other, make_outputs(other, 50))
    answer = api_as(lead).get(_urls(project.slug)["api"], RANGE).json()
    assert answer["totals"] is None


def test_project_page_links_to_monitoring_for_leads(seeded: Project, lead: Any) -> None:
    html = _client(lead).get(reverse("project", args=[seeded.slug])).content.decode()
    assert reverse("monitoring", args=[seeded.slug]) in html
