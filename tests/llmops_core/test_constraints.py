"""Domain rules the database itself enforces, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import uuid

import pytest
from django.db import IntegrityError, transaction

from annotate.models import Annotation, Queue, QueueItem, Rating
from llmops_core.models import Criterion, ModelOutput, Project, PromptVersion
from llmops_core.services.prompts import prompt_template_create, prompt_version_create
from tests.factories import ModelOutputFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(project: Project) -> PromptVersion:
    template = prompt_template_create(project=project, name="answer")
    return prompt_version_create(
        template=template, template_text="Q: {{ q }}", model_name="demo-model"
    )[0]


@pytest.fixture
def annotation(project: Project) -> Annotation:
    rubric_version = project.rubrics.get().versions.get()
    queue = Queue.objects.create(project=project, name="q", rubric_version=rubric_version)
    item = QueueItem.objects.create(
        queue=queue, output=ModelOutputFactory(project=project), target_reviews=3
    )
    return Annotation.objects.create(
        item=item, reviewer=UserFactory(), rubric_version=rubric_version, client_token=uuid.uuid4()
    )


def test_prompt_version_update_is_refused_by_the_database(version: PromptVersion) -> None:
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
        PromptVersion.objects.filter(pk=version.pk).update(template_text="changed")
    version.refresh_from_db()
    assert version.template_text == "Q: {{ q }}"


def test_prompt_version_parameters_cannot_change_through_save(version: PromptVersion) -> None:
    version.parameters = {"temperature": 2}
    with pytest.raises(IntegrityError), transaction.atomic():
        version.save()


def test_prompt_version_with_the_same_content_is_stored_once(version: PromptVersion) -> None:
    again, created = prompt_version_create(
        template=version.template, template_text="Q: {{ q }}", model_name="demo-model"
    )
    assert (again.pk, created) == (version.pk, False)
    with pytest.raises(IntegrityError), transaction.atomic():
        PromptVersion.objects.create(
            template=version.template,
            number=9,
            template_text="x",
            model_name="m",
            content_hash=version.content_hash,
        )


def test_new_content_gets_the_next_number(version: PromptVersion) -> None:
    second, created = prompt_version_create(
        template=version.template, template_text="Answer: {{ q }}", model_name="demo-model"
    )
    assert created and second.number == 2 and second.parent == version


def test_duplicate_annotation_for_reviewer_and_item_is_refused(annotation: Annotation) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Annotation.objects.create(
            item=annotation.item,
            reviewer=annotation.reviewer,
            rubric_version=annotation.rubric_version,
            client_token=uuid.uuid4(),
        )


def test_out_of_scale_score_is_refused_by_the_database(annotation: Annotation) -> None:
    criterion = annotation.rubric_version.criteria.get(name="fluency")
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(annotation=annotation, criterion=criterion, score=7)
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(annotation=annotation, criterion=criterion, score=0)
    Rating.objects.create(annotation=annotation, criterion=criterion, score=5)


def test_score_update_out_of_scale_is_refused(annotation: Annotation) -> None:
    criterion = annotation.rubric_version.criteria.get(name="fluency")
    rating = Rating.objects.create(annotation=annotation, criterion=criterion, score=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.filter(pk=rating.pk).update(score=6)


def test_one_rating_per_criterion_per_annotation(annotation: Annotation) -> None:
    criterion = annotation.rubric_version.criteria.get(name="relevance")
    Rating.objects.create(annotation=annotation, criterion=criterion, score=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(annotation=annotation, criterion=criterion, score=3)


def test_rating_on_a_criterion_of_another_rubric_version_is_refused(
    annotation: Annotation, project: Project
) -> None:
    from llmops_core.services.rubrics import CriterionSpec, rubric_version_create

    other, _ = rubric_version_create(
        rubric=annotation.rubric_version.rubric, criteria=[CriterionSpec("tone", "Is it polite?")]
    )
    foreign = Criterion.objects.get(rubric_version=other)
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(annotation=annotation, criterion=foreign, score=3)


def test_external_id_is_unique_per_project(project: Project) -> None:
    ModelOutputFactory(project=project, external_id="x-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelOutputFactory(project=project, external_id="x-1")
    ModelOutputFactory(external_id="x-1")  # another project may reuse it
    assert ModelOutput.objects.filter(external_id="x-1").count() == 2


def test_queue_item_cannot_exceed_its_target(annotation: Annotation) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        QueueItem.objects.filter(pk=annotation.item.pk).update(done_count=4)


def test_criterion_scale_must_be_ordered(annotation: Annotation) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Criterion.objects.create(
            rubric_version=annotation.rubric_version, name="bad", scale_min=5, scale_max=5
        )
