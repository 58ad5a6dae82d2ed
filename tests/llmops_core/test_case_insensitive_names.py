"""Project slugs and prompt labels are case-insensitive: one name, whatever its case.

Before, ``PUT …/labels/Production/`` moved a label that served as production with no gate, and
projects ``DEMO`` and ``demo`` could coexist. Names are now stored lower case, looked up
whatever their case, and unique by ``Lower(...)`` in the database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from llmops_core.errors import DomainError
from llmops_core.models import Project, PromptLabel, PromptTemplate, PromptVersion
from llmops_core.services.projects import project_create
from llmops_core.services.promotion import PromotionRefused, prompt_promote
from llmops_core.services.prompts import (
    prompt_label_set,
    prompt_template_create,
    prompt_version_create,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(project: Project) -> PromptVersion:
    template = prompt_template_create(project=project, name="support")
    return prompt_version_create(template=template, template_text="a", model_name="m")[0]


def label_url(project: Project, label: str) -> str:
    return reverse(
        "api-prompt-label",
        kwargs={"project_slug": project.slug, "name": "support", "label": label},
    )


@pytest.mark.parametrize("spelling", ["Production", "PRODUCTION", "pRoDuCtIoN"])
def test_production_in_any_case_goes_through_the_release_gate(
    api_as: Callable[[object], APIClient],
    project: Project,
    lead: Any,
    version: PromptVersion,
    spelling: str,
) -> None:
    """A version with no ratings is refused, whatever the label's case (it moved freely)."""
    refused = api_as(lead).put(label_url(project, spelling), {"version": 1}, format="json")
    assert refused.status_code == 400, refused.content
    assert "release gate refuses" in refused.json()["detail"]
    assert not PromptLabel.objects.exists()
    with pytest.raises(PromotionRefused):
        prompt_promote(version=version, actor=lead, label=spelling)


def test_labels_are_stored_lower_case_and_found_in_any_case(
    api_as: Callable[[object], APIClient], project: Project, lead: Any, version: PromptVersion
) -> None:
    prompt_label_set(version=version, label="Production", actor=lead)
    assert list(PromptLabel.objects.values_list("name", flat=True)) == ["production"]
    api = api_as(lead)
    for spelling in ("production", "PRODUCTION"):
        got = api.get(label_url(project, spelling))
        assert got.status_code == 200 and got.json()["number"] == 1
    moved = api.put(label_url(project, "Staging"), {"version": 1}, format="json")
    assert moved.status_code == 200
    assert set(PromptLabel.objects.values_list("name", flat=True)) == {"production", "staging"}
    listed = api.get(
        reverse("api-prompt-versions", kwargs={"project_slug": project.slug, "name": "support"}),
        {"label": "STAGING"},
    ).json()
    assert [v["number"] for v in listed["results"]] == [1]
    served = api.get(reverse("api-prompt-serve", args=["support"]), {"label": "Production"})
    assert served.status_code == 200 and served.json()["version"] == 1


def test_the_database_refuses_two_labels_differing_only_in_case(version: PromptVersion) -> None:
    PromptLabel.objects.create(template=version.template, name="production", version=version)
    with pytest.raises(IntegrityError), transaction.atomic():
        PromptLabel.objects.create(template=version.template, name="Production", version=version)


def test_a_slug_differing_only_in_case_is_taken(project: Project) -> None:
    with pytest.raises(DomainError, match="already exists"):
        project_create(name="Shouting", slug=project.slug.upper())
    created = project_create(name="Mixed", slug="Mixed-Case")
    assert created.slug == "mixed-case"


def test_the_api_refuses_a_slug_differing_only_in_case(project: Project, db: None) -> None:
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.create_user("staff", password="x", is_staff=True)
    api = APIClient()
    api.force_authenticate(staff)
    response = api.post(
        reverse("api-projects"), {"name": "x", "slug": project.slug.upper()}, format="json"
    )
    assert response.status_code == 400 and "already exists" in response.json()["detail"]


def test_the_database_refuses_two_slugs_differing_only_in_case(project: Project) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Project.objects.create(name="x", slug=project.slug.upper())


def test_project_urls_answer_in_any_case(
    api_as: Callable[[object], APIClient], client: Client, project: Project, lead: Any
) -> None:
    upper = project.slug.upper()
    got = api_as(lead).get(reverse("api-project", kwargs={"project_slug": upper}))
    assert got.status_code == 200 and got.json()["slug"] == project.slug
    client.force_login(lead)
    assert client.get(reverse("project", args=[upper])).status_code == 200


def migration_and_parent(executor: MigrationExecutor) -> tuple[tuple[str, str], tuple[str, str]]:
    """Return this change's migration and the one before it (found by name: numbers move)."""
    node = next(
        key
        for key in executor.loader.graph.nodes
        if key[0] == "llmops_core" and key[1].endswith("_case_insensitive_names")
    )
    parent = next(p for p in executor.loader.graph.node_map[node].parents if p[0] == "llmops_core")
    return node, parent.key


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_every_row_and_renames_only_collisions() -> None:
    """Existing names are lower-cased; of names equal but for case one keeps it, the rest get
    their id appended, so nothing is lost and the unique constraint can be added."""
    executor = MigrationExecutor(connection)
    migration, before = migration_and_parent(executor)
    executor.migrate([before])
    old = executor.loader.project_state([before]).apps
    OldProject = old.get_model("llmops_core", "Project")
    OldTemplate = old.get_model("llmops_core", "PromptTemplate")
    OldVersion = old.get_model("llmops_core", "PromptVersion")
    OldLabel = old.get_model("llmops_core", "PromptLabel")
    upper = OldProject.objects.create(name="a", slug="DEMO")
    lower = OldProject.objects.create(name="b", slug="demo")
    mixed = OldProject.objects.create(name="c", slug="Other")
    template = OldTemplate.objects.create(project=lower, name="t")
    v1 = OldVersion.objects.create(template=template, number=1, content_hash="1", model_name="m")
    v2 = OldVersion.objects.create(template=template, number=2, content_hash="2", model_name="m")
    fake = OldLabel.objects.create(template=template, name="Production", version=v2)
    real = OldLabel.objects.create(template=template, name="production", version=v1)
    staging = OldLabel.objects.create(template=template, name="Staging", version=v2)
    executor = MigrationExecutor(connection)
    executor.migrate([migration])
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # back to where the suite runs
    slugs = dict(Project.objects.values_list("pk", "slug"))
    assert slugs == {upper.pk: f"demo-{upper.pk}", lower.pk: "demo", mixed.pk: "other"}
    labels = dict(PromptLabel.objects.values_list("pk", "name"))
    assert labels == {
        fake.pk: f"production-{fake.pk}",
        real.pk: "production",
        staging.pk: "staging",
    }
    assert PromptLabel.objects.get(name="production").version_id == v1.pk
    assert PromptTemplate.objects.count() == 1
