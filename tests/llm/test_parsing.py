"""Tolerant parsing of judge replies and the repair follow-up."""

from __future__ import annotations

import pytest

from llmops_core.llm.datatypes import Criterion, Message
from llmops_core.llm.errors import ParseError
from llmops_core.llm.parsing import (
    PairwiseJudgement,
    extract_json_object,
    parse_pairwise,
    parse_pointwise,
    repair_messages,
    swap_verdicts,
)
from tests.llm.helpers import CRITERIA

GOOD = {"fluency": 4, "relevance": 5, "factuality": 3}


def test_plain_json_is_read() -> None:
    text = '{"rationale": "Clear.", "scores": {"fluency": 4, "relevance": 5, "factuality": 3}}'
    judgement = parse_pointwise(text, CRITERIA)
    assert judgement.scores == GOOD
    assert judgement.rationale == "Clear."


def test_code_fences_are_stripped() -> None:
    text = '```json\n{"scores": {"fluency": 4, "relevance": 5, "factuality": 3}}\n```'
    assert parse_pointwise(text, CRITERIA).scores == GOOD


def test_prose_around_the_json_is_ignored() -> None:
    text = (
        "Sure! Here is my {careful} evaluation:\n"
        '{"scores": {"fluency": 4, "relevance": 5, "factuality": 3}, "reasoning": "ok"}\n'
        "Let me know if you need more."
    )
    judgement = parse_pointwise(text, CRITERIA)
    assert judgement.scores == GOOD
    assert judgement.rationale == "ok"


def test_numeric_strings_and_whole_floats_are_accepted() -> None:
    text = '{"scores": {"fluency": "4", "relevance": 5.0, "factuality": " 3 "}}'
    assert parse_pointwise(text, CRITERIA).scores == GOOD


def test_criterion_names_match_in_any_case() -> None:
    text = '{"Scores": {"FLUENCY": 4, "Relevance": 5, "factuality": 3}}'
    assert parse_pointwise(text, CRITERIA).scores == GOOD


def test_scores_at_the_top_level_are_accepted() -> None:
    assert (
        parse_pointwise('{"fluency": 4, "relevance": 5, "factuality": 3}', CRITERIA).scores == GOOD
    )


def test_out_of_scale_score_names_criterion_and_scale() -> None:
    text = '{"scores": {"fluency": 4, "relevance": 5, "factuality": 7}}'
    with pytest.raises(ParseError, match=r'^criterion "factuality": 7 is outside 1-5$'):
        parse_pointwise(text, CRITERIA)


def test_custom_scale_is_respected() -> None:
    criteria = [Criterion("helpfulness", scale_min=0, scale_max=10)]
    assert parse_pointwise('{"scores": {"helpfulness": 0}}', criteria).scores == {"helpfulness": 0}
    with pytest.raises(ParseError, match="11 is outside 0-10"):
        parse_pointwise('{"scores": {"helpfulness": 11}}', criteria)


def test_missing_criteria_are_all_named() -> None:
    with pytest.raises(ParseError, match='scores missing for criteria "relevance", "factuality"'):
        parse_pointwise('{"scores": {"fluency": 4}}', CRITERIA)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ('"good"', 'criterion "fluency": "good" is not a number'),
        ("3.5", 'criterion "fluency": 3.5 is not a whole number'),
        ("true", 'criterion "fluency": true is not a number'),
        ("null", 'criterion "fluency": null is not a number'),
    ],
)
def test_non_integer_scores_are_refused(value: str, problem: str) -> None:
    text = f'{{"scores": {{"fluency": {value}, "relevance": 5, "factuality": 3}}}}'
    with pytest.raises(ParseError) as caught:
        parse_pointwise(text, CRITERIA)
    assert str(caught.value) == problem


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "the reply is empty"),
        ("I cannot rate this.", "holds no valid JSON object"),
        ('{"scores": {fluency: 4,', "holds no valid JSON object"),
        ('{"score": 4, "comment": "fine"}', 'field "scores" is missing'),
    ],
)
def test_unusable_replies_say_why(text: str, problem: str) -> None:
    with pytest.raises(ParseError, match=problem):
        parse_pointwise(text, CRITERIA)


def test_first_json_object_wins_over_later_ones() -> None:
    assert extract_json_object('[1, 2] then {"a": 1} and {"b": 2}') == {"a": 1}


def test_pairwise_verdicts_are_normalised() -> None:
    text = (
        'Verdict: {"rationale": "A is clearer.", "verdicts": '
        '{"Fluency": "a", "relevance": "Response B", "factuality": "Tie"}}'
    )
    judgement = parse_pairwise(text, CRITERIA)
    assert judgement.verdicts == {"fluency": "A", "relevance": "B", "factuality": "tie"}
    assert judgement.rationale == "A is clearer."


def test_pairwise_bad_verdict_names_criterion() -> None:
    text = '{"verdicts": {"fluency": "C", "relevance": "A", "factuality": "B"}}'
    with pytest.raises(ParseError, match=r'criterion "fluency": "C" is not "A", "B" or "tie"'):
        parse_pairwise(text, CRITERIA)


def test_swap_verdicts_exchanges_positions() -> None:
    judgement = PairwiseJudgement({"fluency": "A", "relevance": "tie"}, "r")
    assert swap_verdicts(judgement).verdicts == {"fluency": "B", "relevance": "tie"}


def test_repair_messages_append_reply_and_named_error() -> None:
    original: list[Message] = [
        {"role": "system", "content": "judge"},
        {"role": "user", "content": "item"},
    ]
    follow_up = repair_messages(original, "not json", 'criterion "factuality": 7 is outside 1-5')
    assert follow_up[:2] == original
    assert follow_up[2] == {"role": "assistant", "content": "not json"}
    assert follow_up[3]["role"] == "user"
    assert 'criterion "factuality": 7 is outside 1-5' in follow_up[3]["content"]
    assert "only the JSON object" in follow_up[3]["content"]
