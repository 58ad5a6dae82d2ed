"""Untrusted text is inert on every page, in Chromium.

The permission matrix's world (``tests/security/world.py``) gets an XSS payload in everything
users, files and models write: the project's name, every output and input, reviewers' comments,
queue names and guidelines, a prompt version's template and system message, dataset inputs and
an audit entry. Then every HTML page the URL conf has, filled in by the permission rules, is
opened as a lead and as a reviewer: no script may run and no injected element may exist, while
the payload's text is there to read.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from annotate.models import Annotation, Queue
from llmops_core.models import DatasetRow, ModelOutput, Project
from llmops_core.services.audit import audit_record
from llmops_core.services.prompts import prompt_version_create
from tests.browser.conftest import log_in
from tests.security.permission_rules import rule_for
from tests.security.urlconf import endpoints
from tests.security.world import World, build_world

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PAYLOAD = (
    'x"><img src=x data-xss="1" onerror="window.__xss=1">'
    '<script>window.__xss=1</script><svg onload="window.__xss=1" data-xss="1"></svg>'
)
READABLE = "window.__xss=1"  # shown as text where the payload is rendered, escaped


def _poison(world: World) -> None:
    project = world.project
    Project.objects.filter(pk=project.pk).update(name=f"Support {PAYLOAD}")
    ModelOutput.objects.filter(project=project).update(
        output_text=f"Answer {PAYLOAD}", input={"question": PAYLOAD, "product": PAYLOAD}
    )
    Annotation.objects.filter(item__queue__project=project).update(comment=f"Note {PAYLOAD}")
    for queue in Queue.objects.filter(project=project):  # names are unique per project
        Queue.objects.filter(pk=queue.pk).update(
            name=f"Queue {queue.pk} {PAYLOAD}", guidelines=f"Rate *carefully* {PAYLOAD}"
        )
    DatasetRow.objects.filter(dataset__project=project).update(input={"question": PAYLOAD})
    prompt_version_create(
        template=world.v1.template,
        template_text="{{ question }} " + PAYLOAD,
        system_message=PAYLOAD,
        model_name="gpt-xss",
    )
    audit_record(
        actor=world.users["lead"],
        action="note.xss",
        obj=project,
        project=project,
        after={"note": PAYLOAD},
    )


def _html_pages(world: World, role: str) -> list[str]:
    """Return the paths of the HTML pages ``role`` may GET (files and JSON are left out)."""
    client = Client()
    client.force_login(world.users[role])
    paths = []
    for endpoint in endpoints():
        rule = rule_for(endpoint.name) if endpoint.name else None
        if rule is None or rule.api or rule.admin_site or role not in rule.verbs.get("GET", ()):
            continue
        path = endpoint.path(rule.url_kwargs(world, list(endpoint.params))) + rule.query
        response = client.get(path)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            paths.append(path)
    return paths


def test_xss_payloads_stay_text_on_every_page(page: Any, live_server: Any) -> None:
    world = build_world()
    _poison(world)
    shown = 0
    for role in ("lead", "reviewer"):
        paths = _html_pages(world, role)
        assert len(paths) >= (20 if role == "lead" else 3), paths
        page.context.clear_cookies()
        log_in(page, live_server.url, world.users[role].username)
        for path in paths:
            page.goto(live_server.url + path)
            page.wait_for_load_state("networkidle")
            ran = page.evaluate("window.__xss")
            injected = page.locator("[data-xss]").count()
            assert ran is None and injected == 0, f"{path} as {role}: script ran or markup got in"
            shown += READABLE in page.inner_text("body")
    assert shown >= 10, "the payload was not rendered (as text) on enough pages to mean anything"
