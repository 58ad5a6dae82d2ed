"""factory_boy factories for the domain models."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from llmops_core.hashing import content_hash
from llmops_core.models import Membership, ModelOutput, Project, Role
from llmops_core.services.projects import project_create


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw")


class ProjectFactory(factory.django.DjangoModelFactory):
    """A project made through the service, so it has its default rubric."""

    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"Project {n}")
    slug = factory.Sequence(lambda n: f"project-{n}")

    @classmethod
    def _create(cls, model_class: type[Project], *args: object, **kwargs: object) -> Project:
        return project_create(name=str(kwargs["name"]), slug=str(kwargs["slug"]))


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.REVIEWER


class ModelOutputFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModelOutput

    project = factory.SubFactory(ProjectFactory)
    external_id = factory.Sequence(lambda n: f"ext-{n}")
    input = factory.Sequence(lambda n: {"question": f"Question {n}?"})
    input_hash = factory.LazyAttribute(lambda o: content_hash(o.input))
    output_text = factory.Sequence(lambda n: f"Answer {n}.")
    model_name = "demo-model"
