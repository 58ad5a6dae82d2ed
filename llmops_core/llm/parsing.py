"""Read judge replies tolerantly into scores or verdicts, and build the repair follow-up."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from llmops_core.llm.datatypes import CallRequest, Criterion, Message
from llmops_core.llm.errors import ParseError

_FENCE = re.compile(r"```[A-Za-z0-9_-]*[ \t]*\n?(.*?)```", re.DOTALL)
_RATIONALE_KEYS = ("rationale", "reasoning", "reason", "explanation", "justification")
_VERDICT_WORDS = {
    "a": "A",
    "b": "B",
    "tie": "tie",
    "draw": "tie",
    "equal": "tie",
    "same": "tie",
    "neither": "tie",
    "both": "tie",
}
_VERDICT_PREFIX = re.compile(r"^(?:output|response|answer|assistant)[\s_-]*", re.IGNORECASE)


@dataclass(frozen=True)
class PointwiseJudgement:
    """Scores per criterion name (as the rubric spells it) and the judge's rationale."""

    scores: dict[str, int]
    rationale: str


@dataclass(frozen=True)
class PairwiseJudgement:
    """A verdict per criterion name, "A", "B" or "tie", and the judge's rationale."""

    verdicts: dict[str, str]
    rationale: str


def extract_json_object(text: str) -> dict[str, Any]:
    """Return the first JSON object in ``text``, ignoring code fences and prose around it."""
    candidates = [match.group(1) for match in _FENCE.finditer(text)] + [text]
    decoder = json.JSONDecoder()
    for candidate in candidates:
        start = candidate.find("{")
        while start != -1:
            try:
                value, _ = decoder.raw_decode(candidate, start)
            except json.JSONDecodeError:
                start = candidate.find("{", start + 1)
                continue
            if isinstance(value, dict):
                return value
            start = candidate.find("{", start + 1)
    if not text.strip():
        raise ParseError("the reply is empty; expected a JSON object")
    raise ParseError("the reply holds no valid JSON object")


def _section(data: Mapping[str, Any], key: str, criteria: Sequence[Criterion]) -> dict[str, Any]:
    """Return the per-criterion mapping under ``key``, keyed by lower-cased name.

    A reply that puts the criteria at the top level instead of under ``key`` is accepted.
    """
    found = {str(name).lower(): value for name, value in data.items()}
    section = found.get(key.lower())
    if isinstance(section, Mapping):
        return {str(name).strip().lower(): value for name, value in section.items()}
    if section is None and any(c.name.lower() in found for c in criteria):
        return found
    raise ParseError(f'field "{key}" is missing or is not an object')


def _rationale(data: Mapping[str, Any]) -> str:
    """Return the rationale under any of its usual names, or an empty string."""
    for key, value in data.items():
        if str(key).lower() in _RATIONALE_KEYS and isinstance(value, str):
            return value.strip()
    return ""


def _missing(criteria: Sequence[Criterion], section: Mapping[str, Any], what: str) -> None:
    """Raise naming every criterion absent from the reply."""
    missing = [c.name for c in criteria if c.name.lower() not in section]
    if missing:
        names = ", ".join(f'"{name}"' for name in missing)
        raise ParseError(f"{what} missing for criteria {names}")


def _score(criterion: Criterion, value: Any) -> int:
    """Return one score as an int within the criterion's scale, or raise saying why not."""
    where = f'criterion "{criterion.name}"'
    number: float
    if isinstance(value, bool):
        raise ParseError(f"{where}: {json.dumps(value)} is not a number")
    if isinstance(value, int | float):
        number = value
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise ParseError(f"{where}: {json.dumps(value)} is not a number") from None
    else:
        raise ParseError(f"{where}: {json.dumps(value)} is not a number")
    if not float(number).is_integer():
        raise ParseError(f"{where}: {value} is not a whole number")
    score = int(number)
    if not criterion.scale_min <= score <= criterion.scale_max:
        raise ParseError(f"{where}: {score} is outside {criterion.scale_min}-{criterion.scale_max}")
    return score


def parse_pointwise(text: str, criteria: Sequence[Criterion]) -> PointwiseJudgement:
    """Return the scores in a judge reply, or raise ``ParseError`` saying what is wrong.

    Tolerates code fences, prose around the JSON, numeric strings ("4", 4.0) and criterion
    names in any case; every criterion must be present and within its scale. Extra keys
    are ignored.
    """
    data = extract_json_object(text)
    section = _section(data, "scores", criteria)
    _missing(criteria, section, "scores")
    scores = {c.name: _score(c, section[c.name.lower()]) for c in criteria}
    return PointwiseJudgement(scores=scores, rationale=_rationale(data))


def _verdict(criterion: Criterion, value: Any) -> str:
    """Return one verdict as "A", "B" or "tie", or raise saying why not."""
    word = _VERDICT_PREFIX.sub("", value.strip()) if isinstance(value, str) else None
    verdict = _VERDICT_WORDS.get(word.strip().lower()) if word is not None else None
    if verdict is None:
        raise ParseError(
            f'criterion "{criterion.name}": {json.dumps(value)} is not "A", "B" or "tie"'
        )
    return verdict


def parse_pairwise(text: str, criteria: Sequence[Criterion]) -> PairwiseJudgement:
    """Return the verdicts in a pairwise judge reply, or raise ``ParseError``.

    Accepts "A"/"B"/"tie" in any case, "Response A"-style answers and "draw"/"equal" for a tie.
    """
    data = extract_json_object(text)
    section = _section(data, "verdicts", criteria)
    _missing(criteria, section, "verdicts")
    verdicts = {c.name: _verdict(c, section[c.name.lower()]) for c in criteria}
    return PairwiseJudgement(verdicts=verdicts, rationale=_rationale(data))


def swap_verdicts(judgement: PairwiseJudgement) -> PairwiseJudgement:
    """Return the judgement with A and B exchanged, for a call made with positions swapped."""
    flipped = {"A": "B", "B": "A", "tie": "tie"}
    verdicts = {name: flipped[verdict] for name, verdict in judgement.verdicts.items()}
    return PairwiseJudgement(verdicts=verdicts, rationale=judgement.rationale)


def pointwise_parser(
    criteria: Sequence[Criterion],
) -> Callable[[CallRequest, str], PointwiseJudgement]:
    """Return an executor ``parser`` reading pointwise replies against ``criteria``."""
    fixed = tuple(criteria)
    return lambda request, text: parse_pointwise(text, fixed)


def pairwise_parser(
    criteria: Sequence[Criterion],
) -> Callable[[CallRequest, str], PairwiseJudgement]:
    """Return an executor ``parser`` reading pairwise replies against ``criteria``."""
    fixed = tuple(criteria)
    return lambda request, text: parse_pairwise(text, fixed)


def repair_messages(messages: Sequence[Message], reply: str, error: str) -> list[Message]:
    """Return the follow-up conversation asking the model to fix an unusable reply.

    It is the original conversation, the bad reply as the assistant's turn and a user turn
    naming the problem and asking for the JSON object alone.
    """
    request = (
        f"Your reply could not be used: {error}. Reply again with only the JSON object in "
        "the format the instructions give, with every criterion present, and no other text."
    )
    return [
        *messages,
        {"role": "assistant", "content": reply},
        {"role": "user", "content": request},
    ]
