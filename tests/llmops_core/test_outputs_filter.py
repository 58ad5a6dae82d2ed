"""The outputs filter: each field narrows, fields AND together, values within a field OR, and
bad parameters are refused naming the parameter."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.http import QueryDict
from django.utils import timezone

from llmops_core.forms.outputs import OutputFilterForm, filter_data_from_json
from llmops_core.models import ModelOutput, Project, PromptVersion, Role
from llmops_core.selectors.outputs import OutputFilter, output_ids_for_filter
from tests.factories import ProjectFactory
from tests.versions.helpers import judge_scores, make_outputs, make_queue, make_versions, rate_all

pytestmark = pytest.mark.django_db

SCORES = {"fluency": 4, "relevance": 3, "factuality": 5}


@dataclass
class Outputs:
    project: Project
    lead: Any
    v1: PromptVersion
    v2: PromptVersion
    a: list[ModelOutput]  # v1, model "local-generator"
    b: list[ModelOutput]  # v2, model "other-model"
    queue_id: int  # holds a[0], a[1], b[0]; a[0] and b[0] rated


@pytest.fixture
def outs(project: Project, make_member: Callable[..., Any]) -> Outputs:
    lead = make_member(Role.LEAD, "f-lead")
    reviewer = make_member(Role.REVIEWER, "f-rev")
    v1, v2 = make_versions(project)
    a = make_outputs(project, v1, 3)
    b = make_outputs(project, v2, 3)
    ModelOutput.objects.filter(pk__in=[o.pk for o in b]).update(model_name="other-model")
    queue = make_queue(project, [a[0], a[1], b[0]], [reviewer], overlap=1, order="import")
    rate_all(queue, reviewer, lambda o: SCORES, limit=1)  # a[0]
    rated_b = make_queue(project, [b[0]], [reviewer], overlap=1)
    rate_all(rated_b, reviewer, lambda o: SCORES)
    return Outputs(project, lead, v1, v2, a, b, queue.pk)


def query(**params: Any) -> QueryDict:
    data = QueryDict(mutable=True)
    for key, value in params.items():
        data.setlist(key, [str(v) for v in value] if isinstance(value, list) else [str(value)])
    return data


def ids(outs: Outputs, **params: Any) -> list[int]:
    form = OutputFilterForm(query(**params), project=outs.project, user=outs.lead)
    assert form.is_valid(), form.errors
    return output_ids_for_filter(project=outs.project, flt=form.to_filter())


def errors(outs: Outputs, **params: Any) -> list[str]:
    form = OutputFilterForm(query(**params), project=outs.project, user=outs.lead)
    assert not form.is_valid()
    return form.error_lines()


def test_no_parameters_match_every_output_oldest_first(outs: Outputs) -> None:
    assert ids(outs) == sorted(o.pk for o in outs.a + outs.b)


def test_versions_and_models_or_within_a_field(outs: Outputs) -> None:
    every = sorted(o.pk for o in outs.a + outs.b)
    assert ids(outs, prompt_version_id=outs.v1.pk) == [o.pk for o in outs.a]
    assert ids(outs, prompt_version_id=[outs.v1.pk, outs.v2.pk]) == every
    assert ids(outs, model="other-model") == [o.pk for o in outs.b]
    assert ids(outs, model=["other-model", "local-generator"]) == every
    assert ids(outs, prompt="support") == every


def test_fields_and_together(outs: Outputs) -> None:
    assert ids(outs, prompt_version_id=outs.v1.pk, model="other-model") == []
    assert ids(outs, prompt_version_id=outs.v2.pk, rated="yes") == [outs.b[0].pk]


def test_rated_means_at_least_one_label(outs: Outputs) -> None:
    assert ids(outs, rated="yes") == [outs.a[0].pk, outs.b[0].pk]
    not_rated = [o.pk for o in outs.a[1:] + outs.b[1:]]
    assert ids(outs, rated="no") == not_rated
    assert ids(outs, rated="false") == not_rated


def test_queue_or_no_queue(outs: Outputs) -> None:
    in_queue = [outs.a[0].pk, outs.a[1].pk, outs.b[0].pk]
    assert ids(outs, queue=outs.queue_id) == in_queue
    assert ids(outs, queue="none") == [outs.a[2].pk, outs.b[1].pk, outs.b[2].pk]
    assert ids(outs, queue=["none", outs.queue_id]) == sorted(o.pk for o in outs.a + outs.b)


def test_search_reads_output_text_external_id_and_input(outs: Outputs) -> None:
    ModelOutput.objects.filter(pk=outs.a[1].pk).update(
        output_text="Zürich is lovely", input={"question": 'Where is "Zürich"?'}
    )
    assert ids(outs, q="lovely") == [outs.a[1].pk]
    assert ids(outs, q="zürich") == [outs.a[1].pk]  # the input too, escaped in its JSON text
    assert ids(outs, q='"Zürich"') == [outs.a[1].pk]
    assert ids(outs, q=outs.b[2].external_id) == [outs.b[2].pk]
    assert ids(outs, q="q2") == [outs.a[2].pk, outs.b[2].pk]  # the inputs {"question": "q2"}


def test_created_range_is_inclusive_by_day(outs: Outputs) -> None:
    old = timezone.make_aware(dt.datetime(2024, 3, 10, 23, 30))
    ModelOutput.objects.filter(pk=outs.a[2].pk).update(created_at=old)
    day = "2024-03-10"
    assert ids(outs, created_from=day, created_to=day) == [outs.a[2].pk]
    assert outs.a[2].pk not in ids(outs, created_from="2024-03-11")


def test_judge_range_uses_the_latest_run(outs: Outputs) -> None:
    judge_scores(outs.project, {outs.a[0]: {"fluency": 2}, outs.a[1]: {"fluency": 5}})
    judge_scores(outs.project, {outs.a[0]: {"fluency": 4}})  # a later run re-scores a[0]
    assert ids(outs, judge_criterion="fluency", judge_min=4) == [outs.a[0].pk, outs.a[1].pk]
    assert ids(outs, judge_criterion="fluency", judge_max=3) == []
    assert ids(outs, judge_criterion="fluency", judge_min=5, judge_max=5) == [outs.a[1].pk]
    # A criterion alone keeps the outputs the judge scored on it.
    assert ids(outs, judge_criterion="fluency") == [outs.a[0].pk, outs.a[1].pk]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"judge_criterion": "fluency", "judge_min": "7"}, "judge_min: 7 is outside 1-5"),
        ({"judge_criterion": "fluency", "judge_max": "0"}, "judge_max: 0 is outside 1-5"),
        ({"judge_criterion": "fluency", "judge_min": "4", "judge_max": "2"}, "judge_max: 2 is"),
        ({"judge_min": "3"}, "judge_min: give judge_criterion"),
        ({"judge_criterion": "tone"}, "judge_criterion: tone is not a criterion"),
        ({"judge_criterion": "fluency", "judge_min": "x"}, "judge_min: Enter a whole number."),
        ({"created_from": "2024-13-01"}, "created_from: Enter a valid date."),
        ({"created_from": "2024-03-02", "created_to": "2024-03-01"}, "created_to: 2024-03-01 is"),
        ({"created_to": "9999-12-31"}, "created_to: 9999-12-31 is outside 1900-01-01 to"),
        ({"created_from": "0001-01-01"}, "created_from: 0001-01-01 is outside 1900-01-01 to"),
        ({"rated": "maybe"}, "rated: 'maybe' is not one of yes, no"),
        ({"prompt_version_id": "999999"}, "prompt_version_id: 999999 is not a prompt version"),
        ({"model": "nope"}, "model: nope is not a model of the outputs"),
        ({"queue": "abc"}, "queue: abc is not a queue of this project"),
        ({"prompt": "nope"}, "prompt: nope is not a prompt template"),
    ],
)
def test_bad_parameters_are_refused_naming_the_parameter(
    outs: Outputs, params: dict[str, str], expected: str
) -> None:
    lines = errors(outs, **params)
    assert any(line.startswith(expected) for line in lines), lines


def test_another_projects_queue_is_not_a_choice(outs: Outputs) -> None:
    other = ProjectFactory()
    theirs = make_queue(other, [], [])
    lines = errors(outs, queue=str(theirs.pk))
    assert lines == [f"queue: {theirs.pk} is not a queue of this project"]


def test_json_filter_becomes_the_same_parameters(outs: Outputs) -> None:
    data = filter_data_from_json(
        {"prompt_version_id": [outs.v1.pk], "rated": True, "judge_min": None}
    )
    form = OutputFilterForm(data, project=outs.project, user=outs.lead)
    assert form.is_valid(), form.errors
    assert form.to_filter() == OutputFilter(version_ids=(outs.v1.pk,), rated=True)
    with pytest.raises(ValueError, match='"colour" is not a filter parameter'):
        filter_data_from_json({"colour": "red"})
    with pytest.raises(ValueError, match='"model": give strings or numbers'):
        filter_data_from_json({"model": [{"x": 1}]})


def _import_of(project: Project, outputs: list[ModelOutput]) -> int:
    """Record an import whose rows stood for ``outputs`` (as an import run records them)."""
    from llmops_core.models import ImportJob, ImportJobOutput

    job = ImportJob.objects.create(project=project, format="jsonl", original_name="v.jsonl")
    ImportJobOutput.objects.bulk_create(
        ImportJobOutput(job=job, row=row, output=output, created=True)
        for row, output in enumerate(outputs, start=1)
    )
    return job.pk


def test_import_id_keeps_the_outputs_an_import_stands_for(outs: Outputs) -> None:
    job = _import_of(outs.project, [outs.b[2], outs.a[1]])
    assert ids(outs, import_id=job) == sorted([outs.a[1].pk, outs.b[2].pk])
    assert ids(outs, import_id=job, prompt_version_id=outs.v1.pk) == [outs.a[1].pk]


def test_another_projects_import_is_refused(outs: Outputs) -> None:
    other = ProjectFactory()
    job = _import_of(other, [])
    assert errors(outs, import_id=job) == [f"import_id: {job} is not an import of this project"]
    assert errors(outs, import_id="x") == ["import_id: Enter a whole number."]
