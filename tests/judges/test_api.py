"""The judge API end to end: endpoints, judges and versions, runs, calls, cancel and reports."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from llmops_core.models import AuditEvent, JudgeConfig, JudgeRun, Project
from llmops_core.services.judges.reports import judge_report_compute
from llmops_core.services.judges.runs import judge_run_create
from llmops_core.services.llm_runs import StepOptions
from tests.judges.helpers import make_outputs, make_queue, rate_queue, run_to_end
from tests.support.openai_server import LocalOpenAIServer

pytestmark = pytest.mark.django_db
SECRET = "sk-very-secret-value-9876"


def url(route: str, project: Project, **kwargs: Any) -> str:
    return reverse(route, kwargs={"project_slug": project.slug, **kwargs})


def test_a_lead_configures_runs_and_compares_a_judge_through_the_api(
    api_as: Callable[[Any], APIClient],
    project: Project,
    lead: Any,
    llm_server: LocalOpenAIServer,
    fast: StepOptions,
    team: list[Any],
) -> None:
    api = api_as(lead)
    queue = make_queue(project, make_outputs(project, 30))
    rate_queue(queue, team)
    created = api.post(
        url("api-llm-endpoints", project),
        {
            "name": "local",
            "base_url": llm_server.base_url,
            "api_key": SECRET,
            "concurrency": 4,
            "timeout_seconds": 5,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["api_key_last4"] == "9876" and created.json()["has_stored_key"]
    judge = api.post(
        url("api-judges", project),
        {
            "name": "quality",
            "description": "first",
            "version": {"model_name": "demo-judge", "temperature": 0, "endpoint": "local"},
        },
        format="json",
    )
    assert judge.status_code == 201, judge.content
    [version] = judge.json()["versions"]
    assert (version["number"], version["parameters"], version["endpoint"]) == (
        1,
        {"temperature": 0},
        "local",
    )
    same = api.post(
        url("api-judge-versions", project, name="quality"),
        {"model_name": "demo-judge", "temperature": 0, "endpoint": "local"},
        format="json",
    )
    assert same.status_code == 200 and same.json()["number"] == 1
    started = api.post(
        url("api-judge-runs", project),
        {"judge_version": version["id"], "queue_id": queue.pk},
        format="json",
    )
    assert started.status_code == 202, started.content
    assert started.json()["status"] == "pending" and started.json()["total_calls"] == 30
    run = run_to_end(JudgeRun.objects.get(pk=started.json()["id"]), fast)
    polled = api.get(url("api-judge-run", project, pk=run.pk)).json()
    assert polled["status"] == "succeeded" and polled["done_calls"] == 30
    assert polled["totals"]["latency_ms_p95"] is not None and float(polled["cost"]) > 0
    page = api.get(url("api-judge-run-calls", project, pk=run.pk), {"page_size": 20}).json()
    assert len(page["results"]) == 20 and page["next"]
    rest = api.get(page["next"]).json()
    assert len(rest["results"]) == 10 and rest["next"] is None
    assert page["results"][0]["raw_response"]["usage"]["prompt_tokens"] > 0
    report = api.post(
        url("api-judge-reports", project), {"run": run.pk, "bootstrap_draws": 100}, format="json"
    )
    assert report.status_code == 202, report.content
    judge_report_compute(report_id=report.json()["id"])
    read = api.get(url("api-judge-report", project, pk=report.json()["id"])).json()
    assert read["status"] == "succeeded"
    assert set(read["results"]["criteria"]) == {"fluency", "relevance", "factuality"}
    assert read["results"]["summary"]


def test_cancel_through_the_api(
    api_as: Callable[[Any], APIClient],
    project: Project,
    lead: Any,
    make_judge: Callable[..., Any],
) -> None:
    queue = make_queue(project, make_outputs(project, 3))
    run = judge_run_create(project=project, judge_version=make_judge(), queue_id=queue.pk)
    response = api_as(lead).post(url("api-judge-run-cancel", project, pk=run.pk))
    assert response.status_code == 202 and response.json()["status"] == "cancelled"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"judge_version": 999999, "queue_id": 1}, "judge_version"),
        ({"judge_version": None}, "judge_version"),
    ],
)
def test_bad_run_requests_say_which_field(
    api_as: Callable[[Any], APIClient],
    project: Project,
    lead: Any,
    body: dict[str, Any],
    field: str,
    make_judge: Callable[..., Any],
) -> None:
    response = api_as(lead).post(url("api-judge-runs", project), body, format="json")
    assert response.status_code == 400 and field in response.json()


def test_a_run_with_nothing_to_judge_is_a_400(
    api_as: Callable[[Any], APIClient],
    project: Project,
    lead: Any,
    make_judge: Callable[..., Any],
) -> None:
    response = api_as(lead).post(
        url("api-judge-runs", project), {"judge_version": make_judge().pk}, format="json"
    )
    assert response.status_code == 400
    assert "a queue or a list of output ids" in response.json()["detail"]


def test_the_key_never_leaves_the_server(
    api_as: Callable[[Any], APIClient],
    project: Project,
    lead: Any,
    make_judge: Callable[..., Any],
    client: Any,
) -> None:
    api = api_as(lead)
    api.post(
        url("api-llm-endpoints", project),
        {"name": "secret", "api_key": SECRET, "base_url": "http://127.0.0.1:9/v1"},
        format="json",
    )
    make_judge()
    bodies = [
        api.get(url(name, project)).content.decode()
        for name in ("api-llm-endpoints", "api-judges", "api-judge-runs")
    ]
    client.force_login(lead)
    bodies.append(client.get(reverse("judge-list", args=[project.slug])).content.decode())
    bodies.append(
        client.get(reverse("judge-detail", args=[project.slug, "quality"])).content.decode()
    )
    for body in bodies:
        assert SECRET not in body and "sk-very" not in body
        assert "api_key_encrypted" not in body and "gAAAA" not in body  # Fernet tokens
    assert "…9876" in bodies[3] or "9876" in json.dumps(bodies[0])


def test_list_endpoints_keep_their_query_count_flat(
    api_as: Callable[[Any], APIClient],
    project: Project,
    lead: Any,
    make_judge: Callable[..., Any],
    llm_server: LocalOpenAIServer,
    fast: StepOptions,
    django_assert_max_num_queries: Any,
) -> None:
    api = api_as(lead)
    for index in range(3):
        make_judge(f"judge-{index}")
        make_judge(f"judge-{index}", system_message="v2")
    queue = make_queue(project, make_outputs(project, 12))
    runs = [
        run_to_end(
            judge_run_create(project=project, judge_version=make_judge(), queue_id=queue.pk), fast
        )
        for _ in range(3)
    ]
    cases = [
        (url("api-judges", project), 10),
        (url("api-llm-endpoints", project), 6),
        (url("api-judge-runs", project), 6),
        (url("api-judge-run-calls", project, pk=runs[0].pk), 7),
        (url("api-judge-reports", project), 6),
        (url("api-judge-versions", project, name="judge-0"), 7),
    ]
    for path, budget in cases:
        with django_assert_max_num_queries(budget):
            assert api.get(path).status_code == 200, path


def test_the_admin_shows_only_the_last_four_characters_of_a_stored_key(
    project: Project,
    client: Any,
    django_user_model: Any,
) -> None:
    from llmops_core.services.judges.endpoints import endpoint_create

    endpoint = endpoint_create(
        project=project, name="admin-view", api_key=SECRET, base_url="http://127.0.0.1:9/v1"
    )
    client.force_login(django_user_model.objects.create_superuser("root", "r@x.io", "pw"))
    for path in (
        reverse("admin:llmops_core_llmendpoint_changelist"),
        reverse("admin:llmops_core_llmendpoint_change", args=[endpoint.pk]),
    ):
        body = client.get(path).content.decode()
        assert SECRET not in body and endpoint.api_key_encrypted not in body
        assert "9876" in body


@pytest.mark.parametrize(
    ("version", "field"),
    [
        ({"model_name": "m", "prompt_template": "{{ nope }}"}, "prompt_template"),
        ({"model_name": "m", "rubric_version": 999_999}, "rubric_version"),
        ({"model_name": "m", "endpoint": "missing"}, "endpoint"),
        ({"model_name": "m", "parameters": {"model": "x"}}, "parameters"),
        ({"model_name": " "}, "model_name"),
    ],
)
def test_a_judge_with_an_invalid_first_version_is_not_created_at_all(
    api_as: Callable[[Any], APIClient],
    project: Project,
    lead: Any,
    version: dict[str, Any],
    field: str,
) -> None:
    """All or nothing: a 400 for the inline version leaves no judge behind (and no audit entry)."""
    response = api_as(lead).post(
        url("api-judges", project), {"name": "quality", "version": version}, format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["detail"]
    assert not JudgeConfig.objects.filter(project=project).exists()
    assert not AuditEvent.objects.filter(action="judge.create").exists()
    retry = api_as(lead).post(
        url("api-judges", project),
        {"name": "quality", "version": {"model_name": "m"}},
        format="json",
    )
    assert retry.status_code == 201, retry.content
    assert [v["number"] for v in retry.json()["versions"]] == [1]
