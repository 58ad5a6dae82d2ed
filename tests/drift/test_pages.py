"""Drift pages and API: leads only, every role checked on the server; user text escaped."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from llmops_core.models import JobStatus, Project, Report, ReportKind
from llmops_core.services.drift import drift_report_compute, drift_report_request
from tests.drift.builders import NOW, outputs_between, weeks_spec
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db
EXPECTED = {"outsider": 404, "reviewer": 403, "adjudicator": 403, "lead": 200, "admin": 200}
EVIL = '<script>alert("x")</script>'


@pytest.fixture
def done(project: Project) -> Report:
    rng = np.random.default_rng(3)
    outputs_between(project, since=NOW - timedelta(days=14), n=60, rng=rng, prefix="b")
    outputs_between(project, since=NOW - timedelta(days=7), n=60, rng=rng, prefix="a", scale=1.5)
    report, _ = drift_report_request(project=project, requested_by=None, spec=weeks_spec())
    computed = drift_report_compute(report_id=report.pk)
    assert computed is not None and computed.status == JobStatus.SUCCEEDED
    return computed


def _user(role: str, project: Project, make_member: Callable[..., object]) -> object:
    if role == "outsider":
        outsider = UserFactory()
        MembershipFactory(project=ProjectFactory(), user=outsider, role="admin")
        return outsider
    return make_member(role)


@pytest.mark.parametrize("role", list(EXPECTED))
def test_pages_and_api_are_for_leads_only(
    role: str, project: Project, done: Report, make_member: Callable[..., object]
) -> None:
    user = _user(role, project, make_member)
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    pages = [
        reverse("drift-list", args=[project.slug]),
        reverse("drift-detail", args=[project.slug, done.pk]),
        reverse("drift-chart", args=[project.slug, done.pk, "lengths", "svg"]),
    ]
    for url in pages:
        assert client.get(url).status_code == EXPECTED[role], url
    api = APIClient()
    api.force_authenticate(user)  # type: ignore[arg-type]
    kwargs = {"project_slug": project.slug}
    assert api.get(reverse("api-drift-reports", kwargs=kwargs)).status_code == EXPECTED[role]
    detail = reverse("api-drift-report", kwargs={**kwargs, "pk": done.pk})
    assert api.get(detail).status_code == EXPECTED[role]
    posted = api.post(reverse("api-drift-reports", kwargs=kwargs), {}, format="json")
    assert posted.status_code == (202 if EXPECTED[role] == 200 else EXPECTED[role])
    posted_page = client.post(reverse("drift-list", args=[project.slug]), {})
    assert posted_page.status_code == (302 if EXPECTED[role] == 200 else EXPECTED[role])
    created = Report.objects.filter(kind=ReportKind.DRIFT).exclude(pk=done.pk).count()
    assert (created >= 1) == (EXPECTED[role] == 200)


def test_anonymous_users_are_sent_to_log_in(project: Project, done: Report) -> None:
    response = Client().get(reverse("drift-detail", args=[project.slug, done.pk]))
    assert response.status_code == 302 and "login" in response["Location"]
    api = APIClient().get(reverse("api-drift-reports", kwargs={"project_slug": project.slug}))
    assert api.status_code in (401, 403)


def test_the_report_page_says_what_changed_in_words(
    project: Project, done: Report, lead: object
) -> None:
    client = Client()
    client.force_login(lead)  # type: ignore[arg-type]
    page = client.get(reverse("drift-detail", args=[project.slug, done.pk])).content.decode()
    assert "Outputs got" in page and "longer" in page
    assert 'data-testid="drift-signals"' in page


def test_criterion_names_and_models_are_escaped_on_the_page_and_in_charts(
    project: Project, lead: object
) -> None:
    rng = np.random.default_rng(4)
    report, _ = drift_report_request(project=project, requested_by=None, spec=weeks_spec())
    results = {
        "headline": EVIL,
        "sentences": [EVIL],
        "windows": {"before": {"label": EVIL, "n": 1}, "after": {"label": EVIL, "n": 1}},
        "drift": {
            "signals": {
                f"score:{EVIL}": {
                    "effect": 0.5,
                    "low": 0.1,
                    "high": 0.9,
                    "drifted": True,
                    "q_value": 0.01,
                    "effect_kind": "difference_of_means",
                    "test": "chi2",
                    "n_before": 9,
                    "n_after": 9,
                }
            },
            "alpha": 0.05,
            "minimum_effect": {},
        },
        "histograms": {"output_length": {"edges": [0.0, 1.0], "before": [1], "after": [1]}},
        "method": {"refusal_patterns": [EVIL], "vocabulary": {}},
    }
    assert rng is not None
    Report.objects.filter(pk=report.pk).update(status=JobStatus.SUCCEEDED, results=results)
    client = Client()
    client.force_login(lead)  # type: ignore[arg-type]
    page = client.get(reverse("drift-detail", args=[project.slug, report.pk])).content.decode()
    assert EVIL not in page and "&lt;script&gt;" in page
    for name in ("scores", "lengths"):
        svg = client.get(reverse("drift-chart", args=[project.slug, report.pk, name, "svg"]))
        assert svg.status_code == 200 and b"<script>" not in svg.content
    assert (
        b"&lt;script&gt;"
        in client.get(
            reverse("drift-chart", args=[project.slug, report.pk, "scores", "svg"])
        ).content
    )


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (
            {
                "before": {"since": "2026-01-02", "until": "2026-01-01"},
                "after": {"since": "2026-01-01", "until": "2026-01-03"},
            },
            "until",
        ),
        ({"before": {"since": "2026-01-01", "until": "2026-01-03"}}, "after"),
        (
            {
                "before": {"since": "soon", "until": "2026-01-03"},
                "after": {"since": "2026-01-01", "until": "2026-01-03"},
            },
            "since",
        ),
        (
            {
                "before": {"since": "2020-01-01", "until": "2026-01-03"},
                "after": {"since": "2026-01-01", "until": "2026-01-03"},
            },
            "366 days",
        ),
        (
            {
                "before": {
                    "since": "2026-01-01",
                    "until": "2026-01-03",
                    "prompt_version_id": 999999,
                },
                "after": {"since": "2026-01-01", "until": "2026-01-03"},
            },
            "prompt_version_id",
        ),
        ({"judge_version_id": 999999}, "judge_version_id"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_requests_are_400_saying_where_and_create_nothing(
    project: Project, lead: object, body: dict[str, object], fragment: str
) -> None:
    api = APIClient()
    api.force_authenticate(lead)  # type: ignore[arg-type]
    response = api.post(
        reverse("api-drift-reports", kwargs={"project_slug": project.slug}), body, format="json"
    )
    assert response.status_code == 400, response.content
    assert fragment in response.content.decode()
    assert not Report.objects.filter(kind=ReportKind.DRIFT).exists()


def test_the_list_endpoint_runs_a_fixed_number_of_queries(
    project: Project, lead: object, django_assert_max_num_queries: Callable[..., object]
) -> None:
    for days in range(5):
        spec = weeks_spec(end=NOW - timedelta(days=days))
        drift_report_request(project=project, requested_by=lead, spec=spec)
    api = APIClient()
    api.force_authenticate(lead)  # type: ignore[arg-type]
    with django_assert_max_num_queries(8):  # type: ignore[operator]
        response = api.get(reverse("api-drift-reports", kwargs={"project_slug": project.slug}))
    assert response.status_code == 200 and len(response.json()["results"]) == 5
