"""Builders for the prompt-version tests: versions, paired outputs, ratings, judge scores."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from annotate.models import Queue
from annotate.services.assignment import assignment_claim_next
from annotate.services.queues import queue_create
from annotate.services.submit import annotation_skip, annotation_submit
from llmops_core.hashing import content_hash
from llmops_core.models import (
    JobStatus,
    JudgeRun,
    JudgeScore,
    ModelOutput,
    Project,
    PromptTemplate,
    PromptVersion,
    RubricVersion,
)
from llmops_core.services.judges.configs import judge_create, judge_version_create
from llmops_core.services.prompts import prompt_template_create, prompt_version_create

CRITERIA = ("fluency", "relevance", "factuality")
_names = itertools.count(1)

Scores = dict[str, int]


def rubric_version(project: Project) -> RubricVersion:
    return project.rubrics.get(name="default").versions.get(number=1)


def make_versions(project: Project, count: int = 2, name: str = "support") -> list[PromptVersion]:
    """Create a template with ``count`` versions (v1 is the parent of v2, ...)."""
    template = PromptTemplate.objects.filter(project=project, name=name).first()
    template = template or prompt_template_create(project=project, name=name)
    return [
        prompt_version_create(
            template=template,
            template_text=f"Answer {{{{ question }}}} (style {i}).",
            model_name="local-generator",
            parameters={"temperature": 0.1 * i},
            system_message="You are helpful.",
        )[0]
        for i in range(1, count + 1)
    ]


def make_outputs(
    project: Project,
    version: PromptVersion,
    n: int,
    *,
    cost: str = "0.002",
    latency: int = 400,
    prefix: str = "",
) -> list[ModelOutput]:
    """Create one output of ``version`` per input q0..q(n-1): inputs pair across versions."""
    outputs = []
    for i in range(n):
        value = {"question": f"q{i}"}
        outputs.append(
            ModelOutput.objects.create(
                project=project,
                external_id=f"{prefix}v{version.pk}-q{i}",
                prompt_version=version,
                input=value,
                input_hash=content_hash(value),
                output_text=f"answer {i} of v{version.number}",
                model_name=version.model_name,
                cost=Decimal(cost),
                latency_ms=latency + 100 * i,
                tokens_in=10,
                tokens_out=20 + i,
            )
        )
    return outputs


def make_queue(
    project: Project,
    outputs: Sequence[ModelOutput],
    reviewers: Sequence[Any],
    overlap: int = 2,
    **options: Any,
) -> Queue:
    """Make a queue of ``outputs``; ``options`` go to ``queue_create`` (``order=``, ``seed=``)."""
    return queue_create(
        project=project,
        name=f"vq-{next(_names)}",
        rubric_version=rubric_version(project),
        overlap=overlap,
        reviewers=list(reviewers),
        output_ids=[o.pk for o in outputs],
        **options,
    )


def rate_all(
    queue: Queue, reviewer: Any, scores_for: Callable[[ModelOutput], Any], limit: int | None = None
) -> int:
    """Claim and rate the reviewer's items until none are left (or ``limit``).

    ``scores_for(output)`` returns a scores dict, ``"skip"``, or ``("flag", scores)``.
    """
    done = 0
    while limit is None or done < limit:
        queue.refresh_from_db()
        claim = assignment_claim_next(queue=queue, reviewer=reviewer)
        if claim.assignment is None:
            return done
        item = claim.assignment.item
        item.queue = queue
        wanted = scores_for(item.output)
        if wanted == "skip":
            annotation_skip(item=item, reviewer=reviewer)
        elif isinstance(wanted, tuple):
            annotation_submit(
                item=item,
                reviewer=reviewer,
                client_token=uuid.uuid4(),
                scores=wanted[1],
                flags=["broken"],
            )
        else:
            annotation_submit(
                item=item, reviewer=reviewer, client_token=uuid.uuid4(), scores=wanted
            )
        done += 1
    return done


def all_criteria(score: int, **overrides: int) -> Scores:
    return {**dict.fromkeys(CRITERIA, score), **overrides}


def judge_scores(
    project: Project, scores: dict[ModelOutput, Scores], *, judge_name: str = "judge"
) -> JudgeRun:
    """Record a finished judge run with the given scores (what a judge run would write)."""
    from llmops_core.models import JudgeConfig

    config = JudgeConfig.objects.filter(project=project, name=judge_name).first() or judge_create(
        project=project, name=judge_name
    )
    version, _ = judge_version_create(
        judge=config, model_name="local-judge", rubric_version=rubric_version(project)
    )
    run = JudgeRun.objects.create(
        project=project, judge_version=version, status=JobStatus.SUCCEEDED
    )
    criteria = {c.name: c for c in rubric_version(project).criteria.all()}
    JudgeScore.objects.bulk_create(
        [
            JudgeScore(run=run, output=output, criterion=criteria[name], score=value)
            for output, by_name in scores.items()
            for name, value in by_name.items()
        ]
    )
    return run


# A candidate v2 against production v1 on the same N inputs, rated by two reviewers.
N = 8
# Factuality per input: (v1 rev1, v1 rev2, v2 rev1, v2 rev2): mixed differences.
FACTUALITY = [
    (3, 4, 4, 4),
    (4, 4, 3, 4),
    (2, 3, 3, 3),
    (5, 4, 4, 5),
    (3, 3, 4, 3),
    (4, 5, 4, 4),
    (2, 2, 3, 2),
    (3, 4, 3, 3),
]


def scores_for(reviewer: Any, v2_id: int) -> Any:
    """v2 is better on fluency (+1.5 everywhere), worse on relevance (-2), mixed on factuality."""

    def scores(output: Any) -> dict[str, int]:
        index = int(output.input["question"][1:])
        candidate = output.prompt_version_id == v2_id
        who = 0 if reviewer.username == "rev1" else 1
        fact = FACTUALITY[index % N][(2 if candidate else 0) + who]
        if candidate:
            return {"fluency": 4 + who, "relevance": 2, "factuality": fact}
        return {"fluency": 3, "relevance": 4, "factuality": fact}

    return scores
