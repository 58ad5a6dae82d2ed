"""Preference pairs (prompt, chosen, rejected) for reward models and DPO, from two sources.

1. Score gaps: outputs of the same input (any prompt versions) whose consensus scores differ
   by at least ``min_margin`` under a rule: one criterion, the mean over criteria, or "all"
   (every criterion rated on both points the same way by at least the margin).
2. Explicit pairwise preferences by reviewers (blind A-vs-B judgements), read through
   ``annotate.selectors.exports.export_pairwise_preference_rows``; a strict majority of votes
   picks the chosen output, and the vote shares are the scores behind the pair.

Both produce ``PreferencePair`` and share one row shape, in TRL's conversational format.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from annotate.selectors import PairwisePreferenceRow
from llmops_core.services.exports.consensus import OutputSummary, rounded
from llmops_core.services.exports.context import ExportContext, input_messages
from llmops_core.services.exports.shapes import rule_score

SCORE_GAP = "score_gap"
PAIRWISE = "pairwise"


@dataclass(frozen=True)
class PreferencePair:
    """A chosen and a rejected output for the same input, with the evidence behind it."""

    chosen: OutputSummary
    rejected: OutputSummary
    chosen_score: float | None
    rejected_score: float | None
    margin: float
    rule: str
    source: str


def _compare(
    a: OutputSummary, b: OutputSummary, rule: str, margin: float
) -> tuple[bool, float, float, float] | None:
    """Return (a is chosen, a's score, b's score, margin) when the rule separates a and b."""
    if rule == "all":
        common = [name for name in a.criteria if name in b.criteria]
        if not common:
            return None
        gaps = [rounded(a.criteria[n].score - b.criteria[n].score) for n in common]
        a_score = rounded(sum(a.criteria[n].score for n in common) / len(common))
        b_score = rounded(sum(b.criteria[n].score for n in common) / len(common))
        if all(gap > 0 and gap >= margin for gap in gaps):
            return True, a_score, b_score, min(gaps)
        if all(gap < 0 and -gap >= margin for gap in gaps):
            return False, a_score, b_score, min(-gap for gap in gaps)
        return None
    a_value, b_value = rule_score(a, rule), rule_score(b, rule)
    if a_value is None or b_value is None or a_value == b_value:
        return None
    gap = rounded(abs(a_value - b_value))
    return (a_value > b_value, a_value, b_value, gap) if gap >= margin else None


def score_gap_pairs(
    summaries: Iterable[OutputSummary], *, rule: str, min_margin: float
) -> Iterator[PreferencePair]:
    """Yield pairs from outputs ordered by input hash, comparing every two of one input."""
    for _, group in itertools.groupby(summaries, key=lambda s: s.source.output.input_hash):
        outputs = sorted(group, key=lambda s: s.output_id)
        for a, b in itertools.combinations(outputs, 2):
            found = _compare(a, b, rule, min_margin)
            if found is None:
                continue
            a_chosen, a_score, b_score, gap = found
            chosen, rejected = (a, b) if a_chosen else (b, a)
            scores = (a_score, b_score) if a_chosen else (b_score, a_score)
            yield PreferencePair(chosen, rejected, scores[0], scores[1], gap, rule, SCORE_GAP)


def pairwise_pairs(
    rows: Iterable[PairwisePreferenceRow],
    *,
    lookup: Callable[[Sequence[int]], dict[int, OutputSummary]],
    rule: str,
    chunk: int = 500,
) -> Iterator[PreferencePair]:
    """Yield pairs from reviewers' pairwise votes, ordered by (smaller id, larger id).

    Votes on the rule's criterion count (overall votes for "mean" and "all"); ties and split
    votes make no pair. The pair's scores are the shares of votes for each side (ties count
    in the total), and the margin is their difference.
    """
    wanted = rule.split(":", 1)[1] if rule.startswith("criterion:") else None
    relevant = (row for row in rows if row.criterion == wanted)
    votes = itertools.groupby(relevant, key=lambda r: tuple(sorted((r.output_a_id, r.output_b_id))))
    while True:
        batch = [(key, _tally(key, list(group))) for key, group in itertools.islice(votes, chunk)]
        if not batch:
            return
        outputs = lookup(sorted({i for key, _ in batch for i in key}))
        for (low, high), (winner, won, lost, total) in batch:
            if winner is None or low not in outputs or high not in outputs:
                continue
            loser = high if winner == low else low
            yield PreferencePair(
                outputs[winner],
                outputs[loser],
                rounded(won / total),
                rounded(lost / total),
                rounded((won - lost) / total),
                rule,
                PAIRWISE,
            )


def _tally(
    key: tuple[int, int], rows: list[PairwisePreferenceRow]
) -> tuple[int | None, int, int, int]:
    """Return the output a strict majority prefers (or None), its votes, the other's, all."""
    wins = {key[0]: 0, key[1]: 0}
    for row in rows:
        if row.preferred in ("A", "B"):
            wins[row.output_a_id if row.preferred == "A" else row.output_b_id] += 1
    low, high = wins[key[0]], wins[key[1]]
    if low == high:
        return None, low, high, len(rows)
    if low > high:
        return key[0], low, high, len(rows)
    return key[1], high, low, len(rows)


def pair_row(pair: PreferencePair, context: ExportContext) -> dict[str, Any]:
    """Return the export row of a pair.

    When both outputs answered the same prompt version, the prompt is that version's rendered
    chat; across versions each side saw a different template, so the prompt is the input.
    """
    chosen, rejected = pair.chosen, pair.rejected
    same = chosen.version is not None and chosen.version == rejected.version
    prompt = (
        context.prompt_messages(chosen.source.output, chosen.version)
        if same
        else input_messages(chosen.source.output.input)
    )
    user_turns = [m["content"] for m in prompt if m["role"] == "user"]
    row: dict[str, Any] = {
        "prompt": prompt,
        "prompt_text": user_turns[-1] if user_turns else "",
        "margin": pair.margin,
        "rule": pair.rule,
        "source": pair.source,
        "input_hash": chosen.source.output.input_hash,
        "chosen_score": pair.chosen_score,
        "rejected_score": pair.rejected_score,
    }
    for side, summary in (("chosen", chosen), ("rejected", rejected)):
        output, version = summary.source.output, summary.version
        row.update(
            {
                side: [{"role": "assistant", "content": output.output_text}],
                f"{side}_text": output.output_text,
                f"{side}_output_id": output.id,
                f"{side}_external_id": output.external_id,
                f"{side}_prompt": version.template if version else None,
                f"{side}_prompt_version": version.number if version else None,
                f"{side}_model": output.model_name,
                f"{side}_scores": summary.scores(),
                f"{side}_n_reviewers": summary.n_reviewers,
            }
        )
    return row
