"""A small rated project whose every export row can be worked out by hand.

Two prompt versions answer the same four inputs (eight outputs) in one queue with overlap 3.
Three reviewers rate them with the scores in ``SCORES``; reviewer 3 leaves ``v1-q3`` unrated;
reviewer 2 flags ``v2-q2``, which is adjudicated to (2, 2, 2); the judge scored ``v1-q0``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from annotate.models import Annotation, Queue, QueueItem, Rating
from annotate.services.adjudication import adjudication_record
from annotate.services.queues import queue_create
from llmops_core.models import (
    Criterion,
    JudgeConfig,
    JudgeRun,
    JudgeScore,
    JudgeVersion,
    ModelOutput,
    Project,
    PromptVersion,
)
from llmops_core.services.prompts import prompt_template_create, prompt_version_create
from tests.factories import ModelOutputFactory

CRITERIA = ("fluency", "relevance", "factuality")
INPUTS = [
    {"question": "How do I reset my password?", "topic": "accounts"},
    {"question": "Why was I charged twice?", "topic": "billing"},
    {"question": "Can I export to CSV?", "topic": "data"},
    {"question": "Does it work offline?", "topic": "apps"},
]
# (fluency, relevance, factuality) per reviewer rev1, rev2, rev3; None: not rated.
SCORES: dict[str, list[tuple[int, int, int] | None]] = {
    "v1-q0": [(4, 4, 4), (4, 4, 4), (4, 4, 4)],
    "v2-q0": [(2, 2, 2), (2, 3, 2), (2, 2, 1)],
    "v1-q1": [(3, 3, 3), (3, 3, 3), (3, 3, 3)],
    "v2-q1": [(3, 4, 3), (3, 3, 3), (4, 3, 3)],
    "v1-q2": [(5, 5, 5), (5, 5, 4), (5, 4, 5)],
    "v2-q2": [(1, 1, 1), (5, 5, 5), (3, 3, 3)],
    "v1-q3": [(4, 5, 3), (4, 4, 4), None],
    "v2-q3": [(2, 2, 2), (2, 2, 2), (2, 2, 2)],
}
COMMENTS = {("v1-q1", 0): '=HYPERLINK("http://evil.example")', ("v1-q1", 1): "+1 good answer"}
FLAGS = {("v2-q2", 1): ["unsafe"]}
ADJUDICATED = {"v2-q2": {"fluency": 2, "relevance": 2, "factuality": 2}}
JUDGE = {("v1-q0", "fluency"): 5}


@dataclass
class RatedProject:
    project: Project
    queue: Queue
    reviewers: list[Any]
    versions: list[PromptVersion]
    outputs: dict[str, ModelOutput] = field(default_factory=dict)


def _versions(project: Project) -> list[PromptVersion]:
    template = prompt_template_create(project=project, name="answer")
    return [
        prompt_version_create(
            template=template,
            template_text=text,
            system_message="You answer questions about {{ topic }}.",
            model_name="demo-model",
        )[0]
        for text in ("Question: {{ question }}", "Answer in one sentence: {{ question }}")
    ]


def _rate(queue: Queue, outputs: dict[str, ModelOutput], reviewers: list[Any]) -> None:
    """Write the annotations and ratings directly: the services are tested elsewhere, and the
    demo export test goes through them; here speed keeps the many small tests cheap."""
    criteria = {c.name: c for c in Criterion.objects.filter(rubric_version=queue.rubric_version)}
    items = {item.output_id: item for item in QueueItem.objects.filter(queue=queue)}
    ratings = []
    for name, output in outputs.items():
        for index, reviewer in enumerate(reviewers):
            scores = SCORES[name][index]
            if scores is None:
                continue
            annotation = Annotation.objects.create(
                item=items[output.pk],
                reviewer=reviewer,
                rubric_version=queue.rubric_version,
                comment=COMMENTS.get((name, index), ""),
                flags=FLAGS.get((name, index), []),
                active_ms=1000 * (index + 1),
                client_token=uuid.uuid4(),
            )
            ratings += [
                Rating(annotation=annotation, criterion=criteria[c], score=score)
                for c, score in zip(CRITERIA, scores, strict=True)
            ]
    Rating.objects.bulk_create(ratings)


def _judge(project: Project, queue: Queue, outputs: dict[str, ModelOutput]) -> None:
    config = JudgeConfig.objects.create(project=project, name="judge")
    version = JudgeVersion.objects.create(
        config=config,
        number=1,
        model_name="demo-judge",
        rubric_version=queue.rubric_version,
        content_hash="x",
    )
    run = JudgeRun.objects.create(project=project, judge_version=version)
    for (name, criterion), score in JUDGE.items():
        JudgeScore.objects.create(
            run=run,
            output=outputs[name],
            score=score,
            criterion=Criterion.objects.get(rubric_version=queue.rubric_version, name=criterion),
        )


def build_rated_project(project: Project, *, reviewers: list[Any], lead: Any) -> RatedProject:
    """Fill ``project`` with the outputs, ratings, flag, adjudication and judge score above."""
    versions = _versions(project)
    outputs: dict[str, ModelOutput] = {}
    for number, version in enumerate(versions, start=1):
        for index, variables in enumerate(INPUTS):
            name = f"v{number}-q{index}"
            outputs[name] = ModelOutputFactory(
                project=project,
                prompt_version=version,
                external_id=name,
                input=variables,
                output_text=f"Answer {name}.",
                model_name="demo-model",
            )
    queue = queue_create(
        project=project,
        name="Answers",
        overlap=3,
        reviewers=reviewers,
        created_by=lead,
        rubric_version=project.rubrics.get(name="default").versions.get(number=1),
        output_ids=[o.pk for o in outputs.values()],
    )
    _rate(queue, outputs, reviewers)
    for name, scores in ADJUDICATED.items():
        item = QueueItem.objects.get(queue=queue, output=outputs[name])
        adjudication_record(item=item, adjudicator=lead, scores=scores)
    _judge(project, queue, outputs)
    return RatedProject(project, queue, reviewers, versions, outputs)
