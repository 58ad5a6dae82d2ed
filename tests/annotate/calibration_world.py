"""Builders of the calibration tests: a prompt version's outputs, judge scores, human ratings."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from typing import Any

from annotate.models import Annotation, QueueItem, Rating
from annotate.services.queues import queue_create
from llmops_core.models import (
    Criterion,
    JobStatus,
    JudgeRun,
    JudgeScore,
    JudgeVersion,
    ModelOutput,
    Project,
    PromptVersion,
    RubricVersion,
)
from llmops_core.services.judges.configs import judge_create, judge_version_create
from llmops_core.services.prompts import prompt_template_create, prompt_version_create
from tests.factories import ModelOutputFactory

_names = itertools.count(1)


def default_rubric(project: Project) -> RubricVersion:
    return project.rubrics.get(name="default").versions.get(number=1)


def make_version(project: Project, outputs: int, **output_fields: Any) -> PromptVersion:
    """Create a prompt version of ``project`` with ``outputs`` outputs."""
    template = prompt_template_create(project=project, name=f"prompt-{next(_names)}")
    version, _ = prompt_version_create(
        template=template, template_text="Answer {{ question }}", model_name="m"
    )
    ModelOutputFactory.create_batch(
        outputs, project=project, prompt_version=version, **output_fields
    )
    return version


def version_outputs(version: PromptVersion) -> list[ModelOutput]:
    return list(ModelOutput.objects.filter(prompt_version=version).order_by("pk"))


def make_judge(project: Project, name: str = "grader") -> JudgeVersion:
    """Create a pointwise judge version on the default rubric (no endpoint: never called)."""
    judge = project.judges.filter(name=name).first() or judge_create(project=project, name=name)
    version, _ = judge_version_create(
        judge=judge, model_name="judge-model", rubric_version=default_rubric(project)
    )
    return version


def judge_scores(
    judge: JudgeVersion,
    outputs: Sequence[ModelOutput],
    scores: Sequence[int],
    criterion: str = "fluency",
) -> JudgeRun:
    """Store one judge run scoring each output on ``criterion``."""
    run = JudgeRun.objects.create(
        project=judge.config.project, judge_version=judge, status=JobStatus.SUCCEEDED
    )
    target = Criterion.objects.get(rubric_version=judge.rubric_version, name=criterion)
    JudgeScore.objects.bulk_create(
        JudgeScore(run=run, output=o, criterion=target, score=s)
        for o, s in zip(outputs, scores, strict=True)
    )
    return run


def human_scores(
    project: Project,
    outputs: Sequence[ModelOutput],
    scores: Sequence[int],
    reviewer: Any,
    criterion: str = "fluency",
) -> None:
    """Store one human rating per output on ``criterion`` (in bulk, through a plain queue)."""
    rubric = default_rubric(project)
    queue = queue_create(
        project=project,
        name=f"rated-{next(_names)}",
        rubric_version=rubric,
        overlap=1,
        output_ids=[o.pk for o in outputs],
    )
    items = {i.output_id: i for i in QueueItem.objects.filter(queue=queue)}
    annotations = Annotation.objects.bulk_create(
        Annotation(
            item=items[o.pk], reviewer=reviewer, rubric_version=rubric, client_token=uuid.uuid4()
        )
        for o in outputs
    )
    target = Criterion.objects.get(rubric_version=rubric, name=criterion)
    Rating.objects.bulk_create(
        Rating(annotation=a, criterion=target, score=s)
        for a, s in zip(annotations, scores, strict=True)
    )
