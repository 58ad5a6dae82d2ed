"""Every sentence of the judge report's summary, checked against the numbers it states.

Each sentence builder gets a hand-made section per branch (higher, lower, equal, undefined);
the test reads the numbers back out of the sentence and checks that the words agree with them.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from llmops_core.metrics.judge_report.annotator import _sentence as annotator_sentence
from llmops_core.metrics.judge_report.length import length_clause, length_line
from llmops_core.metrics.judge_report.summary import (
    alpha_line,
    cost_line,
    criterion_line,
    pairwise_lines,
    summary_lines,
    trend_line,
    verdict_line,
)

RHO = re.compile(r"rho ([+-]\d\.\d\d) vs ([+-]\d\.\d\d)")


def _rho(value: float | None, reason: str = "too few items") -> dict[str, Any]:
    return {"value": value, "reason": None if value is not None else reason}


def _bias(judge: float | None, humans: float | None) -> dict[str, Any]:
    return {"judge": _rho(judge, "the judge's scores do not vary"), "humans": _rho(humans)}


@pytest.mark.parametrize(
    ("judge", "humans", "words"),
    [
        # The case: the humans follow length (negatively) far more than the judge.
        (
            -0.03,
            -0.36,
            "less closely than the humans (rho -0.03 vs -0.36): they rate longer answers lower",
        ),
        (
            0.50,
            0.10,
            "more closely than the humans (rho +0.50 vs +0.10): it rates longer answers higher",
        ),
        (
            -0.45,
            -0.05,
            "more closely than the humans (rho -0.45 vs -0.05): it rates longer answers lower",
        ),
        (
            0.05,
            0.40,
            "less closely than the humans (rho +0.05 vs +0.40): they rate longer answers higher",
        ),
        (0.20, 0.25, "about as closely as the humans (rho +0.20 vs +0.25)"),
        (0.30, -0.30, "the judge rates longer answers higher while the humans rate them lower"),
        (-0.20, 0.40, "the judge rates longer answers lower while the humans rate them higher"),
        (
            0.05,
            -0.30,
            "less closely than the humans (rho +0.05 vs -0.30): they rate longer answers lower",
        ),
    ],
)
def test_length_sentence_compares_strength_and_names_the_direction(
    judge: float, humans: float, words: str
) -> None:
    clause = length_clause("fluency", _bias(judge, humans))
    assert clause.startswith("on fluency ")
    assert words in clause
    found = RHO.search(clause)
    assert found and (float(found.group(1)), float(found.group(2))) == (judge, humans)
    if "more closely" in clause:
        assert abs(judge) > abs(humans)
    if "less closely" in clause:
        assert abs(judge) < abs(humans)


@pytest.mark.parametrize(
    ("judge", "humans", "reason"),
    [(None, 0.2, "the judge's scores do not vary"), (0.2, None, "too few items")],
)
def test_length_sentence_says_undefined_with_the_reason(
    judge: float | None, humans: float | None, reason: str
) -> None:
    clause = length_clause("factual_accuracy", _bias(judge, humans))
    assert clause == f"on factual accuracy it is undefined ({reason})"
    assert "0.00" not in clause


def test_length_line_covers_every_criterion_in_one_sentence() -> None:
    line = length_line(
        {"a": {"length_bias": _bias(0.1, 0.1)}, "b": {"length_bias": _bias(None, 0.1)}}
    )
    assert line and line.count("; ") == 1 and line.endswith(".")
    assert length_line({}) is None


def _agreement(**values: Any) -> dict[str, Any]:
    base = {"n_items": 40, "quadratic_kappa": 0.62, "spearman": 0.7, "exact": 0.45, "bias": 0.0}
    base.update(values)
    base.setdefault("ci", {"quadratic_kappa": {"low": 0.5, "high": 0.7}})
    base.setdefault("reasons", {})
    return {"agreement": base, "alternative_annotator": {"sentence": "VERDICT."}}


@pytest.mark.parametrize(
    ("bias", "words"),
    [
        (0.4, "It scores 0.40 points higher than the humans on average."),
        (-0.3, "It scores 0.30 points lower than the humans on average."),
        (0.1, None),
        (None, None),
    ],
)
def test_criterion_line_states_kappa_and_the_direction_of_the_bias(
    bias: float | None, words: str | None
) -> None:
    line = criterion_line("tone_of_voice", _agreement(bias=bias))
    assert line.startswith("Tone of voice: quadratic kappa 0.62 [0.50, 0.70], Spearman 0.70, ")
    assert "exact agreement 0.45 over 40 items." in line and line.endswith("VERDICT.")
    if words:
        assert words in line
    else:
        assert "points" not in line


def test_criterion_line_says_undefined_kappa_with_its_reason() -> None:
    section = _agreement(
        quadratic_kappa=None, ci={}, reasons={"quadratic_kappa": "every score is the same"}
    )
    line = criterion_line("fluency", section)
    assert "quadratic kappa undefined (every score is the same)" in line
    assert "kappa 0" not in line and "kappa 1" not in line
    empty = criterion_line("fluency", _agreement(n_items=0))
    assert empty == "Fluency: the judge scored none of the items the humans rated."


def _verdicts(**codes: str) -> dict[str, Any]:
    return {name: {"alternative_annotator": {"verdict": v}} for name, v in codes.items()}


@pytest.mark.parametrize(
    ("codes", "sentence"),
    [
        (
            {"fluency": "worse", "helpfulness": "as_good"},
            "In short: the judge can be trusted on helpfulness; it cannot be trusted yet on "
            "fluency.",
        ),
        ({"fluency": "worse"}, "In short: the judge cannot be trusted yet on fluency."),
        (
            {"a": "as_good", "b": "as_good", "c_d": "unknown"},
            "In short: the judge can be trusted on a and b; there is too little overlap to "
            "tell on c d.",
        ),
    ],
)
def test_verdict_line_has_every_word(codes: dict[str, str], sentence: str) -> None:
    assert verdict_line(_verdicts(**codes)) == sentence


def _alpha(before: float | None, after: float | None) -> dict[str, Any]:
    return {
        "alpha": {
            "humans": {"value": before, "reason": None if before is not None else "one reviewer"},
            "with_judge": {"value": after, "reason": None if after is not None else "no overlap"},
        }
    }


@pytest.mark.parametrize(
    ("before", "after", "words"),
    [
        (0.61, 0.70, "on fluency it rises from 0.61 to 0.70"),
        (0.70, 0.61, "on fluency it falls from 0.70 to 0.61"),
        (0.61, 0.612, "on fluency it stays at 0.61"),
        (None, 0.5, "on fluency it is undefined (one reviewer)"),
        (0.5, None, "on fluency it is undefined (no overlap)"),
    ],
)
def test_alpha_line_says_which_way_alpha_moves(
    before: float | None, after: float | None, words: str
) -> None:
    line = alpha_line({"fluency": _alpha(before, after)})
    assert line == f"With the judge as one more reviewer, Krippendorff's alpha: {words}."


def _pairwise(rate: float | None, first: int, second: int, agreement: float | None) -> Any:
    return {
        "position_bias_rate": rate,
        "criteria": {"x": {"prefers_first_shown": first, "prefers_second_shown": second}},
        "human_agreement": agreement,
        "human_source": "SOURCE.",
    }


@pytest.mark.parametrize(
    ("first", "second", "words"),
    [
        (9, 2, "It tends to prefer the response shown first (9 flips to 2)."),
        (1, 5, "It tends to prefer the response shown second (5 flips to 1)."),
        (3, 3, None),
    ],
)
def test_position_bias_names_the_favoured_side_with_its_counts(
    first: int, second: int, words: str | None
) -> None:
    lines = pairwise_lines(_pairwise(0.125, first, second, 0.8))
    assert lines[0].startswith("Position bias: the verdict changes in 12% of comparisons")
    assert (words in lines[0]) if words else ("tends to prefer" not in lines[0])
    assert (
        lines[1] == "The judge's final verdicts match the human preference in 80% of pairs. SOURCE."
    )


def test_pairwise_sentences_say_undefined_with_the_reason() -> None:
    lines = pairwise_lines(_pairwise(None, 0, 0, None))
    assert lines[0] == "Position bias is undefined: no pair was judged in both orders."
    assert lines[1].startswith("Agreement with the human preference is undefined: no judged")
    assert "0%" not in " ".join(lines)


def _trend(*cells: dict[str, Any]) -> list[dict[str, Any]]:
    last = {"label": "j v2", "criteria": {f"c_{i}": c for i, c in enumerate(cells)}}
    return [{"label": "j v1", "criteria": {}}, last]


@pytest.mark.parametrize(
    ("cell", "words"),
    [
        (
            {
                "metric": "quadratic_kappa",
                "change": 0.12,
                "significant": True,
                "change_ci": {"low": 0.05, "high": 0.2},
            },
            "c 0 +0.12 [+0.05, +0.20], a real change",
        ),
        (
            {
                "metric": "quadratic_kappa",
                "change": -0.04,
                "significant": False,
                "change_ci": {"low": -0.1, "high": 0.02},
            },
            "c 0 -0.04 [-0.10, +0.02], within noise",
        ),
        ({"metric": "quadratic_kappa", "change": None}, "c 0 undefined (one of the two"),
    ],
)
def test_trend_line_states_each_change_with_its_sign(cell: dict[str, Any], words: str) -> None:
    line = trend_line(_trend(cell))
    assert line and line.startswith("From j v1 to j v2, the judge's agreement (quadratic kappa)")
    assert words in line


def test_trend_line_says_unchanged_only_when_every_change_is_nil() -> None:
    same = trend_line(_trend({"metric": "exact", "change": 0.001}))
    assert (
        same
        == "j v2 agrees with the humans exactly as j v1 did (exact unchanged on every criterion)."
    )
    assert "changed" in (trend_line(_trend({"change": 0.001}, {"change": 0.2})) or "")
    assert trend_line(_trend()[:1]) is None


def _version(label: str, cost: float | None, trust: float | None, subject: bool = False) -> Any:
    return {
        "label": label,
        "is_subject": subject,
        "cost_per_1000_items": cost,
        "trust": trust,
        "trust_metric": "quadratic kappa, mean over criteria",
    }


@pytest.mark.parametrize(
    ("cost", "trust", "words"),
    [
        (4.0, 0.70, "Against j v1 that is 4.0x the cost for higher agreement (+0.10)."),
        (0.5, 0.50, "Against j v1 that is 2.0x cheaper for lower agreement (-0.10)."),
        (1.02, 0.6, "Against j v1 that is about the same cost for the same agreement."),
    ],
)
def test_cost_line_says_which_version_is_cheaper_and_agrees_more(
    cost: float, trust: float, words: str
) -> None:
    versions = [_version("j v2", cost, trust, subject=True), _version("j v1", 1.0, 0.6)]
    line = cost_line(versions)
    assert line and line.startswith(f"j v2 costs ${cost:.4f} per 1,000 items")
    assert line.endswith(words)


def test_cost_line_says_undefined_cost_and_trust_with_reasons() -> None:
    assert cost_line([_version("j v2", None, 0.5, subject=True)]) == (
        "j v2's cost per 1,000 items is undefined: none of its calls had a known price."
    )
    line = cost_line([_version("j v2", 2.0, None, subject=True), _version("j v1", 1.0, 0.6)])
    assert line == (
        "j v2 costs $2.0000 per 1,000 items (quadratic kappa, mean over criteria: undefined "
        "(no item was compared with the humans))."
    )


@pytest.mark.parametrize(
    ("wins", "tested", "code", "words"),
    [
        (0, 0, "unknown", "Cannot tell yet"),
        (2, 3, "as_good", "not worse than 2 of 3 reviewers by more than 0.2 points"),
        (1, 1, "as_good", "not worse than 1 of 1 reviewer by more than 0.2 points"),
        (1, 4, "worse", "within 0.2 points of only 1 of 4 reviewers"),
    ],
)
def test_alternative_annotator_sentence_matches_its_counts(
    wins: int, tested: int, code: str, words: str
) -> None:
    verdict, sentence = annotator_sentence(wins, tested, 0.2)
    assert verdict == code and words in sentence


def test_the_first_line_counts_items_and_ratings() -> None:
    results = {
        "judge": {"label": "j v1", "model": "m", "mode": "pointwise"},
        "n_items": 1,
        "n_ratings": 2870,
    }
    assert summary_lines(results) == [
        "j v1 (m, pointwise) compared with human ratings on 1 item (2,870 ratings)."
    ]
