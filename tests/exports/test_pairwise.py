"""Pairwise preferences: majority votes make pairs, next to the pairs from score gaps."""

from __future__ import annotations

from typing import Any

import pytest

from annotate.models import PairwisePreference
from annotate.selectors.exports import PairwisePreferenceRow as Vote
from llmops_core.selectors.exports import OutputInfo, OutputRatings
from llmops_core.services.exports import ExportRun, datasheet_build
from llmops_core.services.exports.consensus import OutputSummary
from llmops_core.services.exports.preferences import PAIRWISE, pairwise_pairs
from tests.exports.builders import RatedProject
from tests.exports.conftest import Export


def summary(output_id: int) -> OutputSummary:
    info = OutputInfo(output_id, f"out-{output_id}", "q", "h", f"text {output_id}", "m", None)
    return OutputSummary(OutputRatings(info, []), None, {}, 0, None, None)


def lookup(ids: list[int]) -> dict[int, OutputSummary]:
    return {i: summary(i) for i in ids}


def test_a_strict_majority_of_votes_picks_the_chosen_output() -> None:
    votes = [
        Vote(1, 2, "B", 10),
        Vote(1, 2, "A", 11),
        Vote(1, 2, "B", 12),  # 2 for output 2, 1 for 1
        Vote(3, 4, "A", 10),
        Vote(3, 4, "B", 11),  # split: no pair
        Vote(5, 6, "tie", 10),  # tie: no pair
        Vote(7, 8, "B", 10, criterion="fluency"),  # another criterion: ignored under "mean"
    ]
    pairs = list(pairwise_pairs(votes, lookup=lookup, rule="mean", chunk=2))
    assert [
        (
            p.chosen.output_id,
            p.rejected.output_id,
            p.chosen_score,
            p.rejected_score,
            p.margin,
            p.source,
        )
        for p in pairs
    ] == [(2, 1, 0.666667, 0.333333, 0.333333, PAIRWISE)]


def test_criterion_rules_count_votes_on_that_criterion() -> None:
    votes = [Vote(7, 8, "A", 11), Vote(7, 8, "B", 10, criterion="fluency")]
    pairs = list(pairwise_pairs(votes, lookup=lookup, rule="criterion:fluency"))
    assert [(p.chosen.output_id, p.rejected.output_id) for p in pairs] == [(8, 7)]


@pytest.mark.django_db
def test_reviewers_preferences_become_pairs_beside_score_gaps(
    export: Export, rated: RatedProject
) -> None:
    v1, v2 = rated.outputs["v1-q1"], rated.outputs["v2-q1"]  # no score-gap pair under "mean"
    for reviewer, choice, criteria in zip(
        rated.reviewers, ["B", "B", "A"], [{}, {}, {"fluency": "B"}], strict=True
    ):
        PairwisePreference.objects.create(
            queue=rated.queue,
            reviewer=reviewer,
            output_a=v1,
            output_b=v2,
            shown_left="A",
            choice=choice,
            criteria=criteria,
        )
    path, outcome = export("preferences", "jsonl")
    rows = list(ExportRun(outcome.run.spec).rows())
    assert [r["source"] for r in rows] == ["score_gap"] * 3 + ["pairwise"]
    pair = rows[-1]
    assert (pair["chosen_external_id"], pair["rejected_external_id"]) == ("v2-q1", "v1-q1")
    assert (pair["chosen_score"], pair["rejected_score"]) == (0.666667, 0.333333)
    sheet = datasheet_build(outcome.run, outcome.result, file_name=path.name)
    assert sheet["counts"]["pairs"] == {"score_gap": 3, "pairwise": 1}
    assert any("blind A-vs-B choices" in note for note in sheet["caveats"])
    by_fluency = list(ExportRun(export("preferences", "jsonl", rule="fluency")[1].run.spec).rows())
    assert [r["chosen_external_id"] for r in by_fluency if r["source"] == "pairwise"] == ["v2-q1"]
    later: Any = export("preferences", "jsonl", since="2999-01-01")[1]
    assert not [r for r in ExportRun(later.run.spec).rows() if r["source"] == "pairwise"]
