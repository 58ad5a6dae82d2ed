"""Fill the demo project: users, prompts with versions and labels, outputs and a queue.

Every write goes through the ordinary services, and the whole thing is idempotent: running it
again finds what exists and adds only what is missing.
"""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction

from annotate.models import Queue
from annotate.services.demo_ratings import demo_ratings_seed
from annotate.services.queues import queue_add_outputs, queue_create
from llmops_core.demo import DemoInput, demo_answer, demo_inputs, demo_summary
from llmops_core.io.imports import ImportRow, RowError, iter_json_array
from llmops_core.models import Project, PromptTemplate, PromptVersion, Role
from llmops_core.services.datasets import versions_demo_seed
from llmops_core.services.imports import outputs_import
from llmops_core.services.judges.demo import judge_demo_seed
from llmops_core.services.projects import membership_set, project_create
from llmops_core.services.prompts import (
    prompt_label_set,
    prompt_template_create,
    prompt_version_create,
)

DEMO_SLUG = "demo"
DEMO_PASSWORD = "demo"  # noqa: S105  (demo users only; printed by seed_demo)
DEMO_USERS = [
    # The lead made the project, so they are its admin: a project always keeps one.
    ("lead", Role.ADMIN),
    ("reviewer1", Role.REVIEWER),
    ("reviewer2", Role.REVIEWER),
    ("reviewer3", Role.REVIEWER),
]
SUPPORT_SYSTEM = "You are a friendly, precise support agent for {{ product }}."


@dataclass
class DemoSummary:
    project: Project
    users: list[tuple[str, str]] = field(default_factory=list)
    outputs_created: int = 0
    queue_items_added: int = 0
    ratings_created: int = 0


@dataclass(frozen=True)
class VersionPlan:
    number_hint: int
    template_text: str
    system_message: str
    model_name: str
    parameters: dict[str, object]
    mean_quality: float
    inputs: int


SUPPORT_PLAN = [
    VersionPlan(
        1,
        "Answer the customer's question about {{ product }}:\n\n{{ question }}",
        SUPPORT_SYSTEM,
        "demo-model",
        {"temperature": 0.7},
        0.55,
        60,
    ),
    VersionPlan(
        2,
        "Answer the question about {{ product }} in two sentences at most.\n\n"
        "Question: {{ question }}",
        SUPPORT_SYSTEM,
        "demo-model",
        {"temperature": 0.5},
        0.5,
        30,
    ),
    VersionPlan(
        3,
        "Answer the question about {{ product }}. Use only facts from the help "
        "centre; if unsure, say so and offer to escalate.\n\nQuestion: {{ question }}",
        SUPPORT_SYSTEM,
        "demo-model",
        {"temperature": 0.2},
        0.72,
        60,
    ),
]
SUMMARY_PLAN = [
    VersionPlan(
        1,
        "Summarise this support ticket in one line:\n\n{{ question }}",
        "You summarise support tickets.",
        "demo-model",
        {"temperature": 0.3},
        0.5,
        50,
    ),
    VersionPlan(
        2,
        "Summarise the ticket in one line, naming the product and the topic.\n\n"
        "Product: {{ product }}\nTicket: {{ question }}",
        "You summarise support tickets.",
        "demo-model",
        {"temperature": 0.0},
        0.75,
        50,
    ),
]


def _demo_user(username: str, *, is_staff: bool = False) -> User:
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    if user is None:
        user = user_model.objects.create_user(
            username=username, password=DEMO_PASSWORD, is_staff=is_staff
        )
    return user


def _versions(template: PromptTemplate, plans: list[VersionPlan]) -> list[PromptVersion]:
    return [
        prompt_version_create(
            template=template,
            template_text=p.template_text,
            system_message=p.system_message,
            model_name=p.model_name,
            parameters=dict(p.parameters),
        )[0]
        for p in plans
    ]


