"""A whole study in real chromium, from an instance with one staff user to a decision.

The lead creates the project, adds three reviewers, creates a prompt and two versions, imports
one file per version, sets the gate, and builds ONE queue over both versions. The queue serves
the versions mixed (never all of v1 first). Three reviewers rate it with the keyboard only;
v2 is better on every criterion. The lead reads the agreement report and the comparison, then
promotes: v1 is refused by the first-promotion rule, v2 becomes production. A real Celery
worker computes the reports. Reviewer accounts are made by a fixture (test_people covers
account creation); every other step is the browser's.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from annotate.models import Queue
from llmops_core.models import ModelOutput, Project, PromptLabel, Role
from tests.browser.conftest import SCREENSHOTS, eventually, log_in
from tests.browser.study_support import QUESTIONS, import_file, rate_everything
from tests.browser.versions_support import orm_beside_playwright
from tests.factories import UserFactory
from tests.support.worker import WorkerProcess

__all__ = ["orm_beside_playwright"]  # the fixture, imported for pytest to find
pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]
REVIEWERS = ("remy", "rita", "rosa")
N = len(QUESTIONS)


def create_project(page: Any, base: str) -> str:
    """Create the project and add the three reviewers; return the project's URL."""
    page.click("#project-new-link")
    page.fill("#id_name", "Travel FAQ study")
    page.fill("#id_description", "Which prompt answers travellers best?")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "project-new.png"))
    page.click("#project-form button[type=submit]")
    page.wait_for_selector("text=you are its admin")
    for name in REVIEWERS:
        page.fill("#id_user", name)
        page.select_option("#id_role", "reviewer")
        page.click("#member-add button[type=submit]")
        page.wait_for_selector(f"text={name} added as reviewer.")
    return f"{base}/p/travel-faq-study"


def create_prompt(page: Any, url: str) -> None:
    """Create the template and its first version, then a second version."""
    page.goto(f"{url}/")
    page.click("text=All prompts")
    page.click("text=New prompt")
    page.fill("#id_name", "travel-faq")
    page.fill("#id_description", "Questions travellers ask.")
    page.click("button:has-text('Create the prompt')")
    page.fill("#id_template_text", "Answer:\n{{ question }}")
    page.fill("#id_model_name", "m-1")
    page.screenshot(path=str(SCREENSHOTS / "prompt-new.png"), full_page=True)
    page.click("button:has-text('Create the version')")
    page.wait_for_url("**/prompts/travel-faq/v1/")
    page.goto(f"{url}/prompts/")
    page.click("[data-testid=prompts] >> text=New version")
    page.fill("#id_template_text", "Answer the traveller's question precisely:\n{{ question }}")
    page.fill("#id_model_name", "m-1")
    page.click("[data-testid=new-version] button:has-text('Create the version')")
    page.wait_for_url("**/prompts/travel-faq/v2/")


def import_files(page: Any, url: str, folder: Path) -> None:
    """Upload one file per version through the import page."""
    for version in (1, 2):
        page.goto(f"{url}/imports/new/")
        page.set_input_files("#id_file", str(import_file(folder, version)))
        page.click("button:has-text('Import')")
        page.wait_for_selector(".status-succeeded")
    page.goto(f"{url}/prompts/")
    page.screenshot(path=str(SCREENSHOTS / "prompt-list.png"), full_page=True)


def set_gate(page: Any, url: str) -> None:
    """The gate's rules for twelve questions rated by all three reviewers."""
    page.goto(f"{url}/release-gate/")
    page.select_option("#id_rules-0-rule", "no_significant_regression")
    page.select_option("#id_rules-1-rule", "min_rated_items")
    page.fill("#id_rules-1-items", str(N))
    page.fill("#id_rules-1-reviewers", "3")
    page.click("[data-testid=gate-form] button[type=submit]")
    page.wait_for_url(f"{url}/release-gate/")


def build_queue(page: Any, url: str) -> Queue:
    """One queue over both versions, all three reviewers, the default (random) order."""
    page.goto(f"{url}/queues/new/")
    page.fill("#id_name", "v1 and v2, blind")
    for box in page.locator('input[name="prompt_versions"]').all():
        box.check()
    count = page.locator('[data-testid="preview-count"]')
    eventually(lambda: count.inner_text() == f"{2 * N} outputs chosen")
    page.fill("#id_seed", "7")
    for box in page.locator('input[name="reviewers"]').all():
        if box.evaluate("b => b.closest('label').textContent.trim()") in REVIEWERS:
            box.check()
    page.click("#queue-form button.primary")
    page.wait_for_selector("#queue-design")
    queue = Queue.objects.get(name="v1 and v2, blind")
    assert (queue.item_count, queue.order, queue.overlap) == (2 * N, "random", 3)
    assert "Random" in page.inner_text("#queue-design")
    return queue


