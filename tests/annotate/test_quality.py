"""Quality control: gold accuracy, adaptive overlap on disagreement, adjudication, plain rows."""

from __future__ import annotations

from typing import Any

import pytest

from annotate.consensus import agreeing_majority, assess, spread, suggested_scores
from annotate.models import Adjudication, GoldCheck, QueueItem
from annotate.selectors.queues import adjudication_candidates
from annotate.selectors.ratings import RatingFilter, adjudication_rows, rating_rows
from annotate.selectors.reviewers import gold_accuracy_rows, reviewer_rows
from annotate.services.adjudication import adjudication_record
from annotate.services.edits import annotation_edit
from annotate.services.gold import gold_mark, gold_unmark
from annotate.services.queues import queue_change_rubric_version
from llmops_core.errors import DomainError
from llmops_core.models import AuditEvent
from llmops_core.services.rubrics import CriterionSpec, rubric_version_create
from tests.annotate.helpers import SCORES, make_queue, rate_next

pytestmark = pytest.mark.django_db


def test_spread_and_majority_rules() -> None:
    assert spread([2, 4, 4]) == 2 and spread([3]) == 0
    assert agreeing_majority([2, 4, 4, 4], threshold=2)
    assert not agreeing_majority([1, 3, 5, 3], threshold=2)
    assert assess({"f": [2, 4, 4]}, threshold=2, overlap=3).contested
    assert not assess({"f": [2, 4, 4, 4]}, threshold=2, overlap=3).contested
    assert not assess({"f": [3, 4, 4]}, threshold=2, overlap=3).contested
    assert assess({"f": [3, 3], "g": [1, 5]}, threshold=None, overlap=2).criteria == ("g",)
    assert suggested_scores({"f": [2, 4, 5], "g": [3, 4]}) == {"f": 4, "g": 4}


def test_gold_accuracy_is_recorded_per_reviewer(project: Any, reviewers: list[Any]) -> None:
    queue = make_queue(project, items=1, reviewers=reviewers[:2], overlap=1)
    item = gold_mark(item=queue.items.get(), scores={"fluency": 4, "relevance": 3, "factuality": 1})
    assert item.target_reviews == 2
    rate_next(queue, reviewers[0])  # fluency and relevance right, factuality off by 4
    rate_next(queue, reviewers[1], scores={"fluency": 5, "relevance": 3, "factuality": 2})
    rows = {r["reviewer"]: r for r in gold_accuracy_rows(queue_id=queue.pk)}
    assert rows["rev1"]["exact"] == pytest.approx(2 / 3)
    assert rows["rev1"]["within_one"] == pytest.approx(2 / 3)
    assert rows["rev2"]["exact"] == pytest.approx(1 / 3)
    assert rows["rev2"]["within_one"] == pytest.approx(1.0)
    by_name = {r.username: r for r in reviewer_rows(queue=queue)}
    assert by_name["rev1"].gold_checked == 1 and by_name["rev1"].gold_exact == pytest.approx(0.667)


def test_marking_gold_checks_past_annotations_and_edits_recheck(
    queue: Any, reviewers: list[Any]
) -> None:
    annotation = rate_next(queue, reviewers[0])
    gold_mark(item=annotation.item, scores={"fluency": 2})
    check = GoldCheck.objects.get(annotation=annotation)
    assert (check.criteria, check.exact, check.abs_error) == (1, 0, 2)
    annotation_edit(annotation=annotation, editor=reviewers[0], scores={**SCORES, "fluency": 2})
    check.refresh_from_db()
    assert check.exact == 1
    gold_unmark(item=annotation.item)
    assert not GoldCheck.objects.exists()
    assert QueueItem.objects.get(pk=annotation.item_id).target_reviews == 3


def test_gold_scores_are_checked_against_the_scale(queue: Any) -> None:
    with pytest.raises(DomainError, match=r'field "gold_scores\.fluency": 9 is outside 1-5'):
        gold_mark(item=queue.items.first(), scores={"fluency": 9})


def test_disagreement_reopens_an_item_up_to_the_maximum_overlap(
    project: Any, reviewers: list[Any]
) -> None:
    queue = make_queue(
        project, items=1, reviewers=reviewers, overlap=2, max_overlap=3, disagreement_threshold=2
    )
    rate_next(queue, reviewers[0], scores={**SCORES, "fluency": 1})
    rate_next(queue, reviewers[1], scores={**SCORES, "fluency": 5})
    item = QueueItem.objects.get(queue=queue)
    assert (item.contested, item.target_reviews, item.done_count) == (True, 3, 2)
    queue.refresh_from_db()
    assert queue.complete_count == 0
    rate_next(queue, reviewers[2], scores={**SCORES, "fluency": 3})
    item.refresh_from_db()
    assert (item.contested, item.target_reviews) == (True, 3), "stops at the maximum"
    assert list(adjudication_candidates(queue=queue)) == [item]