def _records(
    template: PromptTemplate,
    versions: list[PromptVersion],
    plans: list[VersionPlan],
    inputs: list[DemoInput],
    summary: bool,
) -> list[dict[str, object]]:
    records = []
    for version, plan in zip(versions, plans, strict=True):
        rng = random.Random(f"{template.name}-{version.number}")
        for item in inputs[: plan.inputs]:
            quality = min(max(rng.gauss(plan.mean_quality, 0.2), 0.0), 1.0)
            text = (demo_summary if summary else demo_answer)(item, quality=quality, rng=rng)
            records.append(
                {
                    "external_id": f"{template.name}-v{version.number}-{item.key}",
                    "input": {"question": item.question, "product": item.product},
                    "output": text,
                    "prompt": template.name,
                    "prompt_version": version.number,
                    "model": version.model_name,
                    "latency_ms": int(300 + 900 * rng.random() + 4 * len(text)),
                    "tokens_in": 40 + len(item.question.split()) * 2,
                    "tokens_out": len(text.split()) + 5,
                    "cost": round(0.0005 * (len(text.split()) + 5) / 1000 + 0.00002, 8),
                    "metadata": {"topic": item.topic, "demo_quality": round(quality, 3)},
                }
            )
    return records


def _source(records: list[dict[str, object]]) -> Iterator[ImportRow | list[RowError]]:
    return iter_json_array(json.loads(json.dumps(records)))


@transaction.atomic
def demo_seed() -> DemoSummary:
    """Create (or complete) the demo project and return what it holds."""
    lead = _demo_user("lead", is_staff=True)
    project = Project.objects.filter(slug=DEMO_SLUG).first() or project_create(
        name="Demo: support assistant",
        slug=DEMO_SLUG,
        created_by=lead,
        description="A support chatbot and a ticket summariser; compare prompt versions.",
    )
    summary = DemoSummary(project=project)
    for username, role in DEMO_USERS:
        membership_set(project=project, user=_demo_user(username), role=role)
        summary.users.append((username, DEMO_PASSWORD))
    inputs = demo_inputs(60)
    output_ids: list[str] = []
    for name, plans, is_summary in (
        ("support-reply", SUPPORT_PLAN, False),
        ("summarize-ticket", SUMMARY_PLAN, True),
    ):
        template = PromptTemplate.objects.filter(project=project, name=name).first()
        if template is None:
            template = prompt_template_create(project=project, name=name)
        versions = _versions(template, plans)
        if not template.labels.filter(name="production").exists():
            prompt_label_set(version=versions[0], label="production", actor=lead)
        if len(versions) > 2 and not template.labels.filter(name="staging").exists():
            prompt_label_set(version=versions[-1], label="staging", actor=lead)
        records = _records(template, versions, plans, inputs, is_summary)
        result = outputs_import(project=project, source=functools.partial(_source, records))
        summary.outputs_created += result.rows_created
        if name == "support-reply":
            output_ids = [str(r["external_id"]) for r in records]
    queue = Queue.objects.filter(project=project, name="Support replies").first()
    if queue is None:
        reviewers = [
            get_user_model().objects.get(username=u) for u, r in DEMO_USERS if r == Role.REVIEWER
        ]
        queue = queue_create(
            project=project,
            name="Support replies",
            created_by=lead,
            overlap=3,
            rubric_version=project.rubrics.get(name="default").versions.get(number=1),
            reviewers=reviewers,
            guidelines="Rate each **reply** on its own. Check facts against the help centre; "
            "an invented statistic is a factuality error.",
        )
    ids = list(
        project.outputs.filter(external_id__in=output_ids)
        .order_by("id")
        .values_list("id", flat=True)
    )
    summary.queue_items_added = queue_add_outputs(queue=queue, output_ids=ids)
    if not queue.gold_count and not queue.review_count:
        summary.ratings_created = demo_ratings_seed(queue=queue, lead=lead)
    # The judge (against the local demo endpoint), the release gate, the input dataset and the
    # first scorecards and comparison, so every page of the demo has something to show.
    judge_demo_seed(project)
    versions_demo_seed(project=project)
    return summary
