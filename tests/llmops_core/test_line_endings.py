"""Text typed in browser text boxes (CRLF) and imported text is stored with "\\n" line breaks."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from rest_framework import serializers
from rest_framework.test import APIClient

from annotate.api.queues import QueueWriteSerializer
from annotate.forms import QueueForm
from annotate.serializers import EditSerializer, ScoresSerializer, SubmitSerializer
from llmops_core.api.judges.serializers import JudgeVersionWriteSerializer, JudgeWriteSerializer
from llmops_core.api.serializers import RubricWriteSerializer
from llmops_core.api.versions import PromoteSerializer
from llmops_core.forms.judges import JudgeForm
from llmops_core.forms.versions import PromoteForm
from llmops_core.io.imports import iter_records
from llmops_core.models import ModelOutput, Project, PromptTemplate
from llmops_core.services.imports import outputs_import
from llmops_core.services.prompts import prompt_template_create
from llmops_core.text import normalize_newlines

pytestmark = pytest.mark.django_db

TYPED = "First line\r\nsecond line\rthird line\r\n"
STORED = "First line\nsecond line\nthird line\n"


def test_crlf_and_lone_cr_become_lf() -> None:
    assert normalize_newlines(TYPED) == STORED
    assert normalize_newlines("\r\r\n\n") == "\n\n\n"


def test_a_version_typed_in_the_browser_is_stored_and_served_with_lf(
    client: Client, project: Project, lead: object
) -> None:
    # Served prompts are cached by version id, and an id can come again after an earlier
    # test's rows were rolled back: start from an empty cache.
    cache.clear()
    template = prompt_template_create(project=project, name="faq")
    client.force_login(lead)  # type: ignore[arg-type]
    response = client.post(
        reverse("prompt-version-new", args=[project.slug, "faq"]),
        {
            "system_message": "Be brief.\r\nBe kind.",
            "template_text": "Answer:\r\n{{ question }}\r\n",
            "model_name": "m",
            "parameters": "{}",
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    version = template.versions.get()
    assert version.template_text == "Answer:\n{{ question }}\n"
    assert version.system_message == "Be brief.\nBe kind."
    api = APIClient()
    api.force_authenticate(user=lead)  # type: ignore[arg-type]
    served = api.get(reverse("api-prompt-serve", args=["faq"]), {"version": 1})
    assert served.status_code == 200, served.content
    assert "\r" not in json.dumps(served.json())
    assert "Answer:\n{{ question }}\n" in served.json().values()


def test_a_version_posted_to_the_api_is_stored_with_lf(
    api_as: Callable[[object], APIClient], project: Project, lead: object
) -> None:
    prompt_template_create(project=project, name="faq")
    response = api_as(lead).post(
        reverse("api-prompt-versions", args=[project.slug, "faq"]),
        {"template_text": TYPED, "system_message": TYPED, "model_name": "m"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    version = PromptTemplate.objects.get(project=project).versions.get()
    assert (version.template_text, version.system_message) == (STORED, STORED)


FIELDS: list[tuple[type[serializers.Serializer[Any]], dict[str, Any], str]] = [
    (SubmitSerializer, {"client_token": "8c7d9f1e-1c1e-4a55-9d36-0a5cf6c2f7a1"}, "comment"),
    (EditSerializer, {}, "comment"),
    (ScoresSerializer, {"scores": {}}, "note"),
    (QueueWriteSerializer, {"name": "q", "rubric_version_id": 1}, "guidelines"),
    (PromoteSerializer, {}, "override_reason"),
    (JudgeWriteSerializer, {"name": "j"}, "description"),
    (JudgeVersionWriteSerializer, {"model_name": "m"}, "prompt_template"),
    (JudgeVersionWriteSerializer, {"model_name": "m"}, "system_message"),
    (RubricWriteSerializer, {"name": "r", "criteria": []}, "description"),
]


@pytest.mark.parametrize(("serializer", "data", "name"), FIELDS)
def test_api_text_fields_store_lf(
    serializer: type[serializers.Serializer[Any]], data: dict[str, Any], name: str
) -> None:
    given = serializer(data={**data, name: TYPED})
    assert given.is_valid(), given.errors
    assert given.validated_data[name].rstrip("\n") == STORED.rstrip("\n")


def test_rubric_criterion_descriptions_and_anchors_store_lf() -> None:
    criterion = {"name": "c", "description": TYPED, "anchors": {"1": "bad\r\nvery", "5": "ok"}}
    given = RubricWriteSerializer(data={"name": "r", "criteria": [criterion]})
    assert given.is_valid(), given.errors
    stored = given.validated_data["criteria"][0]
    assert stored["description"].rstrip("\n") == STORED.rstrip("\n")
    assert stored["anchors"]["1"] == "bad\nvery"


def test_form_text_boxes_store_lf() -> None:
    promote = PromoteForm(data={"label": "production", "override_reason": TYPED})
    judge = JudgeForm(data={"name": "j", "description": TYPED})
    assert promote.is_valid() and judge.is_valid(), (promote.errors, judge.errors)
    assert promote.cleaned_data["override_reason"] == STORED.rstrip("\n")
    assert judge.cleaned_data["description"] == STORED.rstrip("\n")
    assert QueueForm.base_fields["guidelines"].clean(TYPED) == STORED.rstrip("\n")


def test_imported_text_is_stored_with_lf(project: Project) -> None:
    rows = [
        {"external_id": "a", "output": TYPED, "input": TYPED},
        {"external_id": "b", "output": "o", "input": [{"role": "user", "content": TYPED}]},
        {"external_id": "c", "output": "o", "input": {"question": TYPED}},
        {"external_id": "d", "output": "plain", "input": "no breaks"},
    ]
    data = "\n".join(json.dumps(r) for r in rows).encode()
    outputs_import(project=project, source=lambda: iter_records(io.BytesIO(data), "jsonl"))
    stored = {o.external_id: o for o in ModelOutput.objects.filter(project=project)}
    assert (stored["a"].output_text, stored["a"].input) == (STORED, STORED)
    assert stored["b"].input == [{"role": "user", "content": STORED}]
    assert stored["c"].input == {"question": STORED}
    assert stored["d"].output_text == "plain"


def test_a_csv_cell_with_crlf_breaks_is_stored_with_lf(project: Project) -> None:
    data = b'external_id,output,input\r\nx,"one\r\ntwo",q\r\n'
    outputs_import(project=project, source=lambda: iter_records(io.BytesIO(data), "csv"))
    assert ModelOutput.objects.get(project=project).output_text == "one\ntwo"
