"""Builders for the Langfuse-compatible prompt API tests: prompts of both types, key clients."""

from __future__ import annotations

import base64
from typing import Any

from rest_framework.test import APIClient

from llmops_core.models import IngestKey, Project, PromptTag, PromptVersion
from llmops_core.services.gates import release_gate_update
from llmops_core.services.ingest_keys import ingest_key_create
from llmops_core.services.prompts import (
    prompt_label_set,
    prompt_template_create,
    prompt_version_create,
)
from tests.versions.helpers import make_versions

BASE = "/api/public/v2/prompts"


def basic(public: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{public}:{secret}".encode()).decode()


def key_pair(project: Project, name: str = "app") -> tuple[IngestKey, str]:
    """Return an ingest key of ``project`` and its secret."""
    return ingest_key_create(project=project, name=name)


def key_client(project: Project) -> APIClient:
    """Return an API client that sends a new key pair of ``project`` as the Langfuse SDK does."""
    key, secret = key_pair(project)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic(key.public_key, secret))
    return client


def text_prompt(project: Project, lead: Any) -> list[PromptVersion]:
    """Create "greeting": two text versions (no system message); v1 production, v2 staging."""
    template = prompt_template_create(project=project, name="greeting")
    versions = [
        prompt_version_create(
            template=template,
            template_text=text,
            model_name="local-generator",
            parameters={"temperature": 0.2, "max_tokens": 50},
            note=note,
        )[0]
        for text, note in (("Hello {{ name }}", "first"), ("Hi {{ name }}!", ""))
    ]
    prompt_label_set(version=versions[0], label="production", actor=lead)
    prompt_label_set(version=versions[1], label="staging", actor=lead)
    PromptTag.objects.create(template=template, name="onboarding")
    return versions


def chat_prompt(project: Project, lead: Any) -> list[PromptVersion]:
    """Create "support": two versions with a system message (served as chat); v1 production."""
    versions = make_versions(project, 2)
    prompt_label_set(version=versions[0], label="production", actor=lead)
    return versions


def open_gate(project: Project, admin: Any) -> None:
    """Give the project a release gate without rules: every production move passes."""
    release_gate_update(project=project, actor=admin, rules=[])
