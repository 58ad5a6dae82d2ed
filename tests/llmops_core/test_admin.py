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
