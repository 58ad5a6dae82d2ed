"""Contract: every way an endpoint can fail ends as a result with a clear error kind."""

from __future__ import annotations

import socket

import pytest

from llmops_core.llm.client import EndpointConfig
from llmops_core.llm.datatypes import CallRequest, ErrorKind
from llmops_core.llm.parsing import parse_pointwise
from tests.llm.helpers import CRITERIA, LOCAL, Recorder, call, run
from tests.support.openai_server import LocalOpenAIServer

FAILURES = [
    # (scripted fault, error kind, retried)
    ("429", ErrorKind.RATE_LIMITED, True),
    ("500", ErrorKind.SERVER_ERROR, True),
    ("503", ErrorKind.SERVER_ERROR, True),
    ("timeout", ErrorKind.TIMEOUT, True),
    ("reset", ErrorKind.CONNECTION, True),
    ("truncated", ErrorKind.CONNECTION, True),
    ("400", ErrorKind.BAD_REQUEST, False),
    ("404", ErrorKind.BAD_REQUEST, False),
    ("401", ErrorKind.AUTH, False),
    ("invalid_body", ErrorKind.MALFORMED_RESPONSE, False),
    ("truncated_json", ErrorKind.MALFORMED_RESPONSE, False),
    ("empty_choices", ErrorKind.MALFORMED_RESPONSE, False),
    ("malformed_json", ErrorKind.PARSE_ERROR, False),
    ("wrong_schema", ErrorKind.PARSE_ERROR, False),
]


def _judge_parser(request: CallRequest, text: str) -> object:
    return parse_pointwise(text, CRITERIA)


@pytest.mark.parametrize(("fault", "kind", "retried"), FAILURES, ids=[f[0] for f in FAILURES])
def test_every_failure_yields_an_error_result(
    server: LocalOpenAIServer, fault: str, kind: str, retried: bool
) -> None:
    endpoint = EndpointConfig(base_url=server.base_url, timeout=0.4, egress=LOCAL)
    recorder = Recorder()
    summary = run(
        [call("judge this", model=f"always-{fault}")],
        endpoint,
        recorder,
        max_attempts=2,
        parser=_judge_parser,
    )
    [result] = recorder.results
    assert not result.ok
    assert result.error_kind == kind
    assert result.error, "an error result says what went wrong"
    assert result.attempts == (2 if retried or kind == ErrorKind.PARSE_ERROR else 1)
    assert summary.totals.failed == 1


def test_connection_refused_is_a_connection_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint = EndpointConfig(base_url=f"http://127.0.0.1:{port}/v1", timeout=1.0, egress=LOCAL)
    recorder = Recorder()
    run([call("q")], endpoint, recorder, max_attempts=3)
    [result] = recorder.results
    assert (result.error_kind, result.attempts) == (ErrorKind.CONNECTION, 3)
    # One fixed message: the socket's own words ("Connection refused") would tell a closed
    # port from an open one; they go to the server log only.
    assert result.error.startswith("connection failed: no reply from the endpoint")
    assert "refused" not in result.error.lower()


def test_a_parser_crash_is_an_internal_error(
    server: LocalOpenAIServer, endpoint: EndpointConfig
) -> None:
    """Only ParseError triggers a repair; any other parser bug is reported, never raised."""

    def broken(request: CallRequest, text: str) -> object:
        raise KeyError("bug")

    recorder = Recorder()
    run([call("q")], endpoint, recorder, parser=broken)
    assert recorder.results[0].error_kind == ErrorKind.INTERNAL
    assert "KeyError" in recorder.results[0].error
