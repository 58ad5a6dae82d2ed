"""The served order of a queue: seeded, reproducible, versions mixed, one input's answers apart."""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Callable
from typing import Any

import pytest

from annotate.models import QueueItem, QueueOrder
from annotate.services.assignment import assignment_claim_next
from annotate.services.queues import queue_add_outputs, queue_create, queue_update
from annotate.services.queues_order import Entry, served_order
from llmops_core.errors import DomainError
from llmops_core.io.imports import iter_records
from llmops_core.models import ModelOutput, Project, Role
from llmops_core.services.imports import outputs_import
from tests.annotate.helpers import rate_next
from tests.annotate.study import import_file, two_versions

ARMS = ("v1", "v2")
NAMES = itertools.count(1)


def study(inputs: int = 150, arms: tuple[str, ...] = ARMS) -> list[Entry]:
    """Entries of one file per arm, file after file, as a lead imports them."""
    n = iter(range(1, 10**6))
    return [Entry(next(n), f"q{i}", arm) for arm in arms for i in range(inputs)]


def keys(order: list[int], entries: list[Entry], field: str) -> list[Any]:
    by_id = {e.output_id: e for e in entries}
    return [getattr(by_id[i], field) for i in order]


def adjacent_same_input(sequence: list[Any]) -> int:
    return sum(a == b for a, b in itertools.pairwise(sequence))


@pytest.mark.parametrize("order", [QueueOrder.RANDOM, QueueOrder.INTERLEAVED])
def test_the_order_is_the_same_for_the_same_seed(order: str) -> None:
    entries = study()
    first = served_order(entries, order=order, seed=7)
    assert first == served_order(list(reversed(entries)), order=order, seed=7)
    assert sorted(first) == sorted(e.output_id for e in entries)


@pytest.mark.parametrize("order", [QueueOrder.RANDOM, QueueOrder.INTERLEAVED])
def test_the_order_differs_between_seeds(order: str) -> None:
    entries = study()
    orders = {tuple(served_order(entries, order=order, seed=seed)) for seed in range(5)}
    assert len(orders) == 5


@pytest.mark.parametrize("order", [QueueOrder.RANDOM, QueueOrder.INTERLEAVED])
@pytest.mark.parametrize("seed", range(20))
def test_answers_to_one_input_are_never_served_back_to_back(order: str, seed: int) -> None:
    entries = study(inputs=40, arms=("v1", "v2", "v3"))
    served = served_order(entries, order=order, seed=seed)
    assert adjacent_same_input(keys(served, entries, "input_key")) == 0


def test_answers_to_one_input_stay_together_when_there_is_nothing_else() -> None:
    entries = study(inputs=1)
    assert sorted(served_order(entries, order=QueueOrder.RANDOM, seed=1)) == [1, 2]


def test_the_random_order_mixes_the_versions_of_two_files() -> None:
    entries = study()
    served = keys(served_order(entries, order=QueueOrder.RANDOM, seed=3), entries, "arm")
    assert set(served[:10]) == {"v1", "v2"}
    assert 0.4 < served[:150].count("v1") / 150 < 0.6


@pytest.mark.parametrize("seed", range(10))
def test_interleaving_alternates_the_versions(seed: int) -> None:
    entries = study(inputs=60)
    served = keys(served_order(entries, order=QueueOrder.INTERLEAVED, seed=seed), entries, "arm")
    assert served == ["v1", "v2"] * 60


def test_interleaving_uneven_arms_alternates_while_both_last() -> None:
    entries = study(inputs=30) + [Entry(1000 + i, f"extra{i}", "v2") for i in range(10)]
    served = keys(served_order(entries, order=QueueOrder.INTERLEAVED, seed=1), entries, "arm")
    assert served[:60] == ["v1", "v2"] * 30 and served[60:] == ["v2"] * 10


def test_import_order_keeps_the_given_order() -> None:
    entries = study(inputs=5)
    assert served_order(entries, order=QueueOrder.IMPORT, seed=1) == list(range(1, 11))


def test_added_outputs_start_apart_from_the_last_item() -> None:
    last = Entry(1, "q1", "v1")
    for seed in range(20):
        added = [Entry(2, "q1", "v2"), Entry(3, "q3", "v2")]
        assert served_order(added, order=QueueOrder.RANDOM, seed=seed, after=last) == [3, 2]


# --- through the database ------------------------------------------------------------------------


@pytest.fixture
def two_files(project: Project) -> list[int]:
    """150 questions answered by v1 (the first file), then by v2 (the second)."""
    v1, v2 = two_versions(project)
    return import_file(project, v1, 150) + import_file(project, v2, 150)