def test_an_agreeing_majority_settles_a_reopened_item(project: Any, reviewers: list[Any]) -> None:
    queue = make_queue(
        project, items=1, reviewers=reviewers, overlap=3, max_overlap=5, disagreement_threshold=2
    )
    for reviewer, fluency in zip(reviewers[:3], (2, 4, 4), strict=True):
        rate_next(queue, reviewer, scores={**SCORES, "fluency": fluency})
    assert QueueItem.objects.get(queue=queue).target_reviews == 4
    rate_next(queue, reviewers[3], scores={**SCORES, "fluency": 4})
    item = QueueItem.objects.get(queue=queue)
    assert (item.contested, item.target_reviews, item.is_complete) == (False, 4, True)
    queue.refresh_from_db()
    assert queue.complete_count == 1


def test_disagreement_compares_ratings_of_one_rubric_version_only(
    project: Any, reviewers: list[Any]
) -> None:
    queue = make_queue(project, items=1, reviewers=reviewers, overlap=2)
    rate_next(queue, reviewers[0], scores={**SCORES, "fluency": 1})
    renamed = [
        CriterionSpec("fluency", "Reads well? (new anchors)", {"1": "bad", "5": "good"}),
        CriterionSpec("relevance", "On topic?"),
        CriterionSpec("factuality", "True?"),
    ]
    new, _ = rubric_version_create(rubric=queue.rubric_version.rubric, criteria=renamed)
    queue_change_rubric_version(queue=queue, rubric_version=new)
    second = rate_next(queue, reviewers[1], scores={**SCORES, "fluency": 5})
    assert second.rubric_version_id == new.pk
    assert not QueueItem.objects.get(queue=queue).contested


def test_adjudication_records_final_scores_and_keeps_changes(
    queue: Any, reviewers: list[Any], lead: Any
) -> None:
    item = rate_next(queue, reviewers[0]).item
    with pytest.raises(DomainError, match="no score for relevance, factuality"):
        adjudication_record(item=item, adjudicator=lead, scores={"fluency": 3})
    adjudication_record(item=item, adjudicator=lead, scores=SCORES, note="clear")
    adjudication_record(item=item, adjudicator=lead, scores={**SCORES, "fluency": 2})
    adjudication = Adjudication.objects.get(item=item)
    assert adjudication.scores["fluency"] == 2 and adjudication.note == ""
    events = AuditEvent.objects.filter(action="adjudication.record").order_by("id")
    assert events[1].before["scores"] == SCORES
    rows = list(adjudication_rows(project_id=queue.project_id))
    assert {(r["criterion"], r["score"]) for r in rows} == {
        ("fluency", 2),
        ("relevance", 3),
        ("factuality", 5),
    }


def test_rating_rows_are_plain_rows_with_provenance(queue: Any, reviewers: list[Any]) -> None:
    annotation = rate_next(queue, reviewers[0])
    rows = list(rating_rows(RatingFilter(project_id=queue.project_id, queue_ids=(queue.pk,))))
    assert len(rows) == 3
    assert {r["criterion"] for r in rows} == set(SCORES)
    row = rows[0]
    assert row["reviewer"] == "rev1" and row["item_id"] == annotation.item_id
    assert row["rubric_version_id"] == queue.rubric_version_id
    assert row["output_id"] == annotation.item.output_id


def test_changing_the_overlap_shifts_targets_and_keeps_adaptive_extras(
    project: Any, reviewers: list[Any]
) -> None:
    from annotate.services.queues import queue_update

    queue = make_queue(
        project, items=2, reviewers=reviewers, overlap=2, max_overlap=4, disagreement_threshold=2
    )
    rate_next(queue, reviewers[0], scores={**SCORES, "fluency": 1})
    rate_next(queue, reviewers[1], scores={**SCORES, "fluency": 5})  # contested: target 3
    queue_update(queue=queue, changes={"overlap": 3})
    targets = dict(
        QueueItem.objects.filter(queue=queue).values_list("done_count", "target_reviews")
    )
    assert targets == {2: 4, 0: 3}
    queue.refresh_from_db()
    assert queue.complete_count == 0
