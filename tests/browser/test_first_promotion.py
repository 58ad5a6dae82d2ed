"""A lead versions the rubric, the gate's rules are set in their form, and the first promotion
is gated: the worse of two candidates is refused, the better one becomes production."""

from __future__ import annotations

from typing import Any

import pytest

from llmops_core.models import Project, PromptLabel, ReleaseGate, Role, RubricVersion
from llmops_core.services.comparisons import comparison_compute, comparison_request
from llmops_core.services.scorecards import scorecard_compute, scorecard_request
from tests.browser.conftest import SCREENSHOTS, log_in
from tests.browser.versions_support import orm_beside_playwright
from tests.versions.helpers import all_criteria, make_outputs, make_queue, make_versions, rate_all

__all__ = ["orm_beside_playwright"]  # the fixture, imported for pytest to find
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
N = 8


@pytest.fixture
def rivals(project: Project, lead: Any, make_member: Any) -> dict[str, Any]:
    """v1 and v2, no production yet, rated on the same inputs: v1 is clearly worse."""
    make_member(Role.ADMIN, "the-admin")
    raters = [make_member(Role.REVIEWER, f"rater{i}") for i in (1, 2)]
    v1, v2 = make_versions(project, 2)
    queue = make_queue(project, make_outputs(project, v1, N) + make_outputs(project, v2, N), raters)
    for who, rater in enumerate(raters):
        rate_all(
            queue,
            rater,
            lambda o, w=who: all_criteria((2 if o.prompt_version_id == v1.pk else 4) + w),
        )
    for version in (v1, v2):
        scorecard_compute(report_id=scorecard_request(version=version)[0].pk)
    comparison_compute(report_id=comparison_request(candidate=v1, baseline=v2)[0].pk)
    return {"v1": v1, "v2": v2}


def edit_rubric(page: Any, url: str) -> None:
    """Change an anchor on the rubric page; saving makes v2."""
    page.goto(f"{url}/rubric/")
    assert page.inner_text("[data-testid=rubric-version]") == "v1"
    page.click("[data-testid=rubric-edit]")
    anchors = page.locator("#id_criteria-0-anchors")
    anchors.fill(anchors.input_value().replace("3: Understandable", "3: Readable"))
    page.fill("#id_note", "a kinder level 3")
    page.click("[data-testid=rubric-form] button[type=submit]")
    page.wait_for_url(f"{url}/rubric/")
    assert page.inner_text("[data-testid=rubric-version]") == "v2"
    assert "3\tReadable" in page.inner_text("[data-testid=criterion] >> nth=0")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "rubric.png"), full_page=True)


def set_gate(page: Any, url: str) -> None:
    """Fill the gate's rows; an off-scale value is refused naming the row, then corrected."""
    page.goto(f"{url}/release-gate/")
    page.select_option("#id_rules-0-rule", "no_significant_regression")
    page.select_option("#id_rules-1-rule", "min_rated_items")
    page.fill("#id_rules-1-items", str(N))
    page.fill("#id_rules-1-reviewers", "2")
    page.click("[data-testid=gate-form] button[type=submit]")
    page.wait_for_url(f"{url}/release-gate/")
    page.select_option("#id_rules-2-rule", "min_mean")
    page.select_option("#id_rules-2-criterion", "fluency")
    page.fill("#id_rules-2-value", "9")
    page.click("[data-testid=gate-form] button[type=submit]")
    errors = page.inner_text("[data-testid=gate-errors]")
    assert "Row 3, value: 9 is outside fluency's scale 1-5" in errors
    page.fill("#id_rules-2-value", "3")
    page.click("[data-testid=gate-form] button[type=submit]")
    page.wait_for_url(f"{url}/release-gate/")


@pytest.mark.usefixtures("orm_beside_playwright")
def test_first_promotion_refuses_the_worse_candidate_and_takes_the_better(
    live_server: Any, page: Any, browser: Any, project: Project, rivals: dict[str, Any]
) -> None:
    url = f"{live_server.url}/p/{project.slug}"
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, live_server.url, "the-lead")
    edit_rubric(page, url)
    assert RubricVersion.objects.filter(rubric__project=project).count() == 2

    admin = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    log_in(admin, live_server.url, "the-admin")
    set_gate(admin, url)
    assert ReleaseGate.objects.get(project=project).rules == [
        {"rule": "no_significant_regression"},
        {"rule": "min_rated_items", "items": N, "reviewers": 2},
        {"rule": "min_mean", "criterion": "fluency", "value": 3.0},
    ]
    admin.screenshot(path=str(SCREENSHOTS / "release-gate.png"), full_page=True)
    admin.context.close()

    page.goto(f"{url}/prompts/support/compare/?candidate=1&baseline=2")
    gate = page.inner_text("[data-testid=gate]")
    assert "fails" in gate and "significantly worse than v2" in gate
    page.click("[data-testid=promote]")
    refusal = page.inner_text("[data-testid=refusal]")
    assert "Promotion refused" in refusal and "significantly worse than v2" in refusal
    assert not PromptLabel.objects.filter(name="production").exists()

    page.goto(f"{url}/prompts/support/compare/?candidate=2&baseline=1")
    assert "passes" in page.inner_text("[data-testid=gate]")
    page.click("[data-testid=promote]")
    page.wait_for_url("**/promotions/*/")
    assert PromptLabel.objects.get(name="production").version == rivals["v2"]
