"""Judge versions (immutable, hashed, numbered), endpoints and their encrypted keys."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import DatabaseError, transaction
from django.test import override_settings

from llmops_core.errors import DomainError
from llmops_core.models import JudgeVersion, LLMEndpoint, Project
from llmops_core.secrets import SecretError, secret_decrypt, secret_encrypt
from llmops_core.services.judges.configs import judge_create, judge_version_create
from llmops_core.services.judges.demo import judge_demo_seed
from llmops_core.services.judges.endpoints import (
    endpoint_config,
    endpoint_create,
    endpoint_key_source,
)

pytestmark = pytest.mark.django_db


def test_same_content_is_the_same_version_and_any_change_is_the_next(
    project: Project, make_judge: Callable[..., Any]
) -> None:
    v1 = make_judge()
    assert make_judge().pk == v1.pk
    v2 = make_judge(parameters={"temperature": 0.5})
    v3 = make_judge(parameters={"temperature": 0.5}, system_message="Be strict.")
    v4 = make_judge(
        parameters={"temperature": 0.5}, system_message="Be strict.", response_format="json_object"
    )
    assert [v.number for v in (v1, v2, v3, v4)] == [1, 2, 3, 4]
    assert len({v.content_hash for v in (v1, v2, v3, v4)}) == 4


def test_judge_versions_are_immutable_in_the_database(make_judge: Callable[..., Any]) -> None:
    version = make_judge()
    for field, value in (
        ("model_name", "other"),
        ("system_message", "sneaky"),
        ("parameters", {"temperature": 1}),
    ):
        with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
            JudgeVersion.objects.filter(pk=version.pk).update(**{field: value})
    version.refresh_from_db()
    assert version.model_name == "demo-judge" and version.system_message == ""


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"model_name": " "}, "needs a model"),
        ({"mode": "ranking"}, '"mode"'),
        ({"response_format": "xml"}, '"response_format"'),
        ({"parameters": {"temperature": 3}}, "within 0-2"),
        ({"parameters": {"response_format": {}}}, "set by the judge itself"),
        ({"prompt_template": "Rate {{ output }} for {{ secret }}"}, "unknown variable(s) secret"),
        ({"mode": "pairwise", "prompt_template": "{{ output }}"}, "unknown variable(s) output"),
    ],
)
def test_a_version_that_cannot_work_is_refused_naming_the_field(
    make_judge: Callable[..., Any], fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(DomainError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make_judge(**fields)


def test_a_judge_cannot_use_another_projects_rubric_or_endpoint(
    project: Project, make_judge: Callable[..., Any]
) -> None:
    from tests.factories import ProjectFactory

    other = ProjectFactory()
    judge = judge_create(project=project, name="x")
    foreign_rubric = other.rubrics.get().versions.get()
    with pytest.raises(DomainError, match="another project"):
        judge_version_create(judge=judge, model_name="m", rubric_version=foreign_rubric)
    foreign_endpoint = endpoint_create(project=other, name="e", base_url="http://127.0.0.1:9/v1")
    with pytest.raises(DomainError, match="another project"):
        judge_version_create(
            judge=judge,
            model_name="m",
            endpoint=foreign_endpoint,
            rubric_version=project.rubrics.get().versions.get(),
        )


def test_a_stored_key_is_encrypted_and_only_its_last_four_characters_are_kept(
    project: Project,
) -> None:
    endpoint = endpoint_create(
        project=project,
        name="openai",
        base_url="http://127.0.0.1:9/v1",
        api_key="sk-live-abcdefgh12345678",
    )
    row = LLMEndpoint.objects.get(pk=endpoint.pk)
    assert "sk-live" not in row.api_key_encrypted and row.api_key_last4 == "5678"
    assert secret_decrypt(row.api_key_encrypted) == "sk-live-abcdefgh12345678"
    assert endpoint_config(row).api_key == "sk-live-abcdefgh12345678"
    assert "sk-live" not in repr(endpoint_config(row))
    assert endpoint_key_source(row) == "stored key …5678"
    with override_settings(SECRET_KEY="another-secret-key-" * 3), pytest.raises(SecretError):
        secret_decrypt(row.api_key_encrypted)


def test_encryption_is_randomised() -> None:
    assert secret_encrypt("same") != secret_encrypt("same")


def test_demo_seed_is_idempotent_and_offline(project: Project, settings: Any) -> None:
    first = judge_demo_seed(project)
    again = judge_demo_seed(project)
    assert first.endpoint.pk == again.endpoint.pk
    assert [v.pk for v in first.versions] == [v.pk for v in again.versions]
    plain, strict = first.versions
    assert (plain.number, strict.number) == (1, 2)
    assert strict.system_message and not plain.system_message
    assert first.endpoint.base_url == settings.OPENAI_BASE_URL.rstrip("/")
    assert first.endpoint.api_key_env == "OPENAI_API_KEY" and not first.endpoint.api_key_encrypted
    assert not project.judge_runs.exists()
