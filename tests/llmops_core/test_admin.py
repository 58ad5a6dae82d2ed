"""Every model is registered in the admin, and the admin pages load."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

APPS = ("llmops_core", "annotate")


@pytest.mark.parametrize(
    "model",
    [m for a in APPS for m in apps.get_app_config(a).get_models()],
    ids=lambda m: m._meta.label,
)
def test_every_model_is_registered_and_its_changelist_loads(client: Client, model: type) -> None:
    assert admin.site.is_registered(model), f"{model._meta.label} is not in the admin"
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    opts = model._meta  # type: ignore[attr-defined]
    response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert response.status_code == 200


def test_every_registered_model_admin_writes_to_the_audit_log() -> None:
    from llmops_core.admin import AuditMixin

    unaudited = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in (*APPS, "auth")
        and model._meta.model_name != "group"
        and not isinstance(model_admin, AuditMixin)
    ]
    assert unaudited == []


def test_admin_role_changes_and_deletions_are_audited(client: Client) -> None:
    from llmops_core.models import AuditEvent, Membership, Project, Role
    from tests.factories import MembershipFactory

    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(root)
    membership = MembershipFactory(role=Role.REVIEWER)
    project = membership.project
    url = reverse("admin:llmops_core_membership_change", args=[membership.pk])
    response = client.post(
        url, {"user": membership.user.pk, "project": project.pk, "role": Role.LEAD}
    )
    assert response.status_code == 302, response.content[:2000]
    change = AuditEvent.objects.get(action="admin.change", object_id=str(membership.pk))
    assert change.actor == root and change.project == project
    assert change.after["model"] == "llmops_core.Membership"
    assert change.after["change"] == [{"changed": {"fields": ["Role"]}}]

    url = reverse("admin:llmops_core_membership_delete", args=[membership.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    deletion = AuditEvent.objects.get(action="admin.delete", object_id=str(membership.pk))
    assert deletion.project == project and deletion.actor == root

    others = [MembershipFactory(project=project) for _ in range(2)]
    response = client.post(
        reverse("admin:llmops_core_membership_changelist"),
        {"action": "delete_selected", "_selected_action": [m.pk for m in others], "post": "yes"},
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="admin.delete", project=project).count() == 3

    user = UserFactory(username="promoted")
    assert client.get(reverse("admin:auth_user_change", args=[user.pk])).status_code == 200
    client.post(reverse("admin:auth_user_delete", args=[user.pk]), {"post": "yes"})
    assert Project.objects.filter(pk=project.pk).exists()
    assert AuditEvent.objects.filter(
        action="admin.delete", object_type="User", object_id=str(user.pk)
    ).exists()
