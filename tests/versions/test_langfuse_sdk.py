"""The real Langfuse Python SDK against a live workbench: fetch, create, move labels, refusals.

The SDK is pointed at a live test server with a project's ingest key pair, as an application
would be (``base_url``, public key, secret key). Tracing is disabled: the SDK would otherwise
export its own spans to ``/api/public/otel/v1/traces``, which is not what these tests are about.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from django.core.cache import cache
from langfuse import Langfuse
from langfuse.api import AccessDeniedError, NotFoundError
from langfuse.model import ChatPromptClient, TextPromptClient

from llmops_core.models import Project, PromptLabel, PromptVersion
from llmops_core.services.prompts import prompt_label_set
from tests.versions.langfuse_helpers import chat_prompt, key_pair, open_gate, text_prompt

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def langfuse(live_server: Any, project: Project) -> Iterator[Langfuse]:
    """Return the SDK configured the three-line way, on a new key pair of the project."""
    cache.clear()
    key, secret = key_pair(project)
    # Our own connection pool, closed after the test: kept-alive connections would keep the
    # live server's request threads, and their database connections, open.
    with httpx.Client() as http:
        client = Langfuse(
            base_url=live_server.url,
            public_key=key.public_key,
            secret_key=secret,
            tracing_enabled=False,
            httpx_client=http,
        )
        yield client
        client.shutdown()


@pytest.fixture
def prompts(project: Project, lead: Any) -> dict[str, list[PromptVersion]]:
    return {"greeting": text_prompt(project, lead), "support": chat_prompt(project, lead)}


def test_get_prompt_fetches_the_production_text_prompt(
    langfuse: Langfuse, prompts: dict[str, list[PromptVersion]]
) -> None:
    prompt = langfuse.get_prompt("greeting", label="production")
    assert isinstance(prompt, TextPromptClient)
    assert (prompt.name, prompt.version, prompt.labels) == ("greeting", 1, ["production"])
    assert prompt.config == {"model": "local-generator", "temperature": 0.2, "max_tokens": 50}
    assert prompt.commit_message == "first" and prompt.tags == ["onboarding"]
    assert prompt.compile(name="Ada") == "Hello Ada"
    assert langfuse.get_prompt("greeting").version == 1  # production by default


def test_get_prompt_fetches_a_chat_prompt_and_compiles_it(
    langfuse: Langfuse, prompts: dict[str, list[PromptVersion]]
) -> None:
    prompt = langfuse.get_prompt("support", label="production", type="chat")
    assert isinstance(prompt, ChatPromptClient)
    assert prompt.compile(question="Where is my parcel?") == [
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": "Answer Where is my parcel? (style 1)."},
    ]


def test_get_prompt_by_version(langfuse: Langfuse, prompts: dict[str, list[PromptVersion]]) -> None:
    prompt = langfuse.get_prompt("greeting", version=2)
    assert (prompt.version, prompt.prompt, prompt.labels) == (
        2,
        "Hi {{ name }}!",
        ["latest", "staging"],
    )
    with pytest.raises(NotFoundError):
        langfuse.get_prompt("greeting", version=9, max_retries=0)


def test_create_prompt_creates_versions_the_sdk_can_fetch(
    langfuse: Langfuse, project: Project
) -> None:
    text = langfuse.create_prompt(
        name="welcome",
        prompt="Welcome {{user}}",
        labels=["staging"],
        tags=["email"],
        config={"model": "local-generator", "temperature": 0.5},
        commit_message="first draft",
    )
    assert isinstance(text, TextPromptClient)
    assert (text.version, text.labels, text.tags) == (1, ["latest", "staging"], ["email"])
    chat = langfuse.create_prompt(
        name="triage",
        type="chat",
        prompt=[
            {"role": "system", "content": "Sort tickets for {{team}}."},
            {"role": "user", "content": "{{ticket}}"},
        ],
        config={"model": "local-generator"},
    )
    assert isinstance(chat, ChatPromptClient) and chat.version == 1
    fetched = langfuse.get_prompt("welcome", label="staging", cache_ttl_seconds=0)
    assert fetched.compile(user="Ada") == "Welcome Ada"
    version = PromptVersion.objects.get(template__project=project, template__name="triage")
    assert version.system_message == "Sort tickets for {{team}}."


def test_update_prompt_moves_a_label_and_the_next_fetch_sees_it(
    langfuse: Langfuse, prompts: dict[str, list[PromptVersion]]
) -> None:
    assert langfuse.get_prompt("greeting", label="qa", max_retries=0, fallback="x").is_fallback
    updated = langfuse.update_prompt(name="greeting", version=1, new_labels=["staging", "qa"])
    assert sorted(updated.labels) == ["production", "qa", "staging"]
    staging = langfuse.get_prompt("greeting", label="staging", cache_ttl_seconds=0)
    assert staging.version == 1
    assert PromptLabel.objects.get(name="qa").version.number == 1


def test_the_sdk_sees_a_promotion_on_its_next_fetch_without_cache(
    langfuse: Langfuse,
    prompts: dict[str, list[PromptVersion]],
    project: Project,
    admin: Any,
    lead: Any,
) -> None:
    """No server-side staleness: with ``cache_ttl_seconds=0`` the next fetch is the new version,
    whether the label moved through the workbench or through the SDK."""
    assert langfuse.get_prompt("greeting", cache_ttl_seconds=0).version == 1
    prompt_label_set(version=prompts["greeting"][1], label="production", actor=lead)
    assert langfuse.get_prompt("greeting", cache_ttl_seconds=0).version == 2
    open_gate(project, admin)
    langfuse.update_prompt(name="greeting", version=1, new_labels=["production"])
    assert langfuse.get_prompt("greeting", cache_ttl_seconds=0).version == 1
    PromptLabel.objects.filter(name="production", template__name="greeting").delete()
    with pytest.raises(NotFoundError):
        langfuse.get_prompt("greeting", cache_ttl_seconds=0, max_retries=0)


def test_a_production_move_the_gate_refuses_raises_with_its_reasons(
    langfuse: Langfuse, prompts: dict[str, list[PromptVersion]]
) -> None:
    with pytest.raises(AccessDeniedError) as refused:
        langfuse.update_prompt(name="greeting", version=2, new_labels=["production"])
    assert refused.value.status_code == 403
    body = refused.value.body
    assert body["error"] == "ForbiddenError" and body["reasons"]
    assert body["message"].startswith('the release gate refuses v2 of "greeting"')
    assert langfuse.get_prompt("greeting", cache_ttl_seconds=0).version == 1
