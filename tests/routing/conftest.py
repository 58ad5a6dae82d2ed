"""Fixtures of the routing tests: outputs arriving, a queue, and the judge fixtures reused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from annotate.models import Queue
from annotate.services.queues import queue_create
from llmops_core.hashing import content_hash
from llmops_core.models import ModelOutput, Project
from llmops_core.services.traces import outputs_ingested
from tests.judges.conftest import fast, llm_endpoint, llm_server, make_judge, sleeps

__all__ = ["fast", "llm_endpoint", "llm_server", "make_judge", "sleeps"]


def new_outputs(project: Project, n: int, *, prefix: str = "o", **fields: Any) -> list[int]:
    """Create ``n`` outputs as spans do (calling the ingest hook); return their ids."""
    rows = []
    for i in range(n):
        value = {"question": f"{prefix} question {i}?"}
        rows.append(
            ModelOutput(
                project=project,
                external_id=f"{prefix}-{i}",
                input=value,
                input_hash=content_hash(value),
                output_text=fields.get("output_text", f"An answer to question {i}."),
                model_name=fields.get("model_name", "demo-model"),
                tags=fields.get("tags", []),
                metadata=fields.get("metadata", {}),
                status=fields.get("status", "ok"),
                prompt_version=fields.get("prompt_version"),
            )
        )
    with transaction.atomic():
        made = ModelOutput.objects.bulk_create(rows)
        ids = [o.pk for o in made]
        outputs_ingested(project_id=project.pk, output_ids=ids)
    return ids


@pytest.fixture
def arrive(project: Project) -> Callable[..., list[int]]:
    """Return a function that makes new outputs arrive in ``project``."""

    def make(n: int, **fields: Any) -> list[int]:
        return new_outputs(project, n, **fields)

    return make


@pytest.fixture
def queue(project: Project) -> Queue:
    rubric_version = project.rubrics.get(name="default").versions.get(number=1)
    return queue_create(project=project, name="Support QA", rubric_version=rubric_version)
