"""Judge calls end to end: structured scores, the parse-repair flow and pairwise verdicts."""

from __future__ import annotations

from llmops_core.llm.client import EndpointConfig
from llmops_core.llm.datatypes import CallRequest
from llmops_core.llm.hashing import request_hash
from llmops_core.llm.judge_prompts import (
    pairwise_messages,
    pairwise_response_format,
    pointwise_messages,
    pointwise_response_format,
)
from llmops_core.llm.parsing import PointwiseJudgement, pairwise_parser, pointwise_parser
from llmops_core.llm.retry import RetryPolicy
from tests.llm.helpers import CRITERIA, Recorder, run
from tests.support.openai_server import LocalOpenAIServer

GOOD_ANSWER = (
    "Rye bread is made from rye flour, water, salt and a sourdough starter that ferments "
    "the dough for a day before baking."
)
WEAK_ANSWER = "I'm not sure, maybe rye [unsupported claim]."


def judge_request(output: str, mode: str = "json_schema") -> CallRequest:
    messages = pointwise_messages(CRITERIA, item_input="How is rye bread made?", output=output)
    params = {"temperature": 0, "response_format": pointwise_response_format(CRITERIA, mode)}
    key = request_hash("local-judge", messages, params, extra={"judge_version": 1})
    return CallRequest(key, "local-judge", messages, params)


parse = pointwise_parser(CRITERIA)


def test_judge_scores_come_back_parsed(server: LocalOpenAIServer, endpoint: EndpointConfig) -> None:
    recorder = Recorder()
    run([judge_request(GOOD_ANSWER), judge_request(WEAK_ANSWER)], endpoint, recorder, parser=parse)
    good, weak = (recorder.by_key()[judge_request(a).key] for a in (GOOD_ANSWER, WEAK_ANSWER))
    assert good.ok and weak.ok
    assert set(good.parsed.scores) == {"fluency", "relevance", "factuality"}
    assert good.parsed.scores["factuality"] > weak.parsed.scores["factuality"]
    assert good.parsed.rationale


def test_json_object_mode_is_judged_from_the_prompt(
    server: LocalOpenAIServer, endpoint: EndpointConfig
) -> None:
    recorder = Recorder()
    run([judge_request(GOOD_ANSWER, "json_object")], endpoint, recorder, parser=parse)
    assert recorder.results[0].ok
    assert server.requests[-1].body["response_format"] == {"type": "json_object"}


def test_malformed_reply_is_repaired_once(
    server: LocalOpenAIServer, endpoint: EndpointConfig
) -> None:
    server.script(["malformed_json", "ok"])
    recorder = Recorder()
    run([judge_request(GOOD_ANSWER)], endpoint, recorder, parser=parse)
    [result] = recorder.results
    assert result.ok and result.repaired
    assert isinstance(result.parsed, PointwiseJudgement)
    assert (result.attempts, result.retries) == (2, 0)
    repair = server.requests[-1].body["messages"]
    assert repair[-2]["role"] == "assistant" and repair[-2]["content"].startswith("Here you go")
    assert "holds no valid JSON object" in repair[-1]["content"]
    first, second = (r for r in server.requests)
    assert result.tokens_in and result.tokens_in > len(first.body["messages"][1]["content"].split())
    assert second.body["response_format"] == first.body["response_format"]


def test_wrong_schema_twice_is_a_parse_error_keeping_the_reply(
    server: LocalOpenAIServer, endpoint: EndpointConfig
) -> None:
    server.script(["wrong_schema", "wrong_schema"])
    recorder = Recorder()
    run([judge_request(GOOD_ANSWER)], endpoint, recorder, parser=parse)
    [result] = recorder.results
    assert not result.ok and result.repaired
    assert result.error_kind == "parse_error"
    assert result.error == 'field "scores" is missing or is not an object (after one repair)'
    assert result.content == '{"score": 4, "comment": "fine overall"}'
    assert result.tokens_out is not None


def test_repair_can_be_turned_off(server: LocalOpenAIServer, endpoint: EndpointConfig) -> None:
    server.script(["malformed_json"])
    recorder = Recorder()
    policy = RetryPolicy(repair=False)
    run([judge_request(GOOD_ANSWER)], endpoint, recorder, parser=parse, policy=policy)
    assert recorder.results[0].error_kind == "parse_error"
    assert server.request_count == 1


def test_a_cached_request_is_never_paid_twice(
    server: LocalOpenAIServer, endpoint: EndpointConfig
) -> None:
    """The caller's cache, keyed by request hash, lets a second run make zero calls."""
    cache: dict[str, str | None] = {}
    requests = [judge_request(GOOD_ANSWER), judge_request(WEAK_ANSWER)]
    for _ in range(2):
        recorder = Recorder()
        run([r for r in requests if r.key not in cache], endpoint, recorder, parser=parse)
        cache.update((result.key, result.content) for result in recorder.results)
    assert server.request_count == 2
    assert set(cache) == {r.key for r in requests}


def test_pairwise_verdicts_favour_the_better_answer(
    server: LocalOpenAIServer, endpoint: EndpointConfig
) -> None:
    def pair(a: str, b: str) -> CallRequest:
        messages = pairwise_messages(
            CRITERIA, item_input="How is rye bread made?", output_a=a, output_b=b
        )
        params = {"response_format": pairwise_response_format(CRITERIA)}
        return CallRequest(
            request_hash("local-judge", messages, params), "local-judge", messages, params
        )

    recorder = Recorder()
    forward, backward = pair(GOOD_ANSWER, WEAK_ANSWER), pair(WEAK_ANSWER, GOOD_ANSWER)
    run(
        [forward, backward],
        endpoint,
        recorder,
        parser=pairwise_parser(CRITERIA),
    )
    results = recorder.by_key()
    assert results[forward.key].parsed.verdicts["factuality"] == "A"
    assert results[backward.key].parsed.verdicts["factuality"] == "B"
