"""The egress policy on real sockets: nothing connects to a refused address, whatever the path.

Every test uses the production policy (no allow rules unless it names them) and real
listeners on loopback addresses; ``connections`` counts every TCP connection that arrived.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from llmops_core.llm.client import EndpointConfig, build_client, build_http_client
from llmops_core.llm.datatypes import ErrorKind
from llmops_core.llm.egress import EgressPolicy
from llmops_core.llm.errors import EgressRefused
from tests.llm.helpers import Recorder, call, run
from tests.support.listener import Listener, closed_port
from tests.support.openai_server import LocalOpenAIServer

PRODUCTION = EgressPolicy()
SECRET_BODY = b'{"error": {"message": "INTERNAL-SECRET: redis password hunter2"}}'


@pytest.fixture
def listener() -> Iterator[Listener]:
    with Listener("127.0.0.1", body=b'{"choices": []}') as running:
        yield running


@pytest.fixture
def other_loopback() -> Iterator[Listener]:
    with Listener("127.0.0.2", body=b'{"choices": []}') as running:
        yield running


@pytest.fixture
def ipv6_loopback() -> Iterator[Listener]:
    with Listener("::1", body=b'{"choices": []}') as running:
        yield running


def _one_call(endpoint: EndpointConfig) -> Recorder:
    recorder = Recorder()
    run([call("q")], endpoint, recorder, max_attempts=2)
    return recorder


@pytest.mark.parametrize(
    ("fixture", "host"),
    [
        ("listener", "127.0.0.1"),
        ("listener", "localhost"),  # a name that resolves to loopback
        ("listener", "[::ffff:127.0.0.1]"),
        ("other_loopback", "127.0.0.2"),
        ("ipv6_loopback", "[::1]"),
    ],
)
def test_no_connection_reaches_a_refused_address(
    request: pytest.FixtureRequest, fixture: str, host: str
) -> None:
    target: Listener = request.getfixturevalue(fixture)
    endpoint = EndpointConfig(f"http://{host}:{target.port}/v1", "sk-worker-key", egress=PRODUCTION)
    with pytest.raises(EgressRefused, match='field "base_url"'):
        _one_call(endpoint)  # the client refuses to be built for it
    http = build_http_client(endpoint, concurrency=1)  # and its transport refuses to connect
    with pytest.raises(EgressRefused), http:
        http.post(f"{endpoint.base_url}/chat/completions", json={})
    assert target.connections == 0


def test_an_answer_that_changes_between_check_and_connect_is_refused(
    listener: Listener, other_loopback: Listener
) -> None:
    """DNS rebinding: the first answer passes the check, the next one points at loopback."""
    answers = iter([["127.0.0.2"], ["127.0.0.1"], ["127.0.0.1"], ["127.0.0.1"]])
    policy = EgressPolicy.from_rules(["127.0.0.2"], resolver=lambda host, port: next(answers))
    with Listener("127.0.0.1", other_loopback.port, body=b"{}") as same_port:
        url = f"http://rebind.test:{other_loopback.port}/v1"
        recorder = _one_call(EndpointConfig(url, "sk-worker-key", egress=policy))
        [result] = recorder.results
    assert result.error_kind == ErrorKind.EGRESS_REFUSED and result.attempts == 1
    assert "loopback" not in result.error and "127.0.0.1" not in result.error
    assert listener.connections == other_loopback.connections == same_port.connections == 0


def test_connections_go_to_the_checked_address_never_to_the_name_again() -> None:
    """The name resolves only through the policy: the system resolver never sees it."""
    asked: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.2"]

    policy = EgressPolicy.from_rules(["127.0.0.2"], resolver=resolver)
    with LocalOpenAIServer(host="127.0.0.2") as server:
        endpoint = EndpointConfig(f"http://llm.test:{server.port}/v1", "k", egress=policy)
        [result] = _one_call(endpoint).results
        assert result.ok, result.error
        assert server.requests[0].headers.get("Host") == f"llm.test:{server.port}"
    assert asked == ["llm.test", "llm.test"]  # the check before the run, then the connection


def test_a_redirect_is_not_followed_even_to_an_allowed_address(listener: Listener) -> None:
    policy = EgressPolicy.from_rules(["127.0.0.2", "127.0.0.3"])
    with Listener("127.0.0.3", body=b"{}") as allowed:
        for target in (listener, allowed):
            location = f"http://{target.host}:{target.port}/v1/chat/completions"
            with Listener("127.0.0.2", status="302 Found", headers={"Location": location}) as hop:
                [result] = _one_call(EndpointConfig(hop.base_url, "k", egress=policy)).results
                assert hop.connections == 1
            assert result.error_kind == ErrorKind.BAD_REQUEST
            assert result.error == "HTTP 302 Found (redirects are not followed)"
        assert listener.connections == allowed.connections == 0


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        ("500 Internal Server Error", SECRET_BODY, ErrorKind.SERVER_ERROR),
        ("400 Bad Request", SECRET_BODY, ErrorKind.BAD_REQUEST),
        ("200 OK", b"INTERNAL-SECRET plain text " * 200, ErrorKind.MALFORMED_RESPONSE),
        ("200 OK", b'{"detail": "INTERNAL-SECRET"}', ErrorKind.MALFORMED_RESPONSE),
        (
            "200 OK",
            b'{"choices": [{"message": {"content": ["INTERNAL-SECRET"]}}]}',
            "malformed_response",
        ),
    ],
)
def test_a_reply_body_never_reaches_the_result_only_the_log_truncated(
    status: str, body: bytes, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    policy = EgressPolicy.from_rules(["127.0.0.2"])
    caplog.set_level(logging.WARNING, logger="llmops_core.llm.calls")
    with Listener("127.0.0.2", status=status, body=body) as service:
        [result] = _one_call(EndpointConfig(service.base_url, "k", egress=policy)).results
    assert result.error_kind == kind
    visible = repr((result.error, result.attempt_errors, result.raw, result.content))
    assert "INTERNAL-SECRET" not in visible and "hunter2" not in visible
    logged = [r.getMessage() for r in caplog.records if "INTERNAL-SECRET" in r.getMessage()]
    assert logged and all(len(message) < 800 for message in logged)


def test_open_and_closed_ports_give_the_same_error(listener: Listener) -> None:
    errors = []
    for port in (listener.port, closed_port()):
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/v1", "k", egress=PRODUCTION)
        with pytest.raises(EgressRefused) as refused:
            build_client(endpoint)
        http = build_http_client(endpoint, concurrency=1)
        with pytest.raises(EgressRefused) as at_connect, http:
            http.get(f"{endpoint.base_url}/models")
        errors.append((str(refused.value), str(at_connect.value)))
    assert errors[0] == errors[1]
    assert listener.connections == 0
