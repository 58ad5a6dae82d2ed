"""Cost and latency next to quality: scorecards, the version comparison and the dashboard."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from llmops_core.models import ModelOutput, Project, PromptVersion
from llmops_core.selectors.operations import (
    operations_sentence,
    version_operations,
    versions_operations,
)
from llmops_core.services.monitoring import rollups_add
from llmops_core.services.prompts import prompt_template_create, prompt_version_create
from tests.factories import ModelOutputFactory
from tests.monitoring.helpers import START

pytestmark = pytest.mark.django_db


def _versions(project: Project) -> tuple[PromptVersion, PromptVersion]:
    template = prompt_template_create(project=project, name="support")
    v1 = prompt_version_create(template=template, template_text="a {{q}}", model_name="m")[0]
    v2 = prompt_version_create(template=template, template_text="b {{q}}", model_name="m")[0]
    return v1, v2


def _outputs(project: Project, version: PromptVersion, cost: str, latency: int, n: int) -> None:
    made = ModelOutput.objects.bulk_create(
        ModelOutputFactory.build(
            project=project,
            external_id=f"v{version.number}-{i}",
            prompt_version=version,
            started_at=START + dt.timedelta(minutes=i),
            cost=Decimal(cost),
            latency_ms=latency,
            tokens_in=10,
            tokens_out=20,
            status="error" if i == 0 else "ok",
            error_type="Timeout" if i == 0 else "",
        )
        for i in range(n)
    )
    rollups_add(project_id=project.pk, output_ids=[o.pk for o in made])


@pytest.fixture
def pair(project: Project) -> tuple[PromptVersion, PromptVersion]:
    v1, v2 = _versions(project)
    _outputs(project, v1, "0.0010", 800, 20)
    _outputs(project, v2, "0.0013", 1000, 10)
    return v1, v2


def test_version_operations_sum_the_versions_outputs(pair: Any) -> None:
    v1, v2 = pair
    ops = version_operations(v2.pk)
    assert ops is not None
    assert (ops["requests"], ops["errors"], ops["tokens_in"]) == (10, 1, 100)
    assert ops["error_rate"] == pytest.approx(0.1)
    assert ops["cost_mean"] == pytest.approx(0.0013)
    assert ops["latency_p95_ms"] == pytest.approx(1000, rel=0.045)
    assert set(versions_operations([v1.pk, v2.pk])) == {v1.pk, v2.pk}


def test_a_version_without_outputs_has_no_operations(project: Project) -> None:
    v1, v2 = _versions(project)
    assert version_operations(v1.pk) is None
    assert "No operations data for v2 or v1" in operations_sentence(candidate=v2, baseline=v1)


def test_sentence_says_how_much_more_it_costs_and_how_much_slower(pair: Any) -> None:
    v1, v2 = pair
    sentence = operations_sentence(candidate=v2, baseline=v1)
    assert sentence.startswith("v2 costs 30% more and is ")
    assert "ms slower at p95 than v1." in sentence
    assert "faster at p95" in operations_sentence(candidate=v1, baseline=v2)


def test_scorecard_compare_and_dashboard_show_operations(
    project: Project, pair: Any, lead: Any
) -> None:
    client = Client()
    client.force_login(lead)
    scorecard = client.get(reverse("version-scorecard", args=[project.slug, "support", 2]))
    assert 'data-testid="operations"' in scorecard.content.decode()
    assert "10 requests" in scorecard.content.decode()
    compare = client.get(
        reverse("version-compare", args=[project.slug, "support"]),
        {"candidate": 2, "baseline": 1},
    )
    assert "v2 costs 30% more" in compare.content.decode()
    dashboard = client.get(reverse("project-dashboard", args=[project.slug]))
    html = dashboard.content.decode()
    assert html.count('data-testid="operations"') == 2 and "20 requests" in html


def test_scorecard_of_a_version_without_outputs_says_no_data(project: Project, lead: Any) -> None:
    _versions(project)
    client = Client()
    client.force_login(lead)
    page = client.get(reverse("version-scorecard", args=[project.slug, "support", 1]))
    assert "Operations: no data" in page.content.decode()
