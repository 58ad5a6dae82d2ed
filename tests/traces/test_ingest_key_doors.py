"""Leads create and revoke key pairs on the page, through the API and with manage.py ingest_key."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from llmops_core.models import IngestKey, Project
from llmops_core.services.ingest_keys import ingest_key_authenticate, ingest_secret_hash

pytestmark = pytest.mark.django_db


def test_command_prints_the_pair_on_one_line(project: Project) -> None:
    out = StringIO()
    call_command("ingest_key", project.slug, "--name", "prod", stdout=out)
    line = out.getvalue().strip()
    assert "\n" not in line
    public, secret = (part.split("=", 1)[1] for part in line.split(" "))
    key = IngestKey.objects.get(public_key=public)
    assert key.name == "prod" and key.secret_hash == ingest_secret_hash(secret)
    assert ingest_key_authenticate(f"Bearer {secret}") == key


def test_command_names_an_unknown_project() -> None:
    with pytest.raises(CommandError, match='no project "nope"'):
        call_command("ingest_key", "nope")


def test_page_shows_the_secret_once_then_only_its_last_four(project: Project, lead: Any) -> None:
    client = Client()
    client.force_login(lead)
    url = f"/p/{project.slug}/ingest-keys/"
    created = client.post(url, {"name": "<b>app</b>"})
    key = IngestKey.objects.get()
    assert created.status_code == 200 and "secret_key=sk-lf-" in created.content.decode()
    assert "&lt;b&gt;app&lt;/b&gt;" in created.content.decode()
    listed = client.get(url).content.decode()
    assert "sk-lf-" not in listed and f"…{key.last4}" in listed and key.public_key in listed
    revoked = client.post(f"/p/{project.slug}/ingest-keys/{key.pk}/revoke/")
    assert revoked.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_api_creates_lists_and_revokes(project: Project, lead: Any, api_as: Any) -> None:
    client = api_as(lead)
    base = f"/api/projects/{project.slug}/ingest-keys/"
    created = client.post(base, {"name": "ci"}, format="json")
    assert created.status_code == 201 and created.json()["secret_key"].startswith("sk-lf-")
    listed = client.get(base).json()
    assert [k["name"] for k in listed["results"]] == ["ci"]
    assert "secret_key" not in listed["results"][0]
    pk = created.json()["id"]
    revoked = client.delete(f"{base}{pk}/")
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    assert ingest_key_authenticate(f"Bearer {created.json()['secret_key']}") is None


def test_reviewers_cannot_list_keys(project: Project, reviewer: Any, api_as: Any) -> None:
    assert api_as(reviewer).get(f"/api/projects/{project.slug}/ingest-keys/").status_code == 403