def make(project: Project, ids: list[int], reviewers: list[Any], **options: Any) -> Any:
    return queue_create(
        project=project,
        name=f"study-{next(NAMES)}",
        rubric_version=project.rubrics.get(name="default").versions.get(number=1),
        overlap=1,
        reviewers=reviewers,
        output_ids=ids,
        **options,
    )


def served_to(queue: Any, reviewer: Any, n: int) -> list[ModelOutput]:
    """Rate ``n`` items as ``reviewer``; return their outputs in the order they came."""
    return [rate_next(queue, reviewer).item.output for _ in range(n)]


def test_a_two_file_import_is_served_with_both_versions_in_the_first_ten(
    project: Project, two_files: list[int], make_member: Callable[..., Any]
) -> None:
    reviewer = make_member(Role.REVIEWER, "rev")
    queue = make(project, two_files, [reviewer])
    assert queue.order == QueueOrder.RANDOM
    first = served_to(queue, reviewer, 10)
    assert len({o.prompt_version_id for o in first}) == 2
    in_import_order = make(project, two_files, [reviewer], order=QueueOrder.IMPORT)
    assert len({o.prompt_version_id for o in served_to(in_import_order, reviewer, 10)}) == 1


def test_a_reviewer_never_gets_one_input_twice_in_a_row(
    project: Project, two_files: list[int], make_member: Callable[..., Any]
) -> None:
    reviewer = make_member(Role.REVIEWER, "rev")
    queue = make(project, two_files[:20] + two_files[150:170], [reviewer], seed=11)
    served = [o.input_hash for o in served_to(queue, reviewer, 40)]
    assert adjacent_same_input(served) == 0
    claim = assignment_claim_next(queue=queue, reviewer=reviewer)
    assert claim.reason == "done"


def test_the_seed_reproduces_the_positions(project: Project, two_files: list[int]) -> None:
    def positions(queue: Any) -> list[int]:
        return list(queue.items.order_by("position").values_list("output_id", flat=True))

    a = make(project, two_files, [], seed=5, order=QueueOrder.INTERLEAVED)
    b = make(project, list(reversed(two_files)), [], seed=5, order="interleaved")
    assert positions(a) == positions(b)
    assert QueueItem.objects.filter(queue=a).values("position").distinct().count() == 300


def test_outputs_added_later_join_the_queue_in_its_order(
    project: Project, two_files: list[int]
) -> None:
    queue = make(project, two_files[:150], [], seed=2)
    assert queue_add_outputs(queue=queue, output_ids=two_files[150:]) == 150
    items = queue.items.select_related("output").order_by("position")
    served = [i.output.input_hash for i in items]
    assert adjacent_same_input(served) == 0
    later = [i.output.prompt_version_id for i in items][150:]
    assert len(set(later)) == 1 and [i.position for i in items] == list(range(1, 301))


def test_order_and_seed_change_only_before_the_first_review(
    project: Project, two_files: list[int], make_member: Callable[..., Any]
) -> None:
    reviewer = make_member(Role.REVIEWER, "rev")
    queue = make(project, two_files, [reviewer], seed=1, order=QueueOrder.IMPORT)
    queue_update(queue=queue, changes={"order": "interleaved", "seed": 9})
    versions = [
        i.output.prompt_version_id
        for i in queue.items.select_related("output").order_by("position")[:4]
    ]
    assert versions[0] != versions[1] and versions[0] == versions[2]
    rate_next(queue, reviewer)
    with pytest.raises(DomainError, match="order and seed are fixed now"):
        queue_update(queue=queue, changes={"seed": 10})
    with pytest.raises(DomainError, match='"order": "sideways"'):
        queue_update(queue=queue, changes={"order": "sideways"})


def test_two_imported_files_are_served_mixed_from_the_first_items(
    project: Project, make_member: Callable[..., Any]
) -> None:
    """The study of the issue: one file per version, imported one after the other."""
    v1, v2 = two_versions(project)
    for version in (v1, v2):
        rows = [
            {
                "external_id": f"v{version.number}-{n}",
                "input": {"question": f"Question {n}?"},
                "output": f"Answer {n} of v{version.number}",
                "prompt": "faq",
                "prompt_version": version.number,
            }
            for n in range(150)
        ]
        data = "\n".join(json.dumps(r) for r in rows).encode()
        result = outputs_import(
            project=project, source=lambda d=data: iter_records(io.BytesIO(d), "jsonl")
        )
        assert not result.rows_failed
    reviewer = make_member(Role.REVIEWER, "rev")
    ids = list(
        ModelOutput.objects.filter(project=project).order_by("id").values_list("pk", flat=True)
    )
    queue = make(project, ids, [reviewer])
    first = served_to(queue, reviewer, 10)
    assert {o.prompt_version_id for o in first} == {v1.pk, v2.pk}
    assert adjacent_same_input([o.input_hash for o in first]) == 0
