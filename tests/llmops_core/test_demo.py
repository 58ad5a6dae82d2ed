"""The demo seed: realistic, deterministic, idempotent."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from annotate.models import Queue
from llmops_core.models import ModelOutput, Project, PromptLabel

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_the_demo_project_and_prints_logins(
    capsys: pytest.CaptureFixture[str],
) -> None:
    call_command("seed_demo")
    out = capsys.readouterr().out
    project = Project.objects.get(slug="demo")
    for username in ("lead", "reviewer1", "reviewer2", "reviewer3"):
        assert f"{username} / demo" in out
        assert authenticate(username=username, password="demo") is not None
    assert project.prompt_templates.count() == 2
    for template in project.prompt_templates.all():
        assert template.versions.count() >= 2
        assert PromptLabel.objects.filter(template=template, name="production").exists()
    assert 200 <= ModelOutput.objects.filter(project=project).count() <= 1000
    queue = Queue.objects.get(project=project)
    assert queue.item_count > 0 and queue.reviewers.count() == 3


def test_seed_demo_is_deterministic_and_idempotent() -> None:
    call_command("seed_demo")
    first = list(
        ModelOutput.objects.order_by("external_id").values_list("external_id", "output_text")
    )
    call_command("seed_demo")
    assert (
        list(ModelOutput.objects.order_by("external_id").values_list("external_id", "output_text"))
        == first
    )
