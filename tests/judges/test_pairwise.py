"""Pairwise judge runs: both orders asked, verdicts mapped back, flips recorded and reported."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from llmops_core.models import JudgePairVerdict, LLMCall, Project, PromptVersion
from llmops_core.services.judges.reports import judge_report_compute, judge_report_request
from llmops_core.services.judges.runs import judge_run_create, pairs_by_input
from llmops_core.services.llm_runs import StepOptions
from llmops_core.services.prompts import prompt_template_create, prompt_version_create
from tests.judges.helpers import make_outputs, make_queue, rate_queue, run_to_end
from tests.support.openai_server import LocalOpenAIServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_versions(project: Project) -> tuple[PromptVersion, PromptVersion]:
    template = prompt_template_create(project=project, name="support")
    a, _ = prompt_version_create(
        template=template, template_text="{{ question }}", model_name="demo-model"
    )
    b, _ = prompt_version_create(
        template=template, template_text="Answer: {{ question }}", model_name="demo-model"
    )
    return a, b


def test_pairs_join_outputs_of_two_versions_on_their_input(
    project: Project, two_versions: tuple[PromptVersion, PromptVersion]
) -> None:
    a, b = two_versions
    left = make_outputs(project, 5, prompt_version=a, seed=1, prefix="a")
    right = make_outputs(project, 3, prompt_version=b, seed=2, prefix="b")
    pairs = pairs_by_input(project, a.pk, b.pk)
    assert pairs == [[x.pk, y.pk] for x, y in zip(left[:3], right, strict=True)]


def test_pairwise_run_asks_both_orders_and_cancels_position_bias(
    project: Project,
    make_judge: Callable[..., Any],
    llm_server: LocalOpenAIServer,
    fast: StepOptions,
    two_versions: tuple[PromptVersion, PromptVersion],
    team: list[Any],
) -> None:
    llm_server.position_bias = 0.4  # four verdicts in ten say "A" whatever the order
    a, b = two_versions
    outputs = make_outputs(project, 20, prompt_version=a, seed=1, prefix="a") + make_outputs(
        project, 20, prompt_version=b, seed=2, prefix="b"
    )
    queue = make_queue(project, outputs)
    rate_queue(queue, team, noise=0.4)
    version = make_judge("pairs", mode="pairwise")
    run = judge_run_create(
        project=project, judge_version=version, queue_id=queue.pk, prompt_versions=(a.pk, b.pk)
    )
    run = run_to_end(run, fast)
    assert run.status == "succeeded", run.error
    assert run.total_calls == 40 and llm_server.request_count == 40
    keys = set(LLMCall.objects.filter(run_id=run.pk).values_list("subject_key", flat=True))
    first_a, first_b = run.parameters["pairs"][0]
    assert {f"pair:{first_a}:{first_b}:ab", f"pair:{first_a}:{first_b}:ba"} <= keys
    # Shown B first, the server's answer names the first position "A": mapped back it is B.
    bodies = [r.body for r in llm_server.requests]
    assert all(
        "<response_a>" in m["content"]
        for body in bodies
        for m in body["messages"]
        if m["role"] == "user"
    )
    verdicts = list(JudgePairVerdict.objects.filter(run=run))
    assert len(verdicts) == 60
    flips = [v for v in verdicts if v.verdict_ab != v.verdict_ba]
    assert flips, "the biased server should flip some verdicts"
    assert all(v.final == "tie" for v in flips)
    assert all(v.final == v.verdict_ab for v in verdicts if v not in flips)
    assert all("A shown first" in v.rationale and "B shown first" in v.rationale for v in verdicts)

    report = judge_report_compute(
        report_id=judge_report_request(project=project, run=run, bootstrap_draws=50).pk
    )
    assert report.status == "succeeded", report.error
    pairwise = report.results["pairwise"]
    assert pairwise["position_bias_rate"] == pytest.approx(len(flips) / len(verdicts))
    assert pairwise["human_agreement"] is not None
    assert "derived from the reviewers' mean scores" in pairwise["human_source"]
    assert any("Position bias" in line for line in report.results["summary"])
    [row] = report.results["versions"]
    assert row["trust_metric"] == "agreement with human preferences"
    assert row["cost_per_1000_items"] > 0  # two calls per pair


def test_pairwise_run_without_common_inputs_is_refused(
    project: Project,
    make_judge: Callable[..., Any],
    two_versions: tuple[PromptVersion, PromptVersion],
) -> None:
    from llmops_core.errors import DomainError

    a, b = two_versions
    make_outputs(project, 3, prompt_version=a, seed=1, prefix="a")
    with pytest.raises(DomainError, match="no input has an output of both versions"):
        judge_run_create(
            project=project,
            judge_version=make_judge("pairs", mode="pairwise"),
            prompt_versions=(a.pk, b.pk),
        )
