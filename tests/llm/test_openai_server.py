"""The local OpenAI-compatible server: protocol shape, determinism, faults and recording."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import openai
import pytest

from llmops_core.llm.client import EndpointConfig, build_client
from llmops_core.llm.judge_prompts import pairwise_messages, pairwise_response_format
from llmops_core.llm.parsing import parse_pairwise
from tests.llm.helpers import CRITERIA, LOCAL
from tests.support.openai_server import Fault, LocalOpenAIServer, quality, scaled

ROOT = Path(__file__).resolve().parents[2]


def test_completion_has_the_openai_shape(server: LocalOpenAIServer) -> None:
    client = build_client(EndpointConfig(server.base_url, "k", egress=LOCAL))
    completion = client.chat.completions.create(
        model="local-generator", messages=[{"role": "user", "content": "Explain rye bread"}]
    )
    assert completion.object == "chat.completion" and completion.id.startswith("chatcmpl-")
    assert completion.choices[0].finish_reason == "stop"
    text = completion.choices[0].message.content or ""
    assert completion.usage is not None
    assert completion.usage.prompt_tokens == 3
    assert completion.usage.completion_tokens == len(text.split())
    assert completion.usage.total_tokens == 3 + len(text.split())
    assert [m.id for m in client.models.list()] == ["local-generator", "local-judge"]


def test_generation_is_deterministic(server: LocalOpenAIServer) -> None:
    client = build_client(EndpointConfig(server.base_url, "k", egress=LOCAL))

    def answer(text: str) -> str:
        reply = client.chat.completions.create(
            model="local-generator", messages=[{"role": "user", "content": text}]
        )
        return reply.choices[0].message.content or ""

    assert answer("How do I proof dough?") == answer("How do I proof dough?")
    assert len({answer(f"Question {i} about baking") for i in range(10)}) > 5


def test_script_then_rates_then_model_modes(server: LocalOpenAIServer) -> None:
    assert server.next_fault("m").kind == "ok"
    server.script(["429", Fault("timeout", delay=0.1)])
    assert [server.next_fault("m").kind for _ in range(3)] == ["429", "timeout", "ok"]
    assert server.next_fault("always-500").kind == "500"
    assert server.next_fault("always-whatever").kind == "ok"
    server.fault_rates = {"503": 1.0}
    assert server.next_fault("m").kind == "503"
    with pytest.raises(ValueError, match="unknown fault"):
        server.script(["explode"])


def test_requests_are_recorded_and_counted(server: LocalOpenAIServer) -> None:
    client = build_client(EndpointConfig(server.base_url, "k", egress=LOCAL))
    client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    [recorded] = server.requests
    assert recorded.path == "/v1/chat/completions"
    assert recorded.body["messages"] == [{"role": "user", "content": "hi"}]
    assert recorded.time <= time.time()
    assert server.request_count == 1
    server.reset()
    assert server.request_count == 0


def test_error_faults_reach_the_client_as_status_errors(server: LocalOpenAIServer) -> None:
    client = build_client(EndpointConfig(server.base_url, "k", egress=LOCAL))
    server.script([Fault("429", retry_after="7")])
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert caught.value.response.headers["retry-after"] == "7"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Rye bread uses rye flour, water and a starter, then bakes for an hour.", 4),
        ("Maybe.", 1),
        ("I'm not sure, maybe it is rye flour and water with salt [unsupported claim].", 1),
    ],
)
def test_quality_heuristic_for_factuality(text: str, expected: int) -> None:
    assert abs(quality("factuality", text, "rye bread") - expected) <= 1


def test_scores_map_onto_any_scale() -> None:
    assert [scaled(s, 0, 10) for s in (1, 3, 5)] == [0, 5, 10]
    assert [scaled(s, 1, 7) for s in (1, 5)] == [1, 7]


def test_position_bias_prefers_a_regardless(server: LocalOpenAIServer) -> None:
    """With full position bias the judge picks A both ways round: a measurable bias."""
    server.position_bias = 1.0
    client = build_client(EndpointConfig(server.base_url, "k", egress=LOCAL))
    good = "Rye bread needs rye flour, water, salt and a sourdough starter, then a long bake."
    weak = "Maybe rye."
    verdicts = []
    for a, b in [(good, weak), (weak, good)]:
        messages = pairwise_messages(CRITERIA, item_input="rye bread?", output_a=a, output_b=b)
        reply = client.chat.completions.create(
            model="local-judge",
            messages=messages,  # type: ignore[arg-type]
            response_format=pairwise_response_format(CRITERIA),  # type: ignore[arg-type]
        )
        verdicts.append(parse_pairwise(reply.choices[0].message.content or "", CRITERIA))
    assert all(v == "A" for judgement in verdicts for v in judgement.verdicts.values())


def test_runs_as_a_demo_endpoint_from_the_command_line() -> None:
    with LocalOpenAIServer() as probe:
        port = probe.port
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.openai_server", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        assert "serving OpenAI-compatible API" in process.stderr.readline()
        client = build_client(EndpointConfig(f"http://127.0.0.1:{port}/v1", "k", egress=LOCAL))
        reply = client.chat.completions.create(
            model="local-generator", messages=[{"role": "user", "content": "hello"}]
        )
        assert reply.choices[0].message.content
    finally:
        process.terminate()
        process.wait(timeout=10)
