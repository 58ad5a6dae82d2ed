"""No lead can aim the worker at the operator's network: save time, call time, and what shows.

The production policy is set explicitly (DEBUG off, no ``LLM_ALLOWED_HOSTS``, the site's base
URL somewhere public). Real listeners on loopback addresses stand for internal services; their
``connections`` count proves nothing reached them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from llmops_core.llm.retry import RetryPolicy
from llmops_core.models import GenerationRun, JudgeRun, LLMCall, LLMEndpoint, Project
from llmops_core.secrets import secret_encrypt
from llmops_core.services import generation as gen
from llmops_core.services.datasets import dataset_create
from llmops_core.services.judges.configs import judge_create, judge_version_create
from llmops_core.services.judges.runs import judge_run_create
from llmops_core.services.llm_runs import StepOptions, StepOutcome
from llmops_core.services.prompts import prompt_template_create, prompt_version_create
from tests.judges.helpers import make_outputs, make_queue, run_to_end
from tests.support.listener import Listener, closed_port

pytestmark = pytest.mark.django_db
KEY = "sk-stored-endpoint-key-4242"
SECRET_BODY = b'{"error": {"message": "INTERNAL-SECRET: redis password hunter2"}}'


@pytest.fixture
def production(settings: Any) -> Any:
    """The settings of a production site: nothing non-public is allowed."""
    settings.DEBUG = False
    settings.LLM_ALLOWED_HOSTS = []
    settings.OPENAI_BASE_URL = "https://api.openai.com/v1"
    settings.LLM_KEY_ENVS = {"OPENAI_API_KEY": ["https://api.openai.com/v1"]}
    return settings


@pytest.fixture
def internal() -> Iterator[Listener]:
    """An internal service on 127.0.0.1 that would answer anything."""
    with Listener("127.0.0.1", body=SECRET_BODY) as running:
        yield running


@pytest.fixture
def internal_2() -> Iterator[Listener]:
    """Another internal service, on another loopback address."""
    with Listener("127.0.0.2", body=SECRET_BODY) as running:
        yield running


@pytest.fixture
def fast() -> StepOptions:
    """In-process steps with recorded (not slept) backoff."""
    return StepOptions(chunk_size=25, policy=RetryPolicy(max_attempts=2), sleep=lambda s: None)


def _endpoints(project: Project) -> str:
    return reverse("api-llm-endpoints", kwargs={"project_slug": project.slug})


REFUSED_URLS = [
    "http://127.0.0.1:{internal}/v1",
    "http://localhost:{internal}/v1",
    "http://127.0.0.2:{internal_2}/v1",
    "http://[::ffff:127.0.0.1]:{internal}/v1",
    "http://[::1]:{internal}/v1",
    "http://0.0.0.0:{internal}/v1",
    "http://169.254.169.254/latest/meta-data",
    "http://10.0.0.7:6379",
    "http://127.0.0.1:{internal}/v1?x=",
    "https://api.openai.com/v1#frag",
    "https://user:pw@api.openai.com/v1",
]


@pytest.mark.parametrize("template", REFUSED_URLS)
def test_the_api_refuses_an_endpoint_the_worker_may_not_reach(
    production: Any,
    api_as: Callable[[Any], APIClient],
    lead: Any,
    project: Project,
    internal: Listener,
    internal_2: Listener,
    template: str,
) -> None:
    base_url = template.format(internal=internal.port, internal_2=internal_2.port)
    response = api_as(lead).post(
        _endpoints(project), {"name": "x", "base_url": base_url, "api_key": KEY}, format="json"
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["field"] == "base_url" and body["detail"].startswith('field "base_url"')
    assert not LLMEndpoint.objects.exists()
    assert internal.connections == internal_2.connections == 0


def test_the_form_refuses_it_too_on_the_base_url_field(
    production: Any, client: Any, lead: Any, project: Project, internal: Listener
) -> None:
    client.force_login(lead)
    response = client.post(
        reverse("judge-endpoint-new", args=[project.slug]),
        {
            "endpoint-name": "x",
            "endpoint-base_url": internal.base_url,
            "endpoint-concurrency": 4,
            "endpoint-timeout_seconds": 30,
        },
    )
    assert response.status_code == 400
    form = response.context["endpoint_form"]
    assert "loopback address" in " ".join(form.errors["base_url"])
    assert not LLMEndpoint.objects.exists() and internal.connections == 0


def test_open_and_closed_ports_give_the_same_answer(
    production: Any,
    api_as: Callable[[Any], APIClient],
    lead: Any,
    project: Project,
    internal: Listener,
) -> None:
    api = api_as(lead)
    answers = [
        api.post(_endpoints(project), {"name": "x", "base_url": url}, format="json").json()
        for url in (internal.base_url, f"http://127.0.0.1:{closed_port()}/v1")
    ]
    assert answers[0] == answers[1]
    assert internal.connections == 0


def _judge_on(project: Project, endpoint: LLMEndpoint) -> JudgeRun:
    judge = judge_create(project=project, name="j")
    rubric_version = project.rubrics.get(name="default").versions.get(number=1)
    version, _ = judge_version_create(
        judge=judge, model_name="m", rubric_version=rubric_version, endpoint=endpoint
    )
    queue = make_queue(project, make_outputs(project, 3))
    return judge_run_create(project=project, judge_version=version, queue_id=queue.pk)


def _generation_on(project: Project, endpoint: LLMEndpoint) -> GenerationRun:
    template = prompt_template_create(project=project, name="t")
    version, _ = prompt_version_create(template=template, model_name="m", template_text="{{ q }}")
    dataset, _ = dataset_create(project=project, name="d", inputs=[{"q": "a"}, {"q": "b"}])
    return gen.generation_run_create(version=version, dataset=dataset, endpoint=endpoint)


def _generation_to_end(run: GenerationRun, options: StepOptions) -> GenerationRun:
    for _ in range(20):
        if gen.generation_run_step(run_id=run.pk, options=options) is not StepOutcome.MORE:
            break
    run.refresh_from_db()
    return run


@pytest.mark.parametrize("kind", ["judge", "generation"])
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "127.0.0.2"])
def test_a_row_saved_before_the_rule_is_refused_at_call_time(
    production: Any,
    project: Project,
    internal: Listener,
    internal_2: Listener,
    fast: StepOptions,
    kind: str,
    host: str,
) -> None:
    port = internal_2.port if host == "127.0.0.2" else internal.port
    endpoint = LLMEndpoint.objects.create(  # straight to the database, past every check
        project=project,
        name="old",
        base_url=f"http://{host}:{port}/v1",
        api_key_encrypted=secret_encrypt(KEY),
    )
    if kind == "judge":
        run: Any = run_to_end(_judge_on(project, endpoint), fast)
    else:
        run = _generation_to_end(_generation_on(project, endpoint), fast)
    assert run.status == "failed"
    assert run.error.startswith('field "base_url"') and "LLM_ALLOWED_HOSTS" in run.error
    assert not LLMCall.objects.filter(run_id=run.pk).exists()
    assert internal.connections == internal_2.connections == 0


def test_a_query_string_saved_before_the_rule_is_refused_at_call_time(
    production: Any, project: Project, fast: StepOptions, internal: Listener
) -> None:
    production.LLM_ALLOWED_HOSTS = ["127.0.0.1"]  # the host is fine; the query string is not
    endpoint = LLMEndpoint.objects.create(
        project=project, name="old", base_url=f"{internal.base_url}/?path=/admin"
    )
    run = run_to_end(_judge_on(project, endpoint), fast)
    assert run.status == "failed" and "query string" in run.error
    assert internal.connections == 0


def test_no_reply_body_and_no_key_shows_in_the_call_log_the_run_the_api_or_the_pages(
    production: Any,
    api_as: Callable[[Any], APIClient],
    client: Any,
    lead: Any,
    project: Project,
    fast: StepOptions,
) -> None:
    production.LLM_ALLOWED_HOSTS = ["127.0.0.2"]
    with Listener("127.0.0.2", status="500 Internal Server Error", body=SECRET_BODY) as service:
        endpoint = LLMEndpoint.objects.create(
            project=project,
            name="svc",
            base_url=service.base_url,
            api_key_encrypted=secret_encrypt(KEY),
        )
        run = run_to_end(_judge_on(project, endpoint), fast)
        assert service.connections > 0
    assert run.status == "failed" and "HTTP 500 Internal Server Error" in run.error
    calls = list(LLMCall.objects.filter(run_id=run.pk))
    assert calls and all(c.raw_response is None for c in calls)
    slug, api = project.slug, api_as(lead)
    client.force_login(lead)
    seen = [run.error, *(c.error for c in calls)]
    for name in ("api-judge-run", "api-judge-run-calls"):
        seen.append(api.get(reverse(name, kwargs={"project_slug": slug, "pk": run.pk})).content)
    for name in ("judge-run", "judge-run-calls"):
        seen.append(client.get(reverse(name, args=[slug, run.pk])).content)
    text = " ".join(part.decode() if isinstance(part, bytes) else part for part in seen)
    assert "INTERNAL-SECRET" not in text and "hunter2" not in text
    assert KEY not in text and "sk-stored" not in text
