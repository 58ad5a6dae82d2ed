"""A deterministic OpenAI-compatible chat server with fault injection, for tests and demos."""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

MODELS = ("local-generator", "local-judge")
HEDGES = ("i'm not sure", "i am not sure", "maybe", "perhaps", "possibly", "i think", "might be")
UNSUPPORTED = "[unsupported claim]"
FAULTS = frozenset(
    {
        "ok",
        "timeout",
        "malformed_json",
        "invalid_body",
        "truncated",
        "truncated_json",
        "wrong_schema",
        "empty_choices",
        "reset",
    }
)
_POINTWISE_LINE = re.compile(r'"([^"]+)": <integer (-?\d+)-(-?\d+)>')
_PAIRWISE_LINE = re.compile(r'"([^"]+)": "A" \| "B" \| "tie"')
_WORD = re.compile(r"[\w']+")
# fmt: off
_STOP = frozenset({
    "what", "which", "when", "where", "does", "that", "this", "these", "those", "there",
    "their", "them", "they", "with", "from", "into", "about", "your", "have", "been", "will",
    "would", "could", "should", "tell", "please", "explain", "give",
})
# fmt: on
_OPENINGS = ("In short,", "Put simply,", "Broadly speaking,", "To answer directly,", "Overall,")
_CLAIMS = (
    "{t} depends mostly on context and clear definitions.",
    "the key idea behind {t} is to start from what is known and build up carefully.",
    "{t} is best understood through a small concrete example.",
    "most practical questions about {t} come down to trade-offs between cost and accuracy.",
    "a careful reading of {t} shows that the simple explanation is usually right.",
)
_EXTRAS = (
    "A good next step is to check the assumptions one at a time.",
    "It helps to write the steps down and test each one.",
    "Sources that explain {t} well tend to agree on this point.",
)


@dataclass(frozen=True)
class Fault:
    """One scripted behaviour: ``ok``, an HTTP status like ``"429"`` or a named fault.

    Named faults: ``timeout`` (wait ``delay`` or the server's ``timeout_delay``, then
    answer), ``malformed_json`` (reply text that is not JSON), ``wrong_schema`` (JSON of
    the wrong shape), ``invalid_body`` (an HTTP body that is not JSON), ``truncated``
    (connection dropped mid-body), ``truncated_json`` (complete response, JSON cut off),
    ``empty_choices`` and ``reset`` (connection closed with no response).
    """

    kind: str
    retry_after: str | None = None
    retry_after_ms: int | None = None
    delay: float | None = None

    def __post_init__(self) -> None:
        """Reject a fault the server cannot play."""
        if not _known(self.kind):
            raise ValueError(f"unknown fault {self.kind!r}")


def _known(kind: str) -> bool:
    """Return whether the server can play a fault: a named one or an HTTP status."""
    return kind in FAULTS or re.fullmatch(r"[1-5]\d\d", kind) is not None


@dataclass(frozen=True)
class RecordedRequest:
    """A request the server received: method, path, JSON body (None if unreadable), time."""

    method: str
    path: str
    body: Any
    time: float
    headers: Mapping[str, str] = field(default_factory=dict)


def _digest(*parts: str) -> int:
    """Return a stable 64-bit number from text, for deterministic choices."""
    data = "\x00".join(parts).encode("utf-8")
    return int.from_bytes(hashlib.sha256(data).digest()[:8], "big")


def _words(text: str) -> list[str]:
    """Return the lower-cased words of a text."""
    return _WORD.findall(text.lower())


def _topic(text: str) -> list[str]:
    """Return the content words of a text: longer than three letters, not a stop word."""
    return [word for word in _words(text) if len(word) > 3 and word not in _STOP]


def quality(criterion: str, output: str, item_input: str = "") -> int:
    """Return a 1-5 score for an output from visible traits, as a demo judge would.

    Starts at 4; short answers, hedging, repeated words, ``[unsupported claim]`` markers
    and (for relevance) no word shared with the input lower it; a content hash moves about
    one score in three by one point so the distribution is not flat.
    """
    words, lowered, name = _words(output), output.lower(), criterion.lower()
    score = 4
    score -= 2 if len(words) < 4 else 1 if len(words) < 8 else 0
    hedges = sum(lowered.count(hedge) for hedge in HEDGES)
    score -= min(hedges, 2) if "fact" in name else min(hedges, 1)
    if len(words) >= 8 and len(set(words)) / len(words) < 0.5:
        score -= 2 if "fluen" in name else 1
    claims = lowered.count(UNSUPPORTED)
    score -= min(2 * claims, 3) if "fact" in name else min(claims, 1)
    topic = _topic(item_input)
    if "relev" in name and topic and not set(topic) & set(words):
        score -= 1
    score += (-1, 0, 0, 0, 0, 1)[_digest(criterion, output) % 6]
    return max(1, min(5, score))


