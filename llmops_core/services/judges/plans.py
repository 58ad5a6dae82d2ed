"""How a judge run plugs into the LLM run machinery: its subjects, requests and score rows.

Pointwise: one call per output, scoring every criterion; subject ``out:<output id>``.
Pairwise: two calls per pair of outputs with the same input, ``pair:<a>:<b>:ab`` (A shown
first) and ``pair:<a>:<b>:ba`` (B shown first, verdicts mapped back to A/B). When both
orders are in, the final verdict per criterion is theirs if they agree, else a tie.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from llmops_core.llm.calls import Parser
from llmops_core.llm.datatypes import CallRequest
from llmops_core.llm.datatypes import Criterion as JudgeCriterion
from llmops_core.llm.errors import PromptError
from llmops_core.llm.hashing import request_hash
from llmops_core.llm.judge_prompts import (
    PAIRWISE_TEMPLATE,
    POINTWISE_TEMPLATE,
    pairwise_messages,
    pairwise_response_format,
    pointwise_messages,
    pointwise_response_format,
)
from llmops_core.llm.parsing import (
    PairwiseJudgement,
    PointwiseJudgement,
    pairwise_parser,
    pointwise_parser,
    swap_verdicts,
)
from llmops_core.models import (
    JudgeMode,
    JudgePairVerdict,
    JudgeRun,
    JudgeScore,
    ModelOutput,
    PairVerdict,
)
from llmops_core.selectors.judges import RUN_KIND
from llmops_core.services.judges.configs import judge_criteria
from llmops_core.services.judges.endpoints import endpoint_concurrency, endpoint_config
from llmops_core.services.llm_runs import PreparedCall


def pointwise_key(output_id: int) -> str:
    """Return the subject key of one output in a pointwise run."""
    return f"out:{output_id}"


def pair_key(a: int, b: int, order: str) -> str:
    """Return the subject key of one order (``ab`` or ``ba``) of a pair."""
    return f"pair:{a}:{b}:{order}"


class _JudgePlan:
    """What pointwise and pairwise runs share: the version, criteria, endpoint, hashing."""

    kind = RUN_KIND
    parser: Parser | None

    def __init__(self, run: JudgeRun) -> None:
        version = run.judge_version
        self.run, self.version = run, version
        self.criteria: list[JudgeCriterion] = judge_criteria(version.rubric_version)
        self.criterion_ids = dict(version.rubric_version.criteria.values_list("name", "id"))
        self.endpoint = endpoint_config(version.endpoint)
        self.concurrency = endpoint_concurrency(version.endpoint)
        budget = run.parameters.get("budget")
        self.budget = Decimal(str(budget)) if budget is not None else None

    def request(self, messages: list[Any], response_format: dict[str, Any] | None) -> CallRequest:
        """Return the request for ``messages``, keyed for the cache by the judge version."""
        params = dict(self.version.parameters)
        if response_format is not None:
            params["response_format"] = response_format
        model = self.version.model_name
        digest = request_hash(
            model, messages, params, extra={"judge_version": self.version.content_hash}
        )
        return CallRequest(digest, model, messages, params)

    def outputs(self, ids: set[int]) -> dict[int, tuple[Any, str]]:
        """Return (input, output text) of the run's project outputs among ``ids``."""
        rows = ModelOutput.objects.filter(project_id=self.run.project_id, pk__in=ids)
        return {
            pk: (value, text) for pk, value, text in rows.values_list("pk", "input", "output_text")
        }


