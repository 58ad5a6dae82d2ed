"""Every judge page and endpoint over every role: leads and admins in, reviewers 403, others 404."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from llmops_core.models import JudgeRun, Project, Report, Role
from llmops_core.services.judges.reports import judge_report_compute, judge_report_request
from llmops_core.services.judges.runs import judge_run_create
from llmops_core.services.llm_runs import StepOptions
from tests.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.judges.helpers import make_outputs, make_queue, rate_queue, run_to_end
from tests.support.openai_server import LocalOpenAIServer

pytestmark = pytest.mark.django_db


@dataclass
class World:
    project: Project
    run: JudgeRun
    report: Report
    item_id: int


@pytest.fixture
def world(
    project: Project,
    make_judge: Callable[..., Any],
    llm_server: LocalOpenAIServer,
    fast: StepOptions,
    team: list[Any],
) -> World:
    queue = make_queue(project, make_outputs(project, 6))
    rate_queue(queue, team)
    run = run_to_end(
        judge_run_create(project=project, judge_version=make_judge(), queue_id=queue.pk), fast
    )
    report = judge_report_compute(
        report_id=judge_report_request(project=project, run=run, bootstrap_draws=20).pk
    )
    assert report is not None and report.status == "succeeded", report and report.error
    item_id = report.results["criteria"]["fluency"]["worst"][0]["item_id"]
    return World(project, run, report, item_id)


def pages(w: World) -> list[str]:
    slug = w.project.slug
    return [
        reverse("judge-list", args=[slug]),
        reverse("judge-detail", args=[slug, "quality"]),
        reverse("judge-run", args=[slug, w.run.pk]),
        reverse("judge-run-calls", args=[slug, w.run.pk]),
        reverse("judge-report", args=[slug, w.report.pk]),
        reverse("judge-report-download", args=[slug, w.report.pk, "metrics.csv"]),
        reverse("judge-report-chart", args=[slug, w.report.pk, "bias", "svg"]),
        reverse("judge-report-item", args=[slug, w.report.pk, w.item_id]),
        reverse("judge-calibration", args=[slug, "quality"]),
        reverse("judge-calibration-chart", args=[slug, "quality", "svg"]) + "?criterion=fluency",
    ]


def posts(w: World) -> list[str]:
    slug = w.project.slug
    return [
        reverse("judge-list", args=[slug]),
        reverse("judge-endpoint-new", args=[slug]),
        reverse("judge-version-new", args=[slug, "quality"]),
        reverse("judge-run-new", args=[slug, "quality"]),
        reverse("judge-run-cancel", args=[slug, w.run.pk]),
        reverse("judge-run-report", args=[slug, w.run.pk]),
    ]


def api_urls(w: World) -> list[str]:
    kw = {"project_slug": w.project.slug}
    return [
        reverse("api-llm-endpoints", kwargs=kw),
        reverse("api-judges", kwargs=kw),
        reverse("api-judge-versions", kwargs={**kw, "name": "quality"}),
        reverse("api-judge-runs", kwargs=kw),
        reverse("api-judge-run", kwargs={**kw, "pk": w.run.pk}),
        reverse("api-judge-run-calls", kwargs={**kw, "pk": w.run.pk}),
        reverse("api-judge-reports", kwargs=kw),
        reverse("api-judge-report", kwargs={**kw, "pk": w.report.pk}),
        reverse("api-judge-calibration", kwargs={**kw, "name": "quality"}),
    ]


def api_posts(w: World) -> list[str]:
    kw = {"project_slug": w.project.slug}
    return [
        reverse("api-llm-endpoints", kwargs=kw),
        reverse("api-judges", kwargs=kw),
        reverse("api-judge-versions", kwargs={**kw, "name": "quality"}),
        reverse("api-judge-runs", kwargs=kw),
        reverse("api-judge-run-cancel", kwargs={**kw, "pk": w.run.pk}),
        reverse("api-judge-reports", kwargs=kw),
    ]


EXPECTED = {
    Role.REVIEWER: 403,
    Role.ADJUDICATOR: 403,
    Role.LEAD: 200,
    Role.ADMIN: 200,
    "outsider": 404,
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_pages_and_endpoints_over_roles(world: World, role: str) -> None:
    if role == "outsider":
        user = UserFactory()
        MembershipFactory(project=ProjectFactory(), user=user, role=Role.ADMIN)
    else:
        user = UserFactory()
        MembershipFactory(project=world.project, user=user, role=role)
    client, api = Client(), APIClient()
    client.force_login(user)
    api.force_authenticate(user)
    expected = EXPECTED[role]
    for path in pages(world):
        assert client.get(path).status_code == expected, path
    for path in api_urls(world):
        assert api.get(path).status_code == expected, path
    if expected != 200:
        runs, reports = JudgeRun.objects.count(), Report.objects.count()
        for path in posts(world):
            assert client.post(path, {}).status_code == expected, path
        for path in api_posts(world):
            assert api.post(path, {}, format="json").status_code == expected, path
        assert (JudgeRun.objects.count(), Report.objects.count()) == (runs, reports)
        world.run.refresh_from_db()
        assert not world.run.cancel_requested


def test_anonymous_visitors_are_sent_to_log_in(world: World) -> None:
    client, api = Client(), APIClient()
    for path in pages(world):
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for path in api_urls(world):
        assert api.get(path).status_code in (401, 403)
