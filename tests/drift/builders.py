"""Build two windows of outputs straight in the database (test code only)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np
from django.utils import timezone

from llmops_core.hashing import content_hash
from llmops_core.models import ModelOutput, OutputStatus, Project, PromptVersion
from llmops_core.services.drift import DriftSpec, Window

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.get_current_timezone())
WORDS = [
    "the",
    "order",
    "refund",
    "account",
    "please",
    "help",
    "shipping",
    "delivery",
    "payment",
    "thanks",
]


def outputs_between(
    project: Project,
    *,
    since: datetime,
    n: int,
    rng: np.random.Generator,
    scale: float = 1.0,
    refusal_share: float = 0.0,
    error_share: float = 0.0,
    version: PromptVersion | None = None,
    words: Sequence[str] = WORDS,
    prefix: str = "o",
) -> list[ModelOutput]:
    """Create ``n`` outputs over the week from ``since`` with log-normal lengths (x ``scale``)."""
    lengths = np.maximum(2, np.round(rng.lognormal(np.log(40), 0.3, n) * scale)).astype(int)
    rows = []
    for i, length in enumerate(lengths):
        text = " ".join(rng.choice(list(words), int(length) // 5 + 1))[: int(length)]
        if rng.random() < refusal_share:
            text = "I'm sorry, but I can't help with that. " + text
        status = OutputStatus.ERROR if rng.random() < error_share else OutputStatus.OK
        question = {"question": f"q{i}"}
        rows.append(
            ModelOutput(
                project=project,
                external_id=f"{prefix}-{since:%Y%m%d}-{i}",
                prompt_version=version,
                input=question,
                input_hash=content_hash(question),
                output_text=text,
                latency_ms=int(rng.integers(100, 200)),
                cost=Decimal("0.001"),
                status=status,
            )
        )
    created = ModelOutput.objects.bulk_create(rows)
    step = timedelta(days=7) / max(n, 1)
    for i, output in enumerate(created):
        output.created_at = since + i * step
    ModelOutput.objects.bulk_update(created, ["created_at"])
    return created


def weeks_spec(*, end: datetime = NOW, version_id: int | None = None) -> DriftSpec:
    """Return the week before ``end`` against the week before that."""
    week = timedelta(days=7)
    return DriftSpec(
        before=Window(end - 2 * week, end - week, version_id),
        after=Window(end - week, end, version_id),
    )