class PointwisePlan(_JudgePlan):
    """Score each output on every criterion of the judge's rubric version."""

    def __init__(self, run: JudgeRun) -> None:
        super().__init__(run)
        self.parser = pointwise_parser(self.criteria)
        self.response_format = pointwise_response_format(
            self.criteria,
            self.version.response_format,  # type: ignore[arg-type]
        )

    def subject_keys(self) -> Sequence[str]:
        return [pointwise_key(pk) for pk in self.run.parameters.get("output_ids", [])]

    def prepare(self, keys: Sequence[str]) -> tuple[list[PreparedCall], dict[str, str]]:
        ids = {int(key.split(":")[1]): key for key in keys}
        found = self.outputs(set(ids))
        calls, failures = [], {}
        template = self.version.prompt_template or POINTWISE_TEMPLATE
        for pk, key in ids.items():
            if pk not in found:
                failures[key] = f"output {pk} no longer exists"
                continue
            value, text = found[pk]
            try:
                messages = pointwise_messages(
                    self.criteria,
                    item_input=value,
                    output=text,
                    template=template,
                    instructions=self.version.system_message,
                )
            except PromptError as exc:
                failures[key] = f"output {pk}: {exc}"
                continue
            calls.append(PreparedCall(key, self.request(messages, self.response_format), pk))
        return calls, failures

    def record(self, call: PreparedCall, parsed: PointwiseJudgement) -> None:
        self.record_many([(call, parsed)])

    def record_many(self, replies: Sequence[tuple[PreparedCall, PointwiseJudgement]]) -> None:
        """Write the scores of every reply in one insert."""
        JudgeScore.objects.bulk_create(
            JudgeScore(
                run_id=self.run.pk,
                output_id=call.data,
                criterion_id=self.criterion_ids[name],
                score=score,
                rationale=parsed.rationale,
            )
            for call, parsed in replies
            for name, score in parsed.scores.items()
        )


def _final(ab: str, ba: str) -> str:
    """Return the verdict of both orders: theirs when they agree, else a tie."""
    if not ab or not ba:
        return ""
    return ab if ab == ba else PairVerdict.TIE


class PairwisePlan(_JudgePlan):
    """Compare two outputs of the same input per criterion, asking in both orders."""

    def __init__(self, run: JudgeRun) -> None:
        super().__init__(run)
        self.parser = pairwise_parser(self.criteria)
        self.response_format = pairwise_response_format(
            self.criteria,
            self.version.response_format,  # type: ignore[arg-type]
        )

    def subject_keys(self) -> Sequence[str]:
        return [
            pair_key(a, b, order)
            for a, b in self.run.parameters.get("pairs", [])
            for order in ("ab", "ba")
        ]

    def prepare(self, keys: Sequence[str]) -> tuple[list[PreparedCall], dict[str, str]]:
        parts = {key: key.split(":") for key in keys}
        wanted = {int(p[i]) for p in parts.values() for i in (1, 2)}
        found = self.outputs(wanted)
        calls, failures = [], {}
        template = self.version.prompt_template or PAIRWISE_TEMPLATE
        for key, (_, a_text, b_text, order) in parts.items():
            a, b = int(a_text), int(b_text)
            missing = [pk for pk in (a, b) if pk not in found]
            if missing:
                failures[key] = f"output {missing[0]} no longer exists"
                continue
            first, second = (a, b) if order == "ab" else (b, a)
            try:
                messages = pairwise_messages(
                    self.criteria,
                    item_input=found[a][0],
                    output_a=found[first][1],
                    output_b=found[second][1],
                    template=template,
                    instructions=self.version.system_message,
                )
            except PromptError as exc:
                failures[key] = f"pair {a}/{b}: {exc}"
                continue
            calls.append(
                PreparedCall(key, self.request(messages, self.response_format), (a, b, order))
            )
        return calls, failures

    def record(self, call: PreparedCall, parsed: PairwiseJudgement) -> None:
        a, b, order = call.data
        judgement = parsed if order == "ab" else swap_verdicts(parsed)
        label = "A shown first" if order == "ab" else "B shown first"
        for name, verdict in judgement.verdicts.items():
            row, _ = JudgePairVerdict.objects.get_or_create(
                run_id=self.run.pk,
                output_a_id=a,
                output_b_id=b,
                criterion_id=self.criterion_ids[name],
            )
            if order == "ab":
                row.verdict_ab = verdict
            else:
                row.verdict_ba = verdict
            row.final = _final(row.verdict_ab, row.verdict_ba)
            note = f"{label}: {judgement.rationale}" if judgement.rationale else ""
            row.rationale = "\n".join(part for part in (row.rationale, note) if part)
            row.save(update_fields=["verdict_ab", "verdict_ba", "final", "rationale"])


def judge_plan(run: JudgeRun) -> PointwisePlan | PairwisePlan:
    """Return the plan of a judge run, by its version's mode."""
    if run.judge_version.mode == JudgeMode.PAIRWISE:
        return PairwisePlan(run)
    return PointwisePlan(run)
