"""A lead sets up prompts in the browser: a template, its first version, then an import.

Text typed in the browser's text boxes arrives as CRLF; it is stored with "\\n". An upload whose
rows name a prompt the project lacks is refused with one grouped error and an offer to create
the prompt, which imports the file again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from llmops_core.models import ImportJob, ModelOutput, Project, PromptTemplate
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_lead_creates_a_prompt_and_its_first_version(
    page: Any, live_server: Any, project: Project, lead: Any
) -> None:
    base = live_server.url
    log_in(page, base, "the-lead")
    page.goto(f"{base}/p/{project.slug}/")
    page.click("text=All prompts")
    page.click("text=New prompt")
    page.fill("#id_name", "travel-faq")
    page.fill("#id_description", "Questions travellers ask.\nShort answers.")
    page.click("button:has-text('Create the prompt')")
    form = page.locator("[data-testid=new-version]")
    assert form.is_visible()
    page.fill("#id_template_text", "Answer the question:\n{{ question }}")
    page.fill("#id_model_name", "m-1")
    page.click("button:has-text('Create the version')")
    page.wait_for_url("**/prompts/travel-faq/v1/")
    template = PromptTemplate.objects.get(project=project, name="travel-faq")
    assert template.description == "Questions travellers ask.\nShort answers."
    assert template.versions.get().template_text == "Answer the question:\n{{ question }}"
    page.goto(f"{base}/p/{project.slug}/prompts/")
    assert page.locator("[data-testid=prompts] >> text=travel-faq").count() == 1


def test_an_import_naming_an_unknown_prompt_offers_to_create_it(
    page: Any, live_server: Any, project: Project, lead: Any, tmp_path: Path
) -> None:
    rows = [
        {"external_id": f"q-{i}", "output": "o", "input": "i", "prompt": "support-bot"}
        for i in range(40)
    ]
    path = tmp_path / "support.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    base = live_server.url
    log_in(page, base, "the-lead")
    page.goto(f"{base}/p/{project.slug}/imports/new/")
    page.set_input_files("#id_file", str(path))
    page.click("button:has-text('Import')")
    errors = page.locator(".row-errors li")
    assert errors.count() == 1
    assert (
        errors.inner_text() == 'rows 1-40, field "prompt": no prompt "support-bot" in this project'
    )
    page.click("button:has-text('Create them and import the file again')")
    page.wait_for_selector(".status-succeeded")
    assert ImportJob.objects.filter(project=project, create_prompts=True).get().rows_created == 40
    assert ModelOutput.objects.filter(prompt_version__template__name="support-bot").count() == 40
