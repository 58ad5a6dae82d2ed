"""A screenshot of the routing rules page for the README, after rules have routed outputs."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from annotate.models import Queue
from annotate.services.demo import demo_seed
from annotate.services.queues import queue_create
from annotate.services.queues_state import queue_transition
from annotate.services.routing import routing_apply, routing_rule_create
from llmops_core.models import JudgeVersion, RoutingRuleDay
from tests.browser.conftest import SCREENSHOTS, log_in
from tests.routing.conftest import new_outputs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_routing_page_says_what_each_rule_did_today(page: Any, live_server: Any) -> None:
    project = demo_seed().project
    lead = get_user_model().objects.get(username="lead")
    queue = Queue.objects.get(project=project, name="Support replies")
    version = project.prompt_templates.get(name="support-reply").versions.get(number=1)
    judge = JudgeVersion.objects.filter(config__project=project).order_by("pk").first()
    assert judge is not None
    closed = queue_create(
        project=project, name="VIP escalations", rubric_version=queue.rubric_version
    )
    routing_rule_create(
        project=project,
        data={
            "name": "support sample",
            "queue": queue.pk,
            "rate_percent": "4",
            "filter": {"prompt_version_id": [version.pk]},
        },
        actor=lead,
    )
    routing_rule_create(
        project=project,
        data={
            "name": "<errors> to the judge",
            "judge_version": judge.pk,
            "judge_day_budget": "5",
            "filter": {"status": "error"},
        },
        actor=lead,
    )
    ids = new_outputs(project, 400, prefix="live", prompt_version=version)
    ids += new_outputs(project, 12, prefix="err", status="error")
    routing_rule_create(
        project=project,
        data={"name": "vip", "queue": closed.pk, "day_cap": 100, "filter": {"tag": ["vip"]}},
        actor=lead,
    )
    queue_transition(queue=closed, action="close", actor=lead)
    ids += new_outputs(project, 3, prefix="vip", tags=["vip"])
    routing_apply(project_id=project.pk, first_id=min(ids), last_id=max(ids))
    assert RoutingRuleDay.objects.filter(seen__gt=0).count() >= 2
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    log_in(page, live_server.url, "lead", "demo")
    page.goto(f"{live_server.url}/p/demo/routing/")
    page.wait_for_selector("#routing-rules")
    text = page.inner_text("#routing-rules")
    assert "of 400 outputs of support-reply v1 to queue Support replies" in text
    assert "<errors> to the judge" in text  # shown as text, not markup
    assert "3 skipped: queue closed" in text
    page.screenshot(path=str(SCREENSHOTS / "routing-rules.png"), full_page=True)