def scaled(score: int, low: int, high: int) -> int:
    """Return a 1-5 score mapped onto the scale ``low``-``high``."""
    return max(low, min(high, round(low + (score - 1) * (high - low) / 4)))


def generate(messages: list[dict[str, Any]], model: str, seed: object = None) -> str:
    """Return a reproducible answer to the conversation, built from a small vocabulary.

    About one answer in seven hedges, one in ten carries an unsupported claim and one in
    twenty is a bare fragment, so a judge has something to find.
    """
    text = json.dumps(messages, sort_keys=True)
    rng = random.Random(_digest(text, model, str(seed)))
    user = next((m.get("content", "") for m in reversed(messages) if m.get("role") == "user"), "")
    topic = " ".join(list(dict.fromkeys(_topic(str(user))))[:3]) or "the question"
    if rng.random() < 0.05:
        return f"{topic.capitalize()}."
    sentences = [f"{rng.choice(_OPENINGS)} {rng.choice(_CLAIMS).format(t=topic)}"]
    sentences += [rng.choice(_EXTRAS).format(t=topic) for _ in range(rng.randint(1, 2))]
    if rng.random() < 0.15:
        sentences.insert(0, "I'm not sure, but maybe this helps.")
    if rng.random() < 0.10:
        sentences.append(f"Experts proved this about {topic} in 1887 {UNSUPPORTED}.")
    return " ".join(sentences)


def _criteria(body: Mapping[str, Any], system: str, kind: str) -> list[tuple[str, int, int]]:
    """Return (name, min, max) per criterion from the schema, else the system prompt."""
    try:
        schema = body["response_format"]["json_schema"]["schema"]
        section = dict(schema["properties"][kind]["properties"])
    except (KeyError, TypeError, ValueError):
        section = {}
    if section:
        found = []
        for name, spec in section.items():
            levels = spec.get("enum") or [spec.get("minimum", 1), spec.get("maximum", 5)]
            numbers = [level for level in levels if isinstance(level, int)] or [0]
            found.append((name, min(numbers), max(numbers)))
        return found
    if kind == "scores":
        return [(n, int(lo), int(hi)) for n, lo, hi in _POINTWISE_LINE.findall(system)]
    return [(name, 0, 0) for name in _PAIRWISE_LINE.findall(system)]


def _tag(text: str, name: str) -> str | None:
    """Return the text inside ``<name>...</name>``, or None."""
    match = re.search(rf"<{name}>\s*(.*?)\s*</{name}>", text, re.DOTALL)
    return match.group(1) if match else None


