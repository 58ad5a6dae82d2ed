"""Row shapes checked against values worked out by hand from ``builders.SCORES``."""

from __future__ import annotations

import csv
import hmac
from hashlib import sha256
from typing import Any

import pytest
from django.conf import settings

from llmops_core.services.exports import ExportRun
from llmops_core.services.exports.context import reviewer_pseudonym
from tests.exports.builders import RatedProject
from tests.exports.conftest import Export

pytestmark = pytest.mark.django_db


def rows(export: Export, kind: str, **filters: Any) -> list[dict[str, Any]]:
    _, outcome = export(kind, "jsonl", **filters)
    return list(ExportRun(outcome.run.spec).rows())


def by_id(items: list[dict[str, Any]], key: str = "external_id") -> dict[str, dict[str, Any]]:
    return {row[key]: row for row in items}


def test_ratings_have_one_row_per_rating_with_provenance(
    export: Export, rated: RatedProject
) -> None:
    found = rows(export, "ratings")
    assert len(found) == 8 * 3 * 3 - 3  # reviewer 3 skipped v1-q3
    order = [(r["output_id"], r["rating_id"]) for r in found]
    assert order == sorted(order)  # grouped by output, then by rating id
    row = next(
        r
        for r in found
        if r["external_id"] == "v2-q2" and r["criterion"] == "fluency" and r["flags"]
    )
    assert row["flags"] == ["unsafe"] and row["score"] == 5
    assert row["adjudicated_score"] == 2.0
    assert row["prompt"] == "answer" and row["prompt_version"] == 2
    assert row["queue"] == "Answers" and row["rubric"] == "default" and row["rubric_version"] == 1
    assert row["input"] == {"question": "Can I export to CSV?", "topic": "data"}
    assert row["active_ms"] == 2000 and row["created_at"] is not None


def test_consensus_summarises_each_output(export: Export) -> None:
    found = by_id(rows(export, "consensus"))
    assert len(found) == 8
    q0 = found["v1-q0"]
    assert (q0["fluency_mean"], q0["fluency_n"], q0["fluency_std"], q0["fluency_judge"]) == (
        4.0,
        3,
        0.0,
        5.0,
    )
    assert q0["agreement"] == 1.0 and q0["disagreement"] == 0.0 and q0["score"] == 4.0
    contested = found["v2-q2"]
    assert contested["fluency_mean"] == 3.0 and contested["fluency_median"] == 3.0
    assert contested["fluency_std"] == pytest.approx(1.632993)
    assert contested["fluency_adjudicated"] == 2.0
    assert contested["score"] == 2.0  # the adjudicated scores replace the means
    assert contested["agreement"] == pytest.approx(1 - 1.632993 / 2, abs=1e-6)
    assert contested["disagreement"] == 4.0
    assert contested["flag_count"] == 1 and contested["flags"] == ["unsafe"]
    assert found["v1-q3"]["n_reviewers"] == 2 and found["v1-q3"]["relevance_mean"] == 4.5
    assert list(q0)[:3] == ["output_id", "external_id", "input"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, {"q0": ("v1", 2.0), "q2": ("v1", 2.777778), "q3": ("v1", 2.0)}),
        ({"min_margin": 2.5}, {"q2": ("v1", 2.777778)}),
        (
            {"rule": "relevance", "min_margin": 0.3},
            {
                "q0": ("v1", 1.666667),
                "q1": ("v2", 0.333333),
                "q2": ("v1", 2.666667),
                "q3": ("v1", 2.5),
            },
        ),
        ({"rule": "all"}, {"q0": ("v1", 1.666667), "q2": ("v1", 2.666667), "q3": ("v1", 1.5)}),
        ({"exclude_flagged": True}, {"q0": ("v1", 2.0), "q3": ("v1", 2.0)}),
    ],
)
def test_preference_pairs_come_from_score_gaps_with_a_margin(
    export: Export, filters: dict[str, Any], expected: dict[str, tuple[str, float]]
) -> None:
    found = rows(export, "preferences", **filters)
    got = {r["chosen_external_id"][3:]: (r["chosen_external_id"][:2], r["margin"]) for r in found}
    assert got == {key: (side, pytest.approx(m, abs=1e-6)) for key, (side, m) in expected.items()}
    pair = found[0]
    assert pair["source"] == "score_gap" and pair["chosen"] == [
        {"role": "assistant", "content": f"Answer {pair['chosen_external_id']}."}
    ]
    # Across prompt versions, the prompt is the input itself.
    assert pair["prompt"] == [{"role": "user", "content": pair["prompt_text"]}]
    assert pair["chosen_scores"].keys() == {"fluency", "relevance", "factuality"}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, {"v1-q0": 4.0, "v1-q2": 4.777778, "v1-q3": 4.0}),
        ({"sft_threshold": 4.5}, {"v1-q2": 4.777778}),
        ({"rule": "all"}, {"v1-q0": 4.0, "v1-q2": 4.666667}),
        ({"rule": "criterion:factuality", "sft_threshold": 4.5}, {"v1-q2": 4.666667}),
    ],
)
def test_sft_keeps_outputs_whose_score_passes_the_threshold(
    export: Export, filters: dict[str, Any], expected: dict[str, float]
) -> None:
    found = by_id(rows(export, "sft", **filters))
    assert {k: v["score"] for k, v in found.items()} == pytest.approx(expected)


def test_sft_messages_are_the_rendered_prompt_then_the_output(export: Export) -> None:
    row = by_id(rows(export, "sft"))["v1-q0"]
    assert row["messages"] == [
        {"role": "system", "content": "You answer questions about accounts."},
        {"role": "user", "content": "Question: How do I reset my password?"},
        {"role": "assistant", "content": "Answer v1-q0."},
    ]


def test_reviewers_get_stable_keyed_pseudonyms(export: Export, rated: RatedProject) -> None:
    first, second = rows(export, "ratings"), rows(export, "ratings")
    assert [r["reviewer"] for r in first] == [r["reviewer"] for r in second]
    names = {r["reviewer"] for r in first}
    rev1 = rated.reviewers[0]
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"{rated.project.pk}:{rev1.pk}".encode(), sha256
    ).hexdigest()
    assert f"reviewer-{digest[:10]}" in names and len(names) == 3
    assert not names & {"rev1", "rev2", "rev3"}
    assert reviewer_pseudonym(rated.project.pk + 1, rev1.pk) not in names  # per project


def test_real_names_appear_only_when_asked(export: Export) -> None:
    _, outcome = export("ratings", "jsonl", real_names=True)
    assert {r["reviewer"] for r in ExportRun(outcome.run.spec).rows()} == {"rev1", "rev2", "rev3"}


def test_csv_export_neutralises_formulas_in_reviewer_comments(export: Export) -> None:
    path, _ = export("ratings", "csv")
    with path.open(newline="", encoding="utf-8") as handle:
        comments = {row["comment"] for row in csv.DictReader(handle)}
    assert '\'=HYPERLINK("http://evil.example")' in comments
    assert "'+1 good answer" in comments
    assert not any(c.startswith(("=", "+", "-", "@")) for c in comments)
