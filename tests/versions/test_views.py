"""Release-loop pages over every role; refusal and override; charts; escaping; no inline code."""

from __future__ import annotations

import copy
import html
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from llmops_core.charts import render as render_chart
from llmops_core.charts.versions import CHARTS
from llmops_core.models import Project, Promotion, PromptLabel, Role
from llmops_core.services.comparisons import comparison_compute, comparison_request
from llmops_core.services.gates import release_gate_update
from llmops_core.services.prompts import prompt_label_set, prompt_version_create
from llmops_core.services.scorecards import scorecard_compute, scorecard_request
from tests.factories import UserFactory
from tests.versions.gate_forms import gate_rows
from tests.versions.helpers import make_outputs, make_versions

pytestmark = pytest.mark.django_db
ROLE_CODES = {Role.REVIEWER: 403, Role.ADJUDICATOR: 403, Role.LEAD: 200, Role.ADMIN: 200}
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|\son[a-z]+=", re.IGNORECASE)


@pytest.fixture
def light(project: Project, lead: Any) -> dict[str, Any]:
    """Two versions with outputs and computed (empty) reports."""
    v1, v2 = make_versions(project, 2)
    prompt_label_set(version=v1, label="production", actor=lead)
    make_outputs(project, v1, 3)
    make_outputs(project, v2, 3)
    card = scorecard_compute(report_id=scorecard_request(version=v1)[0].pk)
    comparison = comparison_compute(report_id=comparison_request(candidate=v2)[0].pk)
    return {"v1": v1, "v2": v2, "scorecard": card, "comparison": comparison}


def pages(project: Project, light: dict[str, Any]) -> list[str]:
    p, c = f"/p/{project.slug}/", light["comparison"].pk
    return [
        p + "dashboard/",
        p + "prompts/support/compare/",
        p + "prompts/support/history/",
        p + "prompts/support/v2/",
        p + "release-gate/",
        p + f"version-reports/{c}/charts/differences.svg",
        p + f"version-reports/{c}/report.json",
    ]


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", list(ROLE_CODES))
def test_pages_need_the_lead_role(
    light: dict[str, Any], project: Project, make_member: Callable[..., Any], role: str
) -> None:
    client = client_for(make_member(role))
    for url in pages(project, light):
        assert client.get(url).status_code == ROLE_CODES[role], url


def test_pages_are_404_for_non_members(light: dict[str, Any], project: Project) -> None:
    client = client_for(UserFactory())
    for url in pages(project, light):
        assert client.get(url).status_code == 404, url


def test_pages_have_no_inline_script_or_style(
    light: dict[str, Any], project: Project, lead: Any
) -> None:
    client = client_for(lead)
    for url in pages(project, light)[:5]:
        html = client.get(url).content.decode()
        assert not INLINE.search(html), (url, INLINE.search(html))


def test_untrusted_prompt_text_is_escaped_in_history_and_scorecard(
    project: Project, light: dict[str, Any], lead: Any
) -> None:
    evil = "<script>alert(1)</script> & <b>bold</b>"
    v3, _ = prompt_version_create(
        template=light["v1"].template,
        template_text=evil,
        model_name="m",
        system_message="<img src=x onerror=alert(1)>",
    )
    client = client_for(lead)
    for url in (
        f"/p/{project.slug}/prompts/support/history/",
        f"/p/{project.slug}/prompts/support/v{v3.number}/",
    ):
        html = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_compare_page_shows_verdicts_gate_and_promote(
    pair: dict[str, Any], project: Project, lead: Any, admin: Any
) -> None:
    release_gate_update(project=project, actor=admin, rules=[{"rule": "no_significant_regression"}])
    comparison_compute(report_id=comparison_request(candidate=pair["v2"])[0].pk)
    html = client_for(lead).get(f"/p/{project.slug}/prompts/support/compare/").content.decode()
    assert "v2 vs v1: better on fluency; worse on relevance" in html
    assert 'data-testid="verdict-relevance">worse<' in html
    assert "significantly worse than production on relevance" in html
    assert "Promote v2 to production" in html and "Override reason" not in html
    admin_html = client_for(admin).get(f"/p/{project.slug}/prompts/support/compare/")
    assert "Override the gate and promote v2" in admin_html.content.decode()


