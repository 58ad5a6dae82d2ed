"""A lead compares prompt versions in the browser, is refused by the gate, then promotes one.

A real Celery worker computes the comparisons the lead asks for; an application then fetches
the new production prompt from the serving API.
"""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from llmops_core.models import Project, PromptLabel, PromptVersion, Role
from llmops_core.services.gates import release_gate_update
from llmops_core.services.prompts import prompt_label_set, prompt_version_create
from llmops_core.services.scorecards import scorecard_compute, scorecard_request
from llmops_core.services.tokens import token_create
from tests.browser.conftest import SCREENSHOTS, log_in
from tests.browser.versions_support import orm_beside_playwright
from tests.support.worker import WorkerProcess
from tests.versions.helpers import make_outputs, make_queue, make_versions, rate_all

__all__ = ["orm_beside_playwright"]  # the fixture, imported for pytest to find
pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]
N = 8


def scores(reviewer: Any, versions: dict[int, int]) -> Any:
    """v1 is middling; v2 is better on fluency but worse on relevance; v3 is better on all."""
    table = {1: (3, 4, 3), 2: (5, 2, 3), 3: (5, 5, 5)}

    def scores_for(output: Any) -> dict[str, int]:
        index = int(output.input["question"][1:])
        fluency, relevance, factuality = table[versions[output.prompt_version_id]]
        wobble = (
            (index + len(reviewer.username)) % 2 if versions[output.prompt_version_id] != 3 else 0
        )
        return {
            "fluency": fluency - wobble,
            "relevance": relevance,
            "factuality": max(1, factuality - wobble),
        }

    return scores_for


@pytest.fixture
def three_versions(project: Project, lead: Any, make_member: Any) -> dict[str, Any]:
    admin = make_member(Role.ADMIN, "the-admin")
    raters = [make_member(Role.REVIEWER, f"rater{i}") for i in (1, 2)]
    v1, v2 = make_versions(project, 2)
    v3, _ = prompt_version_create(
        template=v1.template,
        template_text="Answer {{ question }} briefly and cite the help centre.",
        model_name="local-generator",
        note="cites sources",
    )
    prompt_label_set(version=v1, label="production", actor=lead)
    outputs = [o for v in (v1, v2, v3) for o in make_outputs(project, v, N)]
    queue = make_queue(project, outputs, raters, overlap=2)
    numbers = {v.pk: v.number for v in (v1, v2, v3)}
    for rater in raters:
        rate_all(queue, rater, scores(rater, numbers))
    for version in (v2, v3):
        scorecard_compute(report_id=scorecard_request(version=version)[0].pk)
    release_gate_update(
        project=project,
        actor=admin,
        rules=[
            {"rule": "no_significant_regression"},
            {"rule": "min_rated_items", "items": N, "reviewers": 2},
        ],
    )
    return {"v1": v1, "v2": v2, "v3": v3}


def compare(page: Any, base: str, candidate: int) -> None:
    """Pick candidate vs production, ask for the comparison, and wait for the worker."""
    page.goto(base + "compare/")
    page.select_option("#id_candidate", str(candidate))
    page.select_option("#id_baseline", "1")
    page.click("form.compare-pick button[type=submit]")
    page.click("[data-testid=compute]")
    page.wait_for_selector("[data-testid=headline]", timeout=90_000)


@pytest.mark.usefixtures("orm_beside_playwright")
def test_lead_compares_is_refused_then_promotes(
    live_server: Any,
    celery_worker_process: WorkerProcess,
    page: Any,
    project: Project,
    three_versions: dict[str, Any],
    lead: Any,
) -> None:
    base = f"{live_server.url}/p/{project.slug}/prompts/support/"
    log_in(page, live_server.url, "the-lead")
    page.on("dialog", lambda dialog: dialog.accept())

    compare(page, base, 2)
    assert "worse on relevance" in page.inner_text("[data-testid=headline]")
    assert page.inner_text("[data-testid=verdict-relevance]") == "worse"
    page.click("[data-testid=promote]")
    refusal = page.inner_text("[data-testid=refusal]")
    assert "Promotion refused" in refusal
    assert "significantly worse than production on relevance" in refusal
    assert PromptLabel.objects.get(name="production").version.number == 1

    compare(page, base, 3)
    assert page.inner_text("[data-testid=headline]").startswith("v3 vs v1: better on")
    assert "passes" in page.inner_text("[data-testid=gate]")
    page.locator("[data-testid=chart-differences]").evaluate("img => img.decode()")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "compare.png"), full_page=True)
    page.click("[data-testid=promote]")
    page.wait_for_url("**/promotions/*/")
    assert "v1 → v3" in page.inner_text("h1")
    assert "rater1, rater2" in page.inner_text("[data-testid=lineage-ratings]")

    production = PromptLabel.objects.get(name="production").version
    assert production == PromptVersion.objects.get(pk=three_versions["v3"].pk)
    _, key = token_create(user=lead, name="app")
    app = APIClient()
    app.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    served = app.get("/api/prompts/support/").json()
    assert served["version"] == 3 and served["template_text"].endswith("cite the help centre.")


@pytest.mark.usefixtures("orm_beside_playwright")
def test_reviewer_prefers_with_the_keyboard(
    live_server: Any, page: Any, project: Project, make_member: Any
) -> None:
    """Keys 1, 2 and 0 record left, right and tie on the blind side-by-side page."""
    from annotate.models import PairwisePreference

    rater = make_member(Role.REVIEWER, "rater1")
    v1, v2 = make_versions(project, 2)
    queue = make_queue(
        project, make_outputs(project, v1, 3) + make_outputs(project, v2, 3), [rater], overlap=1
    )
    log_in(page, live_server.url, "rater1")
    page.goto(f"{live_server.url}/p/{project.slug}/queues/{queue.pk}/pairwise/")
    for key, done in (("1", "1 of 3"), ("2", "2 of 3"), ("0", "3 of 3")):
        page.wait_for_selector("[data-testid=pairwise-form]")
        page.keyboard.press(key)
        page.wait_for_function(
            "t => document.querySelector('[data-testid=pair-progress]').textContent.startsWith(t)",
            arg=done,
        )
    page.wait_for_selector("[data-testid=pairs-done]")
    choices = sorted(p.choice for p in PairwisePreference.objects.all())
    assert len(choices) == 3 and "tie" in choices
