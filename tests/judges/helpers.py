"""Builders for the judge tests: outputs with realistic text, a queue, and fast human ratings."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Sequence
from typing import Any

from annotate.models import Annotation, Queue, QueueItem, Rating
from annotate.services.queues import queue_create
from llmops_core.hashing import content_hash
from llmops_core.models import Criterion, JudgeRun, ModelOutput, Project, PromptVersion
from llmops_core.services.judges.runs import judge_run_step
from llmops_core.services.llm_runs import StepOptions, StepOutcome
from tests.support.openai_server import generate, quality

TOPICS = (
    "sourdough bread",
    "solar panels",
    "tax returns",
    "python decorators",
    "marathon training",
    "coffee roasting",
    "password managers",
    "bird migration",
)


def make_outputs(
    project: Project,
    n: int,
    *,
    prompt_version: PromptVersion | None = None,
    seed: int = 0,
    prefix: str = "o",
) -> list[ModelOutput]:
    """Create ``n`` outputs answering varied questions, with text from the demo generator."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        question = f"How do {TOPICS[i % len(TOPICS)]} work, case {i}?"
        text = generate([{"role": "user", "content": question}], "gen", seed=(seed, i))
        if rng.random() < 0.15:
            text = "Maybe. " + text[: rng.randint(10, 40)]
        value = {"question": question}
        rows.append(
            ModelOutput(
                project=project,
                external_id=f"{prefix}-{seed}-{i}",
                input=value,
                input_hash=content_hash(value),
                output_text=text,
                model_name="demo-model",
                prompt_version=prompt_version,
            )
        )
    return ModelOutput.objects.bulk_create(rows)


def make_queue(project: Project, outputs: Sequence[ModelOutput], name: str = "judge-q") -> Queue:
    """Create a queue over ``outputs`` rated with the default rubric's first version."""
    rubric_version = project.rubrics.get(name="default").versions.get(number=1)
    return queue_create(
        project=project,
        name=name,
        rubric_version=rubric_version,
        overlap=3,
        output_ids=[o.pk for o in outputs],
    )


def rate_queue(
    queue: Queue,
    reviewers: Sequence[Any],
    *,
    noise: float = 0.6,
    seed: int = 1,
    share: float = 1.0,
    bias: Sequence[float] = (),
) -> int:
    """Store ratings of every reviewer on (a share of) the queue: truth plus noise.

    The truth is the local server's own heuristic, so a judge served by it agrees with the
    humans about as well as they agree with each other. Written in bulk: fast, no leases.
    """
    rng = random.Random(seed)
    criteria = list(Criterion.objects.filter(rubric_version=queue.rubric_version))
    items = list(QueueItem.objects.filter(queue=queue).select_related("output").order_by("id"))
    annotations, scores = [], []
    for item in items:
        if rng.random() > share:
            continue
        question = str(item.output.input.get("question", ""))
        for index, reviewer in enumerate(reviewers):
            annotations.append(
                Annotation(
                    item=item,
                    reviewer=reviewer,
                    rubric_version=queue.rubric_version,
                    client_token=uuid.UUID(int=rng.getrandbits(128)),
                )
            )
            offset = bias[index] if index < len(bias) else 0.0
            scores.append(
                {
                    c: max(
                        c.scale_min,
                        min(
                            c.scale_max,
                            round(
                                quality(c.name, item.output.output_text, question)
                                + offset
                                + rng.gauss(0, noise)
                            ),
                        ),
                    )
                    for c in criteria
                }
            )
    Annotation.objects.bulk_create(annotations)
    Rating.objects.bulk_create(
        Rating(annotation=a, criterion=c, score=s)
        for a, row in zip(annotations, scores, strict=True)
        for c, s in row.items()
    )
    return len(annotations)


def run_to_end(run: JudgeRun, options: StepOptions | None = None, limit: int = 1000) -> JudgeRun:
    """Step a judge run in this process until it is finished; return it fresh."""
    for _ in range(limit):
        if judge_run_step(run_id=run.pk, options=options) is not StepOutcome.MORE:
            break
    run.refresh_from_db()
    return run


def subject_counts(server: Any) -> Counter[str]:
    """Return how many requests the server received per judged item (first attempts only)."""
    counts: Counter[str] = Counter()
    for request in server.requests:
        body = request.body or {}
        users = [m["content"] for m in body.get("messages", []) if m.get("role") == "user"]
        if users and len(body.get("messages", [])) == 2:  # repairs carry four messages
            counts[users[0]] += 1
    return counts