class _QuietServer(ThreadingHTTPServer):
    """A threading HTTP server that reports dropped client connections only when verbose."""

    daemon_threads = True
    request_queue_size = 256  # the default of 5 drops bursts of concurrent connects
    verbose = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients that hung up (timeouts do that on purpose) unless verbose."""
        if self.verbose:
            super().handle_error(request, client_address)


class LocalOpenAIServer:
    """An OpenAI-compatible chat completions server in a background thread.

    Use as a context manager or call ``start()``/``stop()``; ``base_url`` ends in ``/v1``.
    Judge requests (a judgement JSON schema, or the reply format line the judge prompts
    emit) get scores from ``quality``; other requests get ``generate`` text.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        latency: float = 0.0,
        position_bias: float = 0.0,
        timeout_delay: float = 2.0,
        fault_rates: Mapping[str, float] | None = None,
        seed: int = 0,
        api_key: str | None = None,
        verbose: bool = False,
    ) -> None:
        self.latency, self.position_bias, self.timeout_delay = latency, position_bias, timeout_delay
        self.host, self.fault_rates = host, dict(fault_rates or {})
        self.api_key, self.verbose = api_key, verbose
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._script: deque[Fault] = deque()
        self._records: list[RecordedRequest] = []
        self._in_flight = 0
        self.max_in_flight = 0
        self._stopping = threading.Event()
        self._httpd = _QuietServer((host, port), _handler_for(self))
        self._httpd.verbose = verbose
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """Return the port the server listens on."""
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """Return the OpenAI base URL of the server (ending in ``/v1``)."""
        return f"http://{self.host}:{self.port}/v1"

    def start(self) -> LocalOpenAIServer:
        """Start serving in a daemon thread and return the server."""
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name=f"openai-server-{self.port}",
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve on the calling thread until interrupted, then close the socket."""
        try:
            self._httpd.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            self._httpd.server_close()

    def stop(self) -> None:
        """Stop serving, wake any request sleeping in a fault, and close the socket."""
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> LocalOpenAIServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def script(self, faults: Iterable[str | Fault]) -> None:
        """Queue behaviours for the next requests, one each, in order."""
        with self._lock:
            self._script.extend(f if isinstance(f, Fault) else Fault(f) for f in faults)

    def reset(self) -> None:
        """Forget recorded requests, the script and the in-flight peak."""
        with self._lock:
            self._script.clear()
            self._records.clear()
            self.max_in_flight = 0

    @property
    def requests(self) -> list[RecordedRequest]:
        """Return a copy of every request received so far."""
        with self._lock:
            return list(self._records)

    @property
    def request_count(self) -> int:
        """Return how many chat completion requests were received."""
        with self._lock:
            return sum(1 for r in self._records if r.path.endswith("/chat/completions"))

    def record(self, request: RecordedRequest) -> None:
        """Remember one request."""
        with self._lock:
            self._records.append(request)

    def next_fault(self, model: str) -> Fault:
        """Return the behaviour for the next request: script, then model, then rates."""
        with self._lock:
            if self._script:
                return self._script.popleft()
            if model.startswith("always-") and _known(model.removeprefix("always-")):
                return Fault(model.removeprefix("always-"))
            for kind, rate in self.fault_rates.items():
                if self._rng.random() < rate:
                    return Fault(kind)
        return Fault("ok")

    def enter(self) -> None:
        """Count a request in flight and keep the peak."""
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def leave(self) -> None:
        """Count a request as done."""
        with self._lock:
            self._in_flight -= 1

    def pause(self, seconds: float) -> None:
        """Sleep, but wake at once when the server stops."""
        self._stopping.wait(seconds)

    def answer(self, body: Mapping[str, Any]) -> str:
        """Return the assistant text for a request: judgement JSON or generated text."""
        messages = [m for m in body.get("messages", []) if isinstance(m, dict)]
        system = "\n".join(str(m.get("content", "")) for m in messages if m.get("role") == "system")
        users = [str(m.get("content", "")) for m in messages if m.get("role") == "user"]
        item = next((u for u in users if "<response" in u), users[-1] if users else "")
        pointwise, pairwise = _criteria(body, system, "scores"), _criteria(body, system, "verdicts")
        if pointwise:
            return self._pointwise(pointwise, item)
        if pairwise:
            return self._pairwise([name for name, _, _ in pairwise], item)
        return generate(messages, str(body.get("model", "")), body.get("seed"))

    def _pointwise(self, criteria: list[tuple[str, int, int]], item: str) -> str:
        output, item_input = _tag(item, "response") or item, _tag(item, "input") or ""
        scores = {n: scaled(quality(n, output, item_input), lo, hi) for n, lo, hi in criteria}
        notes = ", ".join(f"{name} {score}" for name, score in scores.items())
        return json.dumps({"rationale": f"Local heuristic judge: {notes}.", "scores": scores})

    def _pairwise(self, names: list[str], item: str) -> str:
        first, second = _tag(item, "response_a") or "", _tag(item, "response_b") or ""
        item_input = _tag(item, "input") or ""
        verdicts = {}
        for name in names:
            if _digest("bias", name, first, second) / 2**64 < self.position_bias:
                verdicts[name] = "A"
                continue
            a, b = quality(name, first, item_input), quality(name, second, item_input)
            verdicts[name] = "A" if a > b else "B" if b > a else "tie"
        notes = ", ".join(f"{name} {verdict}" for name, verdict in verdicts.items())
        return json.dumps({"rationale": f"Local heuristic judge: {notes}.", "verdicts": verdicts})


def completion(body: Mapping[str, Any], content: str) -> dict[str, Any]:
    """Return an OpenAI chat completion object; token counts are whitespace word counts."""
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    words, finish = content.split(), "stop"
    if isinstance(limit, int) and 0 < limit < len(words):
        content, finish = " ".join(words[:limit]), "length"
    prompt = sum(len(str(m.get("content", "")).split()) for m in body.get("messages", []))
    produced = len(content.split())
    return {
        "id": f"chatcmpl-{_digest(json.dumps(body, sort_keys=True), content):016x}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", ""),
        "choices": [
            {
                "index": 0,
                "finish_reason": finish,
                "logprobs": None,
                "message": {"role": "assistant", "content": content, "refusal": None},
            }
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": produced,
            "total_tokens": prompt + produced,
        },
    }


def _error_body(status: int, message: str) -> dict[str, Any]:
    """Return an OpenAI-shaped error body."""
    kind = "invalid_request_error"
    if status == 429 or status >= 500:
        kind = "rate_limit_error" if status == 429 else "server_error"
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def _handler_for(server: LocalOpenAIServer) -> type[BaseHTTPRequestHandler]:
    """Return a request handler class bound to ``server``."""

    class Handler(BaseHTTPRequestHandler):
        # Headers and body go out in separate writes; with Nagle on, the client's delayed ACK
        # adds ~40 ms to every call.
        disable_nagle_algorithm = True
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            if server.verbose:
                sys.stderr.write(f"{self.address_string()} {format % args}\n")

        def send(
            self,
            status: int,
            payload: bytes,
            headers: Mapping[str, str] | None = None,
            *,
            declared: int | None = None,
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(declared or len(payload)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def send_json(
            self, status: int, data: Any, headers: Mapping[str, str] | None = None
        ) -> None:
            self.send(status, json.dumps(data).encode("utf-8"), headers)

        def do_GET(self) -> None:
            server.record(RecordedRequest("GET", self.path, None, time.time()))
            if self.path.rstrip("/").endswith("/v1/models"):
                models = [
                    {"id": m, "object": "model", "created": 0, "owned_by": "local"} for m in MODELS
                ]
                self.send_json(200, {"object": "list", "data": models})
            else:
                self.send_json(404, _error_body(404, f"no route {self.path}"))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            headers = {k: v for k, v in self.headers.items() if k.lower() != "authorization"}
            server.record(RecordedRequest("POST", self.path, body, time.time(), headers))
            if not self.path.rstrip("/").endswith("/chat/completions"):
                return self.send_json(404, _error_body(404, f"no route {self.path}"))
            if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
                return self.send_json(400, _error_body(400, "body must be JSON with messages"))
            if server.api_key and self.headers.get("Authorization") != f"Bearer {server.api_key}":
                return self.send_json(401, _error_body(401, "invalid API key"))
            server.enter()
            try:
                self.complete(body)
            finally:
                server.leave()
            return None

        def complete(self, body: dict[str, Any]) -> None:
            fault = server.next_fault(str(body.get("model", "")))
            if server.latency:
                server.pause(server.latency)
            if fault.kind.isdigit():
                headers = {}
                if fault.retry_after is not None:
                    headers["Retry-After"] = fault.retry_after
                if fault.retry_after_ms is not None:
                    headers["retry-after-ms"] = str(fault.retry_after_ms)
                status = int(fault.kind)
                return self.send_json(status, _error_body(status, f"scripted {status}"), headers)
            if fault.kind == "reset":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return None
            if fault.kind == "timeout":
                server.pause(fault.delay if fault.delay is not None else server.timeout_delay)
            content = {
                "malformed_json": 'Here you go: {"scores": {fluency: 4, "relevance": ',
                "wrong_schema": '{"score": 4, "comment": "fine overall"}',
            }.get(fault.kind) or server.answer(body)
            data = completion(body, content)
            if fault.kind == "empty_choices":
                data["choices"] = []
            payload = json.dumps(data).encode("utf-8")
            if fault.kind == "invalid_body":
                return self.send(200, b"<html><body>502 Bad Gateway</body></html>")
            if fault.kind == "truncated_json":
                return self.send(200, payload[: len(payload) // 2])
            if fault.kind == "truncated":
                self.close_connection = True
                return self.send(200, payload[: len(payload) // 2], declared=len(payload))
            return self.send(200, payload)

    return Handler


def main(argv: list[str] | None = None) -> None:
    """Serve forever on the given port, logging requests to stderr."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8011)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--position-bias", type=float, default=0.0)
    parser.add_argument(
        "--fault-rate",
        action="append",
        default=[],
        metavar="KIND=RATE",
        help="inject a fault at random, e.g. 429=0.1 (repeatable)",
    )
    args = parser.parse_args(argv)
    rates = {kind: float(rate) for kind, _, rate in (f.partition("=") for f in args.fault_rate)}
    for kind in rates:
        Fault(kind)
    server = LocalOpenAIServer(
        args.host,
        args.port,
        latency=args.latency_ms / 1000,
        position_bias=args.position_bias,
        fault_rates=rates,
        verbose=True,
    )
    sys.stderr.write(f"serving OpenAI-compatible API at {server.base_url}\n")
    server.serve_forever()


if __name__ == "__main__":
    main()
