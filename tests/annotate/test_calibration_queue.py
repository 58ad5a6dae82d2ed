"""Calibration queues: a random sample of a version's judged outputs, with known probabilities."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from annotate.models import Queue, QueueItem, QueueSampling
from annotate.services.calibration import calibration_queue_create
from annotate.services.queues import queue_add_outputs, queue_update
from llmops_core.errors import DomainError
from llmops_core.metrics.ppi import (
    draw_active,
    draw_uniform,
    inclusion_probabilities,
    level_spread,
)
from llmops_core.models import (
    AuditEvent,
    Criterion,
    JudgeMode,
    JudgePairVerdict,
    JudgeRun,
    Project,
    Role,
)
from llmops_core.selectors.judge_frames import judge_frame
from llmops_core.services.judges.configs import judge_version_create
from tests.annotate.calibration_world import (
    default_rubric,
    judge_scores,
    make_judge,
    make_version,
    version_outputs,
)
from tests.factories import ProjectFactory

URL = "/api/projects/{slug}/calibration-queues/"


def _body(project: Project, version: Any, judge: Any, **extra: Any) -> dict[str, Any]:
    return {
        "name": "calibrate",
        "prompt_version_id": version.pk,
        "judge_version_id": judge.pk,
        "criterion": "fluency",
        "budget": 10,
        "rubric_version_id": default_rubric(project).pk,
        "seed": 7,
        **extra,
    }


@pytest.fixture
def world(project: Project) -> tuple[Any, Any, list[Any]]:
    """A version with 40 outputs, all scored by a judge; the last 20 scored twice, differently."""
    version = make_version(project, 40)
    judge = make_judge(project)
    outputs = version_outputs(version)
    judge_scores(judge, outputs, [1 + i % 5 for i in range(40)])
    judge_scores(judge, outputs[20:], [1 + (i + 2) % 5 for i in range(20)])
    return version, judge, outputs


def _items(queue: Queue) -> dict[int, float | None]:
    return dict(
        QueueItem.objects.filter(queue=queue).values_list("output_id", "inclusion_probability")
    )


def test_uniform_draw_takes_n_outputs_each_with_probability_n_over_m(
    api_as: Callable[[Any], Any], lead: Any, project: Project, world: Any
) -> None:
    version, judge, outputs = world
    response = api_as(lead).post(
        URL.format(slug=project.slug), _body(project, version, judge), format="json"
    )
    assert response.status_code == 201, response.json()
    queue = Queue.objects.get(pk=response.json()["id"])
    assert (queue.sampling, queue.calibrates_id, queue.sample_frame, queue.seed) == (
        QueueSampling.UNIFORM,
        version.pk,
        40,
        7,
    )
    ids = np.array([o.pk for o in outputs])
    expected = ids[draw_uniform(40, 10, seed=7)]
    assert _items(queue) == {int(i): 10 / 40 for i in expected}
    assert response.json()["sampling"] == "uniform" and response.json()["sample_frame"] == 40


def test_active_draw_stores_the_inclusion_probabilities_of_the_judges_uncertainty(
    lead: Any, project: Project, world: Any
) -> None:
    version, judge, outputs = world
    queue = calibration_queue_create(
        version=version,
        judge_version=judge,
        criterion="fluency",
        budget=12,
        sampling=QueueSampling.ACTIVE,
        name="active",
        rubric_version=default_rubric(project),
        seed=11,
        created_by=lead,
    )
    # The uncertainty, recomputed here: outputs scored twice spread over their two levels;
    # outputs scored once get the mean spread of the others (not knowing is not being sure).
    first = [1 + i % 5 for i in range(40)]
    second = [1 + (i + 2) % 5 for i in range(20)]
    table = np.zeros((20, 5))
    for row, (a, b) in enumerate(zip(first[20:], second, strict=True)):
        table[row, a - 1] += 0.5
        table[row, b - 1] += 0.5
    spread = level_spread(table, [1, 2, 3, 4, 5])
    uncertainty = np.concatenate([np.full(20, spread.mean()), spread])
    assert np.allclose(
        judge_frame(judge_version=judge, criterion="fluency").uncertainty, uncertainty
    )
    probabilities = inclusion_probabilities(uncertainty, 12, uniform_share=0.5)
    drawn = draw_active(probabilities, seed=11)
    ids = [o.pk for o in outputs]
    stored = _items(queue)
    assert sorted(stored) == [ids[i] for i in drawn]
    for index in drawn:
        assert stored[ids[index]] == pytest.approx(probabilities[index], abs=1e-12)
    assert min(stored.values()) >= 0.5 * 12 / 40 - 1e-12  # the floor: known and positive
    assert queue.sampling == QueueSampling.ACTIVE and queue.sample_frame == 40
    event = AuditEvent.objects.get(action="queue.calibration_draw")
    assert event.after["seed"] == 11 and event.after["uncertainty_source"] == "repeats"


def test_the_same_seed_draws_the_same_outputs(lead: Any, project: Project, world: Any) -> None:
    version, judge, _ = world
    queues = [
        calibration_queue_create(
            version=version,
            judge_version=judge,
            criterion="fluency",
            budget=9,
            sampling=sampling,
            name=f"{sampling}-{n}",
            rubric_version=default_rubric(project),
            seed=seed,
        )
        for sampling in ("uniform", "active")
        for n, seed in enumerate((5, 5, 6))
    ]
    drawn = [sorted(_items(q)) for q in queues]
    assert drawn[0] == drawn[1] and drawn[0] != drawn[2]
    assert drawn[3] == drawn[4] and drawn[3] != drawn[5]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"budget": 41}, "budget"),
        ({"budget": 0}, "budget"),
        ({"criterion": "relevance"}, "judge_version"),
        ({"sampling": "stratified"}, "sampling"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_requests_are_400_and_write_nothing(
    api_as: Callable[[Any], Any], lead: Any, project: Project, world: Any, change: Any, field: str
) -> None:
    version, judge, _ = world
    before = Queue.objects.count()
    response = api_as(lead).post(
        URL.format(slug=project.slug), _body(project, version, judge, **change), format="json"
    )
    assert response.status_code == 400
    assert field in str(response.json())
    assert Queue.objects.count() == before and not QueueItem.objects.filter(queue__name="calibrate")


def test_a_version_nobody_judged_is_a_400_naming_the_judge(
    api_as: Callable[[Any], Any], lead: Any, project: Project, world: Any
) -> None:
    _, judge, _ = world
    bare = make_version(project, 5)
    response = api_as(lead).post(
        URL.format(slug=project.slug), _body(project, bare, judge), format="json"
    )
    assert response.status_code == 400
    assert "scored no output" in response.json()["detail"]
    no_judge = api_as(lead).post(
        URL.format(slug=project.slug),
        _body(project, bare, judge, judge_version_id=None),
        format="json",
    )
    assert no_judge.status_code == 400 and "no judge scored" in str(no_judge.json())
    assert not Queue.objects.filter(name="calibrate").exists()


def test_a_version_or_judge_of_another_project_is_a_400(
    api_as: Callable[[Any], Any], lead: Any, project: Project, world: Any
) -> None:
    version, judge, _ = world
    other = ProjectFactory()
    their_version = make_version(other, 5)
    their_judge = make_judge(other)
    client = api_as(lead)
    url = URL.format(slug=project.slug)
    a = client.post(url, _body(project, their_version, judge), format="json")
    b = client.post(url, _body(project, version, their_judge), format="json")
    assert a.status_code == b.status_code == 400
    assert "prompt_version_id" in a.json() and "judge_version_id" in b.json()
    assert not Queue.objects.filter(name="calibrate").exists()


@pytest.mark.parametrize(
    ("role", "expected"), [(Role.REVIEWER, 403), (Role.ADJUDICATOR, 403), (None, 404)]
)
def test_only_leads_create_or_preview(
    api_as: Callable[[Any], Any],
    make_member: Callable[..., Any],
    project: Project,
    world: Any,
    role: str | None,
    expected: int,
) -> None:
    version, judge, _ = world
    user = make_member(role) if role else make_member(Role.LEAD, "elsewhere", proj=ProjectFactory())
    client = api_as(user)
    body = _body(project, version, judge)
    assert client.post(URL.format(slug=project.slug), body, format="json").status_code == expected
    preview = client.get(URL.format(slug=project.slug) + "preview/", body)
    assert preview.status_code == expected
    assert not Queue.objects.filter(name="calibrate").exists()


def test_an_admin_may_create(
    api_as: Callable[[Any], Any], make_member: Callable[..., Any], project: Project, world: Any
) -> None:
    version, judge, _ = world
    admin = make_member(Role.ADMIN, "boss")
    response = api_as(admin).post(
        URL.format(slug=project.slug), _body(project, version, judge), format="json"
    )
    assert response.status_code == 201


def test_outputs_cannot_be_added_by_hand_to_a_calibration_queue(
    lead: Any, project: Project, world: Any
) -> None:
    version, judge, outputs = world
    queue = calibration_queue_create(
        version=version,
        judge_version=judge,
        criterion="fluency",
        budget=5,
        name="sample",
        rubric_version=default_rubric(project),
        seed=1,
    )
    with pytest.raises(DomainError, match="calibration sample"):
        queue_add_outputs(queue=queue, output_ids=[o.pk for o in outputs])
    assert QueueItem.objects.filter(queue=queue).count() == 5


def test_the_seed_of_a_calibration_queue_stays_the_seed_of_its_draw(
    lead: Any, project: Project, world: Any
) -> None:
    version, judge, _ = world
    queue = calibration_queue_create(
        version=version,
        judge_version=judge,
        criterion="fluency",
        budget=5,
        name="sample",
        rubric_version=default_rubric(project),
        seed=3,
    )
    with pytest.raises(DomainError, match="seed of its draw"):
        queue_update(queue=queue, changes={"seed": 4})
    assert queue_update(queue=queue, changes={"seed": 3, "overlap": 2}).overlap == 2
    queue.refresh_from_db()
    assert queue.seed == 3


def test_active_sampling_follows_swapped_pairwise_verdicts(lead: Any, project: Project) -> None:
    """Without repeated scores, the flip of a pairwise verdict when swapped is the uncertainty."""
    version = make_version(project, 6)
    judge = make_judge(project)
    outputs = version_outputs(version)
    judge_scores(judge, outputs, [3, 3, 3, 3, 3, 3])
    pairwise, _ = judge_version_create(
        judge=judge.config,
        model_name="judge-model",
        rubric_version=default_rubric(project),
        mode=JudgeMode.PAIRWISE,
    )
    run = JudgeRun.objects.create(project=project, judge_version=pairwise)
    fluency = Criterion.objects.get(rubric_version=default_rubric(project), name="fluency")
    for a, b, ab, ba in [(0, 1, "A", "B"), (2, 3, "A", "A"), (0, 4, "A", "tie")]:
        JudgePairVerdict.objects.create(
            run=run,
            output_a=outputs[a],
            output_b=outputs[b],
            criterion=fluency,
            verdict_ab=ab,
            verdict_ba=ba,
        )
    frame = judge_frame(judge_version=judge, criterion="fluency", prompt_version_id=version.pk)
    # Output 0 flips fully in one pair and half in another; 1 fully; 2, 3 never; 4 half;
    # 5 is in no pair and gets the mean of the others.
    known = [0.75, 1.0, 0.0, 0.0, 0.5]
    assert frame.source == "swaps"
    assert frame.uncertainty.tolist() == pytest.approx([*known, float(np.mean(known))])
    queue = calibration_queue_create(
        version=version,
        judge_version=judge,
        criterion="fluency",
        budget=3,
        sampling=QueueSampling.ACTIVE,
        name="swaps",
        rubric_version=default_rubric(project),
        seed=2,
    )
    probabilities = inclusion_probabilities(frame.uncertainty, 3, uniform_share=0.5)
    stored = _items(queue)
    ids = [o.pk for o in outputs]
    assert sorted(stored) == [ids[i] for i in draw_active(probabilities, seed=2)]
    assert all(
        stored[ids[i]] == pytest.approx(probabilities[i]) for i in range(6) if ids[i] in stored
    )


def test_a_failure_after_the_queue_is_made_leaves_nothing_behind(
    lead: Any, project: Project, world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The queue, its items and their probabilities are one transaction."""
    version, judge, _ = world

    def broken(*args: Any) -> None:
        raise DomainError("the database went away mid-draw")

    monkeypatch.setattr("annotate.services.calibration._store_probabilities", broken)
    with pytest.raises(DomainError, match="mid-draw"):
        calibration_queue_create(
            version=version,
            judge_version=judge,
            criterion="fluency",
            budget=5,
            name="half",
            rubric_version=default_rubric(project),
            seed=1,
        )
    assert not Queue.objects.filter(name="half").exists()
    assert not QueueItem.objects.filter(queue__name="half").exists()
    assert not AuditEvent.objects.filter(action="queue.create", after__name="half").exists()
