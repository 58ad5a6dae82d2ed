"""Roll-ups agree with the outputs they sum, on every path that creates outputs, exactly once."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Sum

from llmops_core.io.imports import iter_records
from llmops_core.metrics.hours import period_start
from llmops_core.metrics.latency import RELATIVE_ERROR
from llmops_core.models import (
    ModelOutput,
    OutputRollup,
    OutputRollupError,
    OutputRollupLatency,
    Project,
)
from llmops_core.selectors.monitoring import Window, rollup_figures
from llmops_core.services.imports import outputs_import
from llmops_core.services.monitoring import rollups_rebuild
from llmops_core.services.prompts import prompt_template_create, prompt_version_create
from tests.monitoring.helpers import START, add_all, direct, make_outputs, nearest_rank
from tests.traces.conftest import Sender
from tests.traces.spans import body, llm_spans
from tests.traces.test_store import process_all

pytestmark = pytest.mark.django_db

WEEK = Window("week", START - dt.timedelta(days=7), START + dt.timedelta(days=14))


def _close(estimate: float | None, exact: int) -> bool:
    return estimate is not None and abs(estimate - exact) <= RELATIVE_ERROR * exact + 1e-9


def _stored() -> tuple[Any, ...]:
    """Everything the roll-up tables hold, in a comparable form."""
    return (
        sorted(
            OutputRollup.objects.values_list(
                "grain",
                "period",
                "version",
                "model_name",
                "requests",
                "errors",
                "tokens_in",
                "tokens_out",
                "cost",
                "latency_ms",
            )
        ),
        sorted(
            OutputRollupError.objects.values_list(
                "grain", "period", "model_name", "error_type", "count"
            )
        ),
        sorted(
            OutputRollupLatency.objects.values_list("grain", "period", "model_name", "bin", "count")
        ),
    )


def test_rollup_equals_a_direct_aggregate_over_the_outputs(project: Project) -> None:
    outputs = make_outputs(project, 1500)
    add_all(project, outputs)
    figures = rollup_figures(project=project, window=WEEK, key=lambda k: "all")
    (total,) = figures.values()
    expected = direct(outputs)
    for name in ("requests", "errors", "errors_by_type", "tokens_in", "tokens_out"):
        assert total[name] == expected[name], name
    assert total["cost"] == pytest.approx(expected["cost"], abs=1e-6)
    for q in (0.5, 0.95, 0.99):
        exact = nearest_rank(expected["latencies"], q)
        assert _close(total[f"latency_p{round(q * 100)}_ms"], exact), (q, exact)


def test_per_model_and_per_day_figures_merge_hours_exactly(project: Project) -> None:
    outputs = make_outputs(project, 800, hours=60)
    add_all(project, outputs)
    window = Window("day", START - dt.timedelta(days=1), START + dt.timedelta(days=4))
    by_day = rollup_figures(project=project, window=window, key=lambda k: (k[0], k[2]))
    for (day, model), figures in by_day.items():
        mine = [
            o
            for o in outputs
            if o.model_name == model and o.started_at.date() == period_start(day, "day").date()
        ]
        expected = direct(mine)
        assert figures["requests"] == expected["requests"]
        assert figures["tokens_out"] == expected["tokens_out"]
        assert _close(figures["latency_p95_ms"], nearest_rank(expected["latencies"], 0.95))
    assert sum(f["requests"] for f in by_day.values()) == 800


def test_spans_through_otlp_update_rollups(sender: Sender) -> None:
    sender.post(body(llm_spans(3)))
    sender.post(body(llm_spans(2, error=True)))
    process_all()
    totals = OutputRollup.objects.filter(grain=1).aggregate(
        requests=Sum("requests"), errors=Sum("errors"), tokens=Sum("tokens_in")
    )
    assert totals == {"requests": 5, "errors": 2, "tokens": 5000}
    assert list(OutputRollupError.objects.filter(grain=168).values_list("error_type", "count")) == [
        ("RateLimitError", 2)
    ]
    assert OutputRollupLatency.objects.filter(grain=24).aggregate(n=Sum("count"))["n"] == 5


def test_redelivered_spans_add_nothing_twice(sender: Sender) -> None:
    data = body(llm_spans(4))
    sender.post(data)
    process_all()
    before = _stored()
    sender.post(data)
    process_all()
    assert ModelOutput.objects.count() == 4
    assert _stored() == before


def test_imported_outputs_count_and_reimport_adds_nothing(project: Project) -> None:
    rows = [
        {
            "external_id": f"i{i}",
            "input": "Hi",
            "output": "Hello",
            "model": "imp-model",
            "latency_ms": 100 + i,
            "tokens_in": 3,
            "tokens_out": 4,
            "cost": 0.001,
        }
        for i in range(5)
    ]
    data = "\n".join(json.dumps(r) for r in rows).encode()
    for _ in range(2):
        outputs_import(project=project, source=lambda: iter_records(io.BytesIO(data), "jsonl"))
    rollup = OutputRollup.objects.get(grain=1)
    assert (rollup.model_name, rollup.requests, rollup.tokens_out) == ("imp-model", 5, 20)
    assert float(rollup.cost) == pytest.approx(0.005)


def test_rebuild_recomputes_what_adds_built_and_is_idempotent(project: Project) -> None:
    template = prompt_template_create(project=project, name="ask")
    version = prompt_version_create(template=template, template_text="{{q}}", model_name="m")[0]
    add_all(project, make_outputs(project, 700, versions=[version, None]))
    built = _stored()
    rollups_rebuild(project_id=project.pk)
    assert _stored() == built
    call_command("rollups_rebuild", project.slug, stdout=io.StringIO())
    assert _stored() == built
    assert OutputRollup.objects.filter(version=version.pk).exists()


def test_rebuild_counts_outputs_stored_before_rollups(project: Project) -> None:
    outputs = make_outputs(project, 50)  # bulk-created: no roll-up yet
    assert not OutputRollup.objects.exists()
    out = io.StringIO()
    call_command("rollups_rebuild", project.slug, stdout=out)
    assert "50 outputs" in out.getvalue()
    assert OutputRollup.objects.filter(grain=24).aggregate(n=Sum("requests"))["n"] == len(outputs)
