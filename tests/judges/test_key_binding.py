"""Server key variables go only where the operator bound them, and nobody learns which are set."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from llmops_core.errors import DomainError
from llmops_core.models import LLMCall, LLMEndpoint, Project
from llmops_core.services.judges.configs import judge_create, judge_version_create
from llmops_core.services.judges.demo import judge_demo_seed
from llmops_core.services.judges.endpoints import (
    endpoint_config,
    endpoint_create,
    endpoint_key_source,
)
from llmops_core.services.judges.runs import judge_run_create
from llmops_core.services.llm_runs import StepOptions
from tests.judges.helpers import make_outputs, make_queue, run_to_end
from tests.support.openai_server import LocalOpenAIServer

pytestmark = pytest.mark.django_db
WORKER_KEY = "sk-the-worker-key-0001"
SITE_URL = "http://127.0.0.1:8011/v1"


@pytest.fixture
def site(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The default binding: the worker's OPENAI_API_KEY goes to OPENAI_BASE_URL only."""
    settings.OPENAI_BASE_URL = SITE_URL
    settings.LLM_KEY_ENVS = {"OPENAI_API_KEY": [SITE_URL]}
    monkeypatch.setenv("OPENAI_API_KEY", WORKER_KEY)
    monkeypatch.setenv("OTHER_API_KEY", "sk-another-server-key")
    monkeypatch.delenv("MISSING_API_KEY", raising=False)
    return settings


def _post(api: APIClient, project: Project, **fields: Any) -> Any:
    path = reverse("api-llm-endpoints", kwargs={"project_slug": project.slug})
    return api.post(path, {"name": "e", **fields}, format="json")


@pytest.mark.parametrize("variable", ["OTHER_API_KEY", "MISSING_API_KEY", "SECRET_KEY", "PATH"])
def test_a_variable_the_operator_did_not_bind_is_refused_the_same_way_set_or_not(
    site: Any,
    api_as: Callable[[Any], APIClient],
    lead: Any,
    project: Project,
    llm_server: LocalOpenAIServer,
    variable: str,
) -> None:
    response = _post(api_as(lead), project, base_url=llm_server.base_url, api_key_env=variable)
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "api_key_env"
    expected = (
        f"field \"api_key_env\": the operator has not bound '{variable}' to "
        f"'{llm_server.base_url}' (LLM_KEY_ENVS); store the API key on the endpoint instead"
    )
    assert body["detail"] == expected
    assert not LLMEndpoint.objects.exists()


def test_a_bound_variable_is_refused_for_another_base_url(
    site: Any,
    api_as: Callable[[Any], APIClient],
    lead: Any,
    project: Project,
    llm_server: LocalOpenAIServer,
) -> None:
    api = api_as(lead)
    refused = _post(api, project, base_url=llm_server.base_url, api_key_env="OPENAI_API_KEY")
    assert refused.status_code == 400 and refused.json()["field"] == "api_key_env"
    allowed = _post(api, project, base_url=SITE_URL + "/", api_key_env="OPENAI_API_KEY")
    assert allowed.status_code == 201, allowed.content
    assert allowed.json()["key_source"] == "environment variable OPENAI_API_KEY (set)"


def test_the_form_refuses_an_unbound_variable_on_its_field(
    site: Any, client: Any, lead: Any, project: Project, llm_server: LocalOpenAIServer
) -> None:
    client.force_login(lead)
    response = client.post(
        reverse("judge-endpoint-new", args=[project.slug]),
        {
            "endpoint-name": "e",
            "endpoint-base_url": llm_server.base_url,
            "endpoint-api_key_env": "OPENAI_API_KEY",
            "endpoint-concurrency": 4,
            "endpoint-timeout_seconds": 30,
        },
    )
    assert response.status_code == 400
    assert "LLM_KEY_ENVS" in " ".join(response.context["endpoint_form"].errors["api_key_env"])
    assert not LLMEndpoint.objects.exists()


def test_an_operator_binding_lets_the_variable_go_to_that_url_only(
    site: Any, project: Project, llm_server: LocalOpenAIServer
) -> None:
    site.LLM_KEY_ENVS = {"OTHER_API_KEY": [llm_server.base_url]}
    endpoint = endpoint_create(
        project=project, name="e", base_url=llm_server.base_url, api_key_env="OTHER_API_KEY"
    )
    assert endpoint_config(endpoint).api_key == "sk-another-server-key"
    assert endpoint_key_source(endpoint) == "environment variable OTHER_API_KEY (set)"
    with pytest.raises(DomainError, match="api_key_env"):
        endpoint_create(project=project, name="f", base_url=SITE_URL, api_key_env="OTHER_API_KEY")


def test_key_source_says_nothing_about_an_unbound_variable(
    site: Any,
    api_as: Callable[[Any], APIClient],
    client: Any,
    lead: Any,
    project: Project,
    llm_server: LocalOpenAIServer,
) -> None:
    names = ["OPENAI_API_KEY", "OTHER_API_KEY", "MISSING_API_KEY"]
    rows = [
        LLMEndpoint.objects.create(
            project=project, name=f"e{i}", base_url=llm_server.base_url, api_key_env=name
        )
        for i, name in enumerate(names)
    ]
    sources = [endpoint_key_source(row).replace(row.api_key_env, "VAR") for row in rows]
    assert sources == ["environment variable VAR (not bound to this base URL)"] * 3
    listed = api_as(lead).get(reverse("api-llm-endpoints", kwargs={"project_slug": project.slug}))
    assert {row["key_source"].replace(row["api_key_env"], "VAR") for row in listed.json()} == {
        sources[0]
    }
    judge = judge_create(project=project, name="j")
    rubric_version = project.rubrics.get(name="default").versions.get(number=1)
    version, _ = judge_version_create(
        judge=judge, model_name="m", rubric_version=rubric_version, endpoint=rows[0]
    )
    queue = make_queue(project, make_outputs(project, 2))
    run = judge_run_create(project=project, judge_version=version, queue_id=queue.pk)
    client.force_login(lead)
    page = client.get(reverse("judge-run", args=[project.slug, run.pk])).content.decode()
    assert "not bound to this base URL" in page and "(set)" not in page


def test_a_row_with_an_unbound_variable_never_sends_the_key(
    site: Any, project: Project, llm_server: LocalOpenAIServer, fast: StepOptions
) -> None:
    endpoint = LLMEndpoint.objects.create(  # saved before the rule, straight to the database
        project=project, name="old", base_url=llm_server.base_url, api_key_env="OPENAI_API_KEY"
    )
    judge = judge_create(project=project, name="j")
    rubric_version = project.rubrics.get(name="default").versions.get(number=1)
    version, _ = judge_version_create(
        judge=judge, model_name="demo-judge", rubric_version=rubric_version, endpoint=endpoint
    )
    queue = make_queue(project, make_outputs(project, 3))
    run = run_to_end(
        judge_run_create(project=project, judge_version=version, queue_id=queue.pk), fast
    )
    assert run.status == "failed"
    assert 'endpoint "old": field "api_key_env"' in run.error and WORKER_KEY not in run.error
    assert llm_server.request_count == 0 and not LLMCall.objects.filter(run_id=run.pk).exists()


def test_the_demo_endpoint_uses_the_site_key_only_where_it_is_bound(
    site: Any, project: Project
) -> None:
    site.LLM_KEY_ENVS = {}
    seeded = judge_demo_seed(project)
    assert seeded.endpoint.api_key_env == "" and not seeded.endpoint.api_key_encrypted
