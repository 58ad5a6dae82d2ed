"""Outputs linked to a prompt version after they were rolled up move out of "no version"."""

from __future__ import annotations

from typing import Any

import pytest

from llmops_core.models import (
    ModelOutput,
    OutputRollup,
    OutputRollupError,
    OutputRollupLatency,
    Project,
)
from llmops_core.services.monitoring import rollups_rebuild
from llmops_core.services.prompts import prompt_template_create, prompt_version_create
from llmops_core.services.traces import prompt_refs_link
from tests.monitoring.helpers import add_all, make_outputs

pytestmark = pytest.mark.django_db

KEY = ("grain", "period", "version", "model_name")


def _stored() -> tuple[Any, ...]:
    """Every roll-up row, version included, in a comparable form."""
    return (
        sorted(
            OutputRollup.objects.values_list(
                *KEY, "requests", "errors", "tokens_in", "tokens_out", "cost", "latency_ms"
            )
        ),
        sorted(OutputRollupError.objects.values_list(*KEY, "error_type", "count")),
        sorted(OutputRollupLatency.objects.values_list(*KEY, "bin", "count")),
    )


def test_a_late_link_moves_the_counts_to_the_version(project: Project) -> None:
    outputs = make_outputs(project, 300, seed=3)
    named = [o.pk for o in outputs[:200]]
    ModelOutput.objects.filter(pk__in=named).update(prompt_ref_name="ask", prompt_ref_version=1)
    add_all(project, outputs)  # as spans are stored: their version is not registered yet
    assert set(OutputRollup.objects.values_list("version", flat=True)) == {0}

    template = prompt_template_create(project=project, name="ask")
    version = prompt_version_create(template=template, template_text="{{q}}", model_name="m")[0]
    # The link runs after the version's commit; the test's transaction never commits.
    assert prompt_refs_link(project_id=project.pk, name="ask", number=1) == 200
    assert prompt_refs_link(project_id=project.pk, name="ask", number=1) == 0  # nothing twice

    moved = _stored()
    rollups_rebuild(project_id=project.pk)
    assert moved == _stored()  # exactly what rolling the linked outputs up from scratch gives
    per_version = {
        v: sum(OutputRollup.objects.filter(grain=1, version=v).values_list("requests", flat=True))
        for v in (0, version.pk)
    }
    assert per_version == {0: 100, version.pk: 200}
    assert not OutputRollup.objects.filter(requests=0).exists()  # emptied rows are gone
