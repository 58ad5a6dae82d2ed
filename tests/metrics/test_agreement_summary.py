"""Every sentence of the agreement report's summary, against the numbers it states."""

from __future__ import annotations

from typing import Any

import pytest

from llmops_core.metrics.agreement_report.summary import (
    agreement_level,
    build_summary,
    criterion_verdict,
    headline,
)


def _section(alpha: float | None, low: float | None, high: float | None, n: int = 40) -> Any:
    return {
        "krippendorff_alpha": {"ordinal": alpha},
        "krippendorff_alpha_ci": {"ordinal": {"low": low, "high": high}},
        "n_items_rated_by_two_or_more": n,
        "reasons": {} if alpha is not None else {"krippendorff_alpha": {"ordinal": "no variation"}},
        "reviewers": [],
    }


@pytest.mark.parametrize(
    ("alpha", "low", "high", "level", "text"),
    [
        (
            0.85,
            0.81,
            0.9,
            "good",
            "Reviewers agree well on tone of voice (alpha 0.85, 95% CI 0.81-0.90).",
        ),
        (
            0.7,
            0.68,
            0.75,
            "tentative",
            "Reviewers agree only tentatively on tone of voice (alpha 0.70, 95% CI 0.68-0.75). "
            "Good enough for tentative conclusions only.",
        ),
        (
            0.1,
            -0.2,
            0.3,
            "poor",
            "Reviewers agree poorly on tone of voice (alpha 0.10, 95% CI -0.20 to 0.30). Too low",
        ),
        (
            None,
            None,
            None,
            "undefined",
            "Agreement on tone of voice cannot be measured: no variation.",
        ),
    ],
)
def test_each_level_states_alpha_and_its_interval(
    alpha: float | None, low: float | None, high: float | None, level: str, text: str
) -> None:
    verdict = criterion_verdict("tone_of_voice", _section(alpha, low, high), "ordinal")
    assert verdict["level"] == level == agreement_level(alpha)
    assert verdict["text"].startswith(text)
    if alpha is None:
        assert "0." not in verdict["text"]


@pytest.mark.parametrize(
    ("alpha", "low", "n", "caveat"),
    [
        (0.85, 0.75, 40, "The interval reaches below 0.8, so this verdict is uncertain."),
        (0.7, 0.6, 40, "The interval reaches below 0.667, so this verdict is uncertain."),
        (0.85, 0.82, 1, "Only 1 item was rated by two or more reviewers: too few"),
        (0.85, 0.82, 5, "Only 5 items were rated by two or more reviewers: too few"),
    ],
)
def test_caveats_name_the_threshold_or_the_item_count(
    alpha: float, low: float, n: int, caveat: str
) -> None:
    text = criterion_verdict("x", _section(alpha, low, 0.95, n), "ordinal")["text"]
    assert caveat in text


def test_headline_joins_measured_and_unmeasured_criteria() -> None:
    verdicts = [
        criterion_verdict("a_b", _section(0.9, 0.85, 0.95), "ordinal"),
        criterion_verdict("c", _section(0.5, 0.4, 0.6), "ordinal"),
        criterion_verdict("d", _section(None, None, None), "ordinal"),
    ]
    assert headline(verdicts) == (
        "Reviewers agree well on a b (alpha 0.90, 95% CI 0.85-0.95) and poorly on c "
        "(alpha 0.50, 95% CI 0.40-0.60). Agreement cannot be measured on d (see below why)."
    )
    assert headline([]) == "There are no ratings to measure agreement on."


def test_the_summary_notes_missing_criteria_and_the_counts() -> None:
    summary = build_summary(
        {"a": _section(0.9, 0.85, 0.95)},
        ["a", "b_c", "d"],
        {"ratings": 120, "items": 40, "reviewers": 3},
        [],
    )
    assert "No ratings on b c and d in this selection." in summary["notes"]
    assert any(
        n.startswith("Computed from 120 ratings of 40 items by 3 reviewers")
        for n in summary["notes"]
    )
    assert summary["reviewers"]["sentences"] == [
        "Reviewers cannot be compared: no item was rated by two or more of them."
    ]
