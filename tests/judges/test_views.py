"""The judge pages: forms that create judges, versions and runs; escaping; the report page."""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from llmops_core.charts import render as render_chart
from llmops_core.charts.judge import charts_for
from llmops_core.models import JudgeRun, JudgeVersion, LLMCall, LLMEndpoint, Project, Report
from llmops_core.services.judges.reports import judge_report_compute, judge_report_request
from llmops_core.services.judges.runs import judge_run_create
from llmops_core.services.llm_runs import StepOptions
from tests.judges.helpers import make_outputs, make_queue, rate_queue, run_to_end
from tests.support.openai_server import LocalOpenAIServer

pytestmark = pytest.mark.django_db
XSS = '<script>alert("x")</script>'


def prefixed(prefix: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {f"{prefix}-{name}": value for name, value in fields.items()}


@pytest.fixture
def lead_client(client: Client, lead: Any) -> Client:
    client.force_login(lead)
    return client


def test_a_lead_creates_an_endpoint_a_judge_and_a_new_version_with_forms(
    lead_client: Client,
    project: Project,
) -> None:
    slug = project.slug
    response = lead_client.post(
        reverse("judge-endpoint-new", args=[slug]),
        prefixed(
            "endpoint",
            {
                "name": "prod",
                "base_url": "http://127.0.0.1:9/v1",
                "api_key": "sk-form-key-4321",
                "concurrency": 8,
                "timeout_seconds": 30,
            },
        ),
        follow=True,
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "sk-form-key" not in body and "…4321" in body
    endpoint = LLMEndpoint.objects.get(project=project, name="prod")
    rubric = project.rubrics.get().versions.get()
    fields = prefixed(
        "version",
        {
            "model_name": "gpt-4o-mini",
            "mode": "pointwise",
            "response_format": "json_schema",
            "temperature": "0",
            "parameters": "",
            "rubric_version": rubric.pk,
            "endpoint": endpoint.pk,
            "system_message": "",
            "prompt_template": "",
        },
    )
    response = lead_client.post(
        reverse("judge-list", args=[slug]), {**fields, "judge-name": "helpful"}
    )
    assert response.status_code == 302
    version = JudgeVersion.objects.get(config__name="helpful")
    assert version.parameters == {"temperature": 0.0} and version.endpoint == endpoint
    new = reverse("judge-version-new", args=[slug, "helpful"])
    again = lead_client.post(new, fields, follow=True).content.decode()
    assert "Nothing changed: this is version 1." in again
    changed = lead_client.post(
        new,
        {**fields, "version-system_message": "Be strict.", "version-parameters": '{"seed": 7}'},
        follow=True,
    )
    assert "Saved as version 2." in changed.content.decode()
    assert JudgeVersion.objects.get(config__name="helpful", number=2).parameters == {
        "seed": 7,
        "temperature": 0.0,
    }
    bad = lead_client.post(new, {**fields, "version-parameters": "[1]"})
    assert bad.status_code == 200 and "give a JSON object" in bad.content.decode()


def test_the_run_form_starts_a_run_on_a_queue(
    lead_client: Client,
    project: Project,
    make_judge: Callable[..., Any],
) -> None:
    version = make_judge()
    queue = make_queue(project, make_outputs(project, 4))
    response = lead_client.post(
        reverse("judge-run-new", args=[project.slug, "quality"]),
        {"run-judge_version": version.pk, "run-queue": queue.pk, "run-budget": "0.25"},
    )
    run = JudgeRun.objects.get()
    assert run.parameters["budget"] == "0.25"
    assert response.status_code == 302
    assert response["Location"] == reverse("judge-run", args=[project.slug, run.pk])
    page = lead_client.get(response["Location"]).content.decode()
    assert 'data-run-poll-url="' in page and "Cancel run" in page and "budget cap 0.25" in page
    assert "sk-test-secret" not in page and "stored key" in page


def test_model_text_is_escaped_in_the_call_log_and_the_report(
    lead_client: Client,
    project: Project,
    make_judge: Callable[..., Any],
    llm_server: LocalOpenAIServer,
    fast: StepOptions,
    team: list[Any],
) -> None:
    outputs = make_outputs(project, 12)
    outputs[0].output_text = f"{XSS} " + outputs[0].output_text
    outputs[0].save()
    queue = make_queue(project, outputs)
    rate_queue(queue, team)
    run = run_to_end(
        judge_run_create(project=project, judge_version=make_judge(), queue_id=queue.pk), fast
    )
    LLMCall.objects.filter(run_id=run.pk).update(parse_error=XSS, content=XSS)
    calls = lead_client.get(reverse("judge-run-calls", args=[project.slug, run.pk]))
    body = calls.content.decode()
    assert XSS not in body and "&lt;script&gt;" in body
    assert "script-src 'self'" in calls["Content-Security-Policy"]
    report = judge_report_compute(
        report_id=judge_report_request(project=project, run=run, bootstrap_draws=20).pk
    )
    page = lead_client.get(reverse("judge-report", args=[project.slug, report.pk]))
    text = page.content.decode()
    assert XSS not in text and "In plain words" in text
    assert "<script>" not in text.replace('<script src="', "")


def test_the_call_log_pages_by_id_and_filters_by_status(
    lead_client: Client,
    project: Project,
    make_judge: Callable[..., Any],
    llm_server: LocalOpenAIServer,
    fast: StepOptions,
) -> None:
    LLMEndpoint.objects.update(concurrency=1)  # so the scripted faults hit one call
    llm_server.script(["wrong_schema", "wrong_schema"])
    run = run_to_end(
        judge_run_create(
            project=project,
            judge_version=make_judge(),
            queue_id=make_queue(project, make_outputs(project, 60)).pk,
        ),
        StepOptions(chunk_size=60, policy=fast.policy, sleep=fast.sleep, prices=fast.prices),
    )
    url = reverse("judge-run-calls", args=[project.slug, run.pk])
    first = lead_client.get(url)
    assert first.context["next_after"] is not None and len(first.context["rows"]) == 50
    second = lead_client.get(url, {"after": first.context["next_after"]})
    assert len(second.context["rows"]) == 10 and second.context["next_after"] is None
    errors = lead_client.get(url, {"status": "error"})
    assert len(errors.context["rows"]) == 1
    assert "Parse error" in errors.content.decode()


def test_report_page_downloads_and_charts(
    lead_client: Client,
    project: Project,
    make_judge: Callable[..., Any],
    llm_server: LocalOpenAIServer,
    fast: StepOptions,
    team: list[Any],
) -> None:
    outputs = make_outputs(project, 20)
    outputs[0].output_text = '=HYPERLINK("http://evil") ' + outputs[0].output_text
    outputs[0].save()
    queue = make_queue(project, outputs)
    rate_queue(queue, team, bias=[2.0, 2.0, 2.0])
    run = run_to_end(
        judge_run_create(project=project, judge_version=make_judge(), queue_id=queue.pk), fast
    )
    pending = judge_report_request(project=project, run=run, bootstrap_draws=30)
    waiting = lead_client.get(reverse("judge-report", args=[project.slug, pending.pk]))
    assert 'data-poll-url="' in waiting.content.decode()
    report = judge_report_compute(report_id=pending.pk)
    assert isinstance(report, Report)
    page = lead_client.get(reverse("judge-report", args=[project.slug, report.pk])).content.decode()
    for name in ("heatmap", "bias", "calibration", "cost", "trend"):
        assert f"/charts/{name}.svg" in page
        svg = lead_client.get(
            reverse("judge-report-chart", args=[project.slug, report.pk, name, "svg"])
        )
        assert svg.status_code == 200 and svg.content.startswith(b"<?xml")
    png = lead_client.get(
        reverse("judge-report-chart", args=[project.slug, report.pk, "heatmap", "png"]),
        {"download": 1},
    )
    assert png.content.startswith(b"\x89PNG") and "attachment" in png["Content-Disposition"]
    metrics = lead_client.get(
        reverse("judge-report-download", args=[project.slug, report.pk, "metrics.csv"])
    )
    rows = list(csv.DictReader(io.StringIO(metrics.content.decode())))
    kappa = next(
        r for r in rows if r["criterion"] == "fluency" and r["metric"] == "quadratic_kappa"
    )
    assert float(kappa["value"]) == pytest.approx(
        report.results["criteria"]["fluency"]["agreement"]["quadratic_kappa"]
    )
    worst = lead_client.get(
        reverse("judge-report-download", args=[project.slug, report.pk, "disagreements.csv"])
    )
    text = worst.content.decode()
    assert "'=HYPERLINK" in text or "=HYPERLINK" not in text
    as_json = lead_client.get(
        reverse("judge-report-download", args=[project.slug, report.pk, "report.json"])
    ).json()
    assert as_json["results"]["summary"] == report.results["summary"]
    # Humans score two points higher than the judge: the summary says so.
    assert "lower than the humans" in page
    missing = reverse("judge-report-chart", args=[project.slug, report.pk, "nope", "svg"])
    assert lead_client.get(missing).status_code == 404


def test_the_item_page_shows_human_ratings_and_the_judge_rationale(
    lead_client: Client,
    project: Project,
    make_judge: Callable[..., Any],
    llm_server: LocalOpenAIServer,
    fast: StepOptions,
    team: list[Any],
) -> None:
    queue = make_queue(project, make_outputs(project, 8))
    rate_queue(queue, team)
    run = run_to_end(
        judge_run_create(project=project, judge_version=make_judge(), queue_id=queue.pk), fast
    )
    report = judge_report_compute(
        report_id=judge_report_request(project=project, run=run, bootstrap_draws=10).pk
    )
    worst = report.results["criteria"]["relevance"]["worst"][0]
    page = lead_client.get(
        reverse("judge-report-item", args=[project.slug, report.pk, worst["item_id"]])
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert all(member.username in text for member in team)
    assert "Local heuristic judge" in text and f"subject=out%3A{worst['output_id']}" in text


def test_every_judge_chart_draws_user_text_literally(
    project: Project,
    make_judge: Callable[..., Any],
    llm_server: LocalOpenAIServer,
    fast: StepOptions,
    team: list[Any],
) -> None:
    """A criterion named like matplotlib mathtext is drawn as text, not parsed (it was a 500)."""
    queue = make_queue(project, make_outputs(project, 12))
    rate_queue(queue, team, bias=[1.0, 1.0, 1.0])
    run = run_to_end(
        judge_run_create(project=project, judge_version=make_judge(), queue_id=queue.pk), fast
    )
    report = judge_report_compute(
        report_id=judge_report_request(project=project, run=run, bootstrap_draws=20).pk
    )
    assert isinstance(report, Report)
    name = r"$\undefinedmacro{x}$"
    results = json.loads(json.dumps(report.results).replace('"fluency"', json.dumps(name)))
    for chart, build in charts_for(results).items():
        svg = render_chart(build(results), "svg").decode()
        assert html.escape(name) in svg or chart in ("cost", "trend"), chart