def item_arms(queue: Queue) -> dict[int, tuple[int, int]]:
    """Map each item to (version number, question index)."""
    rows = queue.items.values_list("pk", "output__prompt_version__number", "output__external_id")
    return {pk: (number, int(external.split("-q")[1])) for pk, number, external in rows}


def assert_mixed(order: list[tuple[int, int]]) -> None:
    """The versions are mixed from the start, and one question's answers are never adjacent.

    The default order shuffles blocks of ten inputs, one answer of each input per round: the
    first twenty items hold ten answers of each version (not all of v1, then all of v2).
    """
    versions = [version for version, _ in order]
    assert versions != sorted(versions) and versions != sorted(versions, reverse=True)
    assert versions[:20].count(1) == versions[:20].count(2) == 10, versions
    questions = [question for _, question in order]
    assert all(a != b for a, b in pairwise(questions)), questions


def read_reports(page: Any, url: str, queue: Queue) -> None:
    """Ask for the agreement report, both scorecards and the comparison; read them."""
    page.goto(f"{url}/reports/")
    page.select_option("#id_queue", str(queue.pk))
    page.click("[data-testid=request-report]")
    page.wait_for_url("**/reports/*/")
    report_url = page.url
    for number in (1, 2):
        page.goto(f"{url}/prompts/travel-faq/v{number}/")
        page.click("[data-testid=recompute]")
    page.goto(f"{url}/prompts/travel-faq/compare/?candidate=2&baseline=1")
    page.click("[data-testid=compute]")
    page.wait_for_selector("[data-testid=headline]", timeout=90_000)
    headline = page.inner_text("[data-testid=headline]")
    assert headline.startswith("v2 vs v1: better on"), headline
    for criterion in ("fluency", "relevance", "factuality"):
        assert page.inner_text(f"[data-testid=verdict-{criterion}]") == "better"

    page.goto(report_url)
    page.wait_for_selector("[data-testid=headline]", timeout=90_000)
    assert page.inner_text("[data-testid=headline]").startswith("Reviewers agree")
    assert page.locator("#reviewers tbody tr").count() == len(REVIEWERS)
    for number in (1, 2):
        page.goto(f"{url}/prompts/travel-faq/v{number}/")
        page.wait_for_selector("[data-testid=scorecard] >> text=Scorecard #", timeout=90_000)


def promote(page: Any, url: str) -> None:
    """v1 is refused as the first production (worse than v2); v2 is promoted."""
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{url}/prompts/travel-faq/compare/?candidate=1&baseline=2")
    assert "fails" in page.inner_text("[data-testid=gate]")
    page.click("[data-testid=promote]")
    refusal = page.inner_text("[data-testid=refusal]")
    assert "Promotion refused" in refusal and "significantly worse than v2" in refusal
    assert not PromptLabel.objects.filter(name="production").exists()

    page.goto(f"{url}/prompts/travel-faq/compare/?candidate=2&baseline=1")
    assert "passes" in page.inner_text("[data-testid=gate]")
    page.click("[data-testid=promote]")
    page.wait_for_url("**/promotions/*/")
    assert PromptLabel.objects.get(name="production").version.number == 2


@pytest.mark.usefixtures("orm_beside_playwright")
def test_a_lead_runs_a_study_from_an_empty_instance_to_a_promotion(
    live_server: Any,
    celery_worker_process: WorkerProcess,
    page: Any,
    browser: Any,
    tmp_path: Path,
) -> None:
    UserFactory(username="sam", is_staff=True)
    reviewers = [UserFactory(username=name) for name in REVIEWERS]
    base = live_server.url
    log_in(page, base, "sam")
    url = create_project(page, base)
    project = Project.objects.get(slug="travel-faq-study")
    assert dict(project.memberships.values_list("user__username", "role")) == {
        "sam": Role.ADMIN,
        **{name: Role.REVIEWER for name in REVIEWERS},
    }
    create_prompt(page, url)
    import_files(page, url, tmp_path)
    by_version = ModelOutput.objects.filter(project=project).values_list(
        "prompt_version__number", flat=True
    )
    assert sorted(by_version) == [1] * N + [2] * N
    set_gate(page, url)

    queue = build_queue(page, url)
    arms = item_arms(queue)
    in_order = [arms[pk] for pk in queue.items.order_by("position").values_list("pk", flat=True)]
    assert_mixed(in_order)

    for number, user in enumerate(reviewers):
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.set_default_timeout(10_000)
        rater = context.new_page()
        try:
            log_in(rater, base, user.username)
            served = rate_everything(rater, f"{url}/queues/{queue.pk}/rate/", (number, user), arms)
        finally:
            context.close()
        assert sorted(served) == sorted(in_order)
        assert_mixed(served)

    read_reports(page, url, queue)
    promote(page, url)