def test_a_refused_promotion_shows_the_reasons(
    pair: dict[str, Any], project: Project, lead: Any, admin: Any
) -> None:
    release_gate_update(project=project, actor=admin, rules=[{"rule": "no_significant_regression"}])
    comparison_compute(report_id=comparison_request(candidate=pair["v2"])[0].pk)
    response = client_for(lead).post(
        f"/p/{project.slug}/prompts/support/v2/promote/", {"label": "production"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Promotion refused" in html
    assert "significantly worse than production on relevance" in html
    assert PromptLabel.objects.get(name="production").version == pair["v1"]


def test_an_admin_override_redirects_to_the_lineage_page(
    pair: dict[str, Any], project: Project, admin: Any
) -> None:
    release_gate_update(project=project, actor=admin, rules=[{"rule": "no_significant_regression"}])
    comparison_compute(report_id=comparison_request(candidate=pair["v2"])[0].pk)
    client = client_for(admin)
    response = client.post(
        f"/p/{project.slug}/prompts/support/v2/promote/",
        {"label": "production", "override_reason": "Fix <now>"},
    )
    promotion = Promotion.objects.get(to_version=pair["v2"])
    assert response.status_code == 302
    assert response["Location"] == f"/p/{project.slug}/promotions/{promotion.pk}/"
    html = client.get(response["Location"]).content.decode()
    assert "Fix &lt;now&gt;" in html and "rev1, rev2" in html
    assert "v2 vs v1: better on fluency" in html
    history = client.get(f"/p/{project.slug}/prompts/support/history/").content.decode()
    assert "failed, overridden" in history and "Fix &lt;now&gt;" in history


def test_requesting_reports_from_the_pages(
    light: dict[str, Any], project: Project, lead: Any
) -> None:
    client = client_for(lead)
    response = client.post(
        f"/p/{project.slug}/prompts/support/compare/request/", {"candidate": 2, "baseline": 1}
    )
    assert response.status_code == 302 and "candidate=2&baseline=1" in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert 'data-poll-url="/api/projects/' in page
    assert client.post(f"/p/{project.slug}/prompts/support/v2/scorecard/").status_code == 302


def test_reviewers_cannot_post(
    light: dict[str, Any], project: Project, reviewers: list[Any]
) -> None:
    client = client_for(reviewers[0])
    assert client.post(f"/p/{project.slug}/prompts/support/v2/promote/").status_code == 403
    assert client.post(f"/p/{project.slug}/prompts/support/v2/scorecard/").status_code == 403


def test_gate_page_edit_by_admin_only(project: Project, lead: Any, admin: Any) -> None:
    url = f"/p/{project.slug}/release-gate/"
    rows = gate_rows({"rule": "min_mean", "value": "4"})
    assert client_for(lead).post(url, rows).status_code == 403
    bad = client_for(admin).post(url, rows)
    assert bad.status_code == 400 and "Row 1, criterion: min_mean needs it" in bad.content.decode()
    broken = client_for(admin).post(url, {"rules-0-rule": "min_mean"})
    assert broken.status_code == 400 and "ManagementForm" in broken.content.decode()
    ok = client_for(admin).post(url, gate_rows({"rule": "no_significant_regression"}))
    assert ok.status_code == 302


@pytest.mark.parametrize(
    ("name", "fmt", "kind"),
    [
        ("differences", "svg", "image/svg+xml"),
        ("win-rate", "png", "image/png"),
    ],
)
def test_comparison_charts(
    pair: dict[str, Any], project: Project, lead: Any, name: str, fmt: str, kind: str
) -> None:
    report = comparison_compute(report_id=comparison_request(candidate=pair["v2"])[0].pk)
    url = f"/p/{project.slug}/version-reports/{report.pk}/charts/{name}.{fmt}?download=1"
    response = client_for(lead).get(url)
    assert response.status_code == 200 and response["Content-Type"] == kind
    assert response["Content-Disposition"].endswith(f'{name}.{fmt}"')
    assert client_for(lead).get(url.replace(name, "scorecard")).status_code == 404


def test_dashboard_shows_production_candidates_and_costs(
    light: dict[str, Any],
    project: Project,
    lead: Any,
    django_assert_max_num_queries: Callable[..., Any],
) -> None:
    client = client_for(lead)
    with django_assert_max_num_queries(25):
        html = client.get(f"/p/{project.slug}/dashboard/").content.decode()
    assert "Production: <a" in html and ">v1</a>" in html
    assert "v2 and v1 have no ratings on the same inputs yet." in html
    assert "$0.0120" in html  # six outputs at $0.002


def test_a_lead_creates_a_version_from_the_history_page(
    light: dict[str, Any], project: Project, lead: Any
) -> None:
    client = client_for(lead)
    page = client.get(f"/p/{project.slug}/prompts/support/history/").content.decode()
    assert "Answer {{ question }} (style 1)." in page  # prefilled from production v1
    url = f"/p/{project.slug}/prompts/support/versions/new/"
    bad = client.post(url, {"template_text": "x", "model_name": "m", "parameters": "[1]"})
    assert bad.status_code == 400 and "give a JSON object" in bad.content.decode()
    response = client.post(
        url,
        {
            "template_text": "New {{ question }}",
            "model_name": "m",
            "parameters": '{"temperature": 0}',
            "note": "shorter",
        },
    )
    assert response["Location"] == f"/p/{project.slug}/prompts/support/v3/"
    v3 = light["v1"].template.versions.get(number=3)
    assert (v3.parent, v3.note, v3.created_by) == (light["v1"], "shorter", lead)


def test_version_charts_draw_user_text_literally(
    pair: dict[str, Any], project: Project, lead: Any
) -> None:
    """A criterion named like matplotlib mathtext is drawn as text, not parsed (it was a 500)."""
    name = r"$\undefinedmacro{x}$"
    reports = {
        "version_comparison": comparison_compute(
            report_id=comparison_request(candidate=pair["v2"])[0].pk
        ),
        "scorecard": scorecard_compute(report_id=scorecard_request(version=pair["v1"])[0].pk),
    }
    for chart, spec in CHARTS.items():
        report = reports[spec.kind]
        assert report is not None
        results = json.loads(json.dumps(report.results).replace('"fluency"', json.dumps(name)))
        svg = render_chart(spec.build(results), "svg").decode()
        assert html.escape(name) in svg or chart == "win-rate", chart


def test_version_charts_draw_an_estimate_outside_its_interval(pair: dict[str, Any]) -> None:
    """Bootstrap intervals need not contain the estimate; the charts draw it (no 500)."""
    comparison = comparison_compute(report_id=comparison_request(candidate=pair["v2"])[0].pk)
    scorecard = scorecard_compute(report_id=scorecard_request(version=pair["v1"])[0].pk)
    assert comparison is not None and scorecard is not None
    moved = copy.deepcopy(comparison.results)
    for c in moved["criteria"].values():
        c["mean_difference"], c["ci"] = 1.5, {"low": -0.5, "high": 0.5}
    card = copy.deepcopy(scorecard.results)
    for c in card["criteria"]:
        c["human"].update(mean=4.8, ci_low=2.0, ci_high=3.0)
    for spec in CHARTS.values():
        results = moved if spec.kind == "version_comparison" else card
        assert render_chart(spec.build(results), "svg").startswith(b"<?xml")
