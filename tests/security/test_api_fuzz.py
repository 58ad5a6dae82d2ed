"""Schemathesis over our own OpenAPI schema: every operation, generated requests, the full stack.

The schema is fetched from the app itself and every request goes through Django's WSGI handler
in this process (no network), authenticated as the lead of the seeded demo project. Path
parameters are mostly real objects of that project, so requests get past 404 into the views'
validation and services. For every response we require: no 5xx; a status code and body the
schema documents (schemathesis' conformance checks); a 4xx for a request outside the schema
(a value past a documented bound, say); and for every 4xx a JSON body whose "detail" says
what went wrong (the Langfuse-compatible API under /api/public/: its "message", as Langfuse
answers, sent with an ingest key of the project; the OTLP receivers: a google.rpc.Status).
Generation is derandomized, so CI runs the same requests.

Inputs that only PostgreSQL refuses are sent on purpose, so the run finds them: keyset cursors
(the schema gives them a format, built here as the API builds them, around positions that are
sometimes not ids); integers at their documented bounds (schemathesis) and past them; and
for each operation, one request that succeeded is sent again once per field with a NUL in it or
a number past the smallint and integer ranges (``fuzz_variants``). The test runs on SQLite and
on PostgreSQL (``both_backends``).
"""

from __future__ import annotations

import base64
import contextlib
import io
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.handlers.wsgi import WSGIHandler
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.test import Client

from annotate.models import Annotation, Queue
from annotate.services.demo import DEMO_SLUG, demo_seed
from llmops_core.models import (
    AlertRule,
    ApiToken,
    Dataset,
    ExportJob,
    GenerationRun,
    ImportJob,
    JudgeConfig,
    JudgeRun,
    ModelOutput,
    Promotion,
    Report,
    ReportKind,
    Rubric,
)
from llmops_core.services.ingest_keys import ingest_key_create
from llmops_core.services.tokens import token_create
from tests.security.fuzz_variants import cursor, variants

pytestmark = [pytest.mark.slow, pytest.mark.both_backends]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# Examples per operation: valid requests on real objects, then invalid ones (schemathesis'
# negative mode: wrong types, missing fields, bad query values) on the same objects.
# The Langfuse-compatible prompt API: ingest key auth, Langfuse's error shape.
LANGFUSE_PREFIX = "/api/public/"
POSITIVE_EXAMPLES = 3
NEGATIVE_EXAMPLES = 2
# The run's budget in CPU seconds of this process, which a loaded machine does not inflate
# (wall time does): 524 requests took 9-12 s (28-31 s of wall time on an idle machine, on
# SQLite and on PostgreSQL). A run over it means the generation grew.
CPU_LIMIT_SECONDS = 60
# Keyset cursors as the API builds them (base64 of "p=<position>&r=<0|1>&o=<offset>"),
# around positions that are ids and positions that are not, plus text that is no cursor.
_POSITIONS = st.one_of(st.integers(min_value=-1, max_value=10**20).map(str), st.text(max_size=8))
CURSORS = st.one_of(
    st.builds(
        lambda p, r, o: cursor(f"p={p}&r={r}&o={o}"),
        _POSITIONS,
        st.sampled_from("01"),
        st.sampled_from(["0", "3"]),
    ),
    st.text(max_size=12),
)
schemathesis.openapi.format("keyset-cursor", CURSORS)


@dataclass
class World:
    """The seeded project, the lead's token and a real value for each path parameter."""

    token: ApiToken
    key: str
    ingest_secret: str
    ingest_auth: str
    values: dict[tuple[str, str], Any] = field(default_factory=dict)

    def headers(self, path: str) -> dict[str, str]:
        """Return the credentials an operation takes: the ingest key under /api/public/."""
        if path in OTLP_PATHS:
            return {"Authorization": f"Bearer {self.ingest_secret}"}
        if path.startswith(LANGFUSE_PREFIX):
            return {"Authorization": self.ingest_auth}
        return {"Authorization": f"Token {self.key}"}

    def path_parameters(self, path: str) -> dict[str, Any]:
        """Return real values for the parameters of an operation path like /queues/{id}/."""
        segments = path.strip("/").split("/")
        found: dict[str, Any] = {}
        for before, segment in itertools.pairwise(segments):
            if segment.startswith("{"):
                name = segment[1:-1]
                value = self.values.get((before, name))
                if value is not None:
                    found[name] = value
        return found


def _post(app: WSGIHandler, key: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = Client(app).post(
        path, json=body, headers={"Authorization": f"Token {key}", "Host": "localhost"}
    )
    assert response.status_code < 300, (path, response.status_code, response.get_data())
    return json.loads(response.get_data())


@pytest.fixture
def fuzz_world(db: None, wsgi_app: WSGIHandler) -> World:
    """Seed the demo project and make one object of each kind the endpoints address."""
    summary = demo_seed()
    project = summary.project
    lead = get_user_model().objects.get(username="lead")
    token, key = token_create(user=lead, name="fuzz")
    spare, _ = token_create(user=lead, name="fuzz-revocable")
    ingest_key, ingest_secret = ingest_key_create(project=project, name="fuzz")
    base = f"/api/projects/{DEMO_SLUG}/"
    queue = Queue.objects.get(project=project)
    judge = JudgeConfig.objects.filter(project=project).first()
    assert judge is not None
    _post(wsgi_app, key, base + "exports/", {"kind": "ratings", "format": "jsonl"})
    _post(wsgi_app, key, base + "reports/", {"queue_id": queue.pk})
    _post(
        wsgi_app,
        key,
        base + "judge-runs/",
        {"judge_version": judge.versions.order_by("pk").first().pk, "queue_id": queue.pk},
    )
    _import_one(wsgi_app, key, base)
    version = project.prompt_templates.get(name="support-reply").versions.get(number=1)
    dataset = Dataset.objects.filter(project=project).first()
    assert dataset is not None
    _post(
        wsgi_app,
        key,
        base + "generation-runs/",
        {"version_id": version.pk, "dataset_id": dataset.pk},
    )

    def first(model: Any, **filters: Any) -> int | None:
        return model.objects.filter(**filters).order_by("pk").values_list("pk", flat=True).first()

    in_project = {"project": project}
    alert_rule = AlertRule.objects.create(
        project=project, name="fuzz", metric="requests", window_seconds=3600, alert_threshold=1
    )
    now = timezone.now()
    alert_event = alert_rule.events.create(
        from_state="ok", to_state="alert", window_start=now, window_end=now
    )
    values: dict[tuple[str, str], Any] = {
        ("projects", "project_slug"): DEMO_SLUG,
        ("prompts", "name"): "support-reply",
        ("versions", "number"): 1,
        ("versions", "version"): 1,
        ("labels", "label"): "production",
        ("judges", "name"): judge.name,
        ("queues", "id"): queue.pk,
        ("items", "item_id"): queue.items.order_by("pk").values_list("pk", flat=True).first(),
        ("annotations", "id"): first(Annotation, item__queue=queue),
        ("outputs", "id"): first(ModelOutput, **in_project),
        ("datasets", "id"): dataset.pk,
        ("exports", "id"): first(ExportJob, **in_project),
        ("imports", "id"): first(ImportJob, **in_project),
        ("judge-runs", "id"): first(JudgeRun, **in_project),
        ("generation-runs", "id"): first(GenerationRun, **in_project),
        ("reports", "id"): first(Report, kind=ReportKind.AGREEMENT, **in_project),
        ("judge-reports", "id"): first(Report, kind=ReportKind.JUDGE_COMPARISON, **in_project),
        ("version-reports", "id"): first(Report, kind=ReportKind.SCORECARD, **in_project),
        ("promotions", "id"): first(Promotion, template__project=project),
        ("rubrics", "id"): first(Rubric, **in_project),
        ("tokens", "id"): spare.pk,
        ("ingest-keys", "id"): ingest_key.pk,
        ("alert-rules", "id"): alert_rule.pk,
        ("alerts", "id"): alert_event.pk,
    }
    missing = sorted(f"{a}/{{{b}}}" for (a, b), v in values.items() if v is None)
    # A judge report needs a finished judge run; every other kind must exist.
    assert missing in ([], ["judge-reports/{id}"]), f"the fixture made no object for {missing}"
    pair = base64.b64encode(f"{ingest_key.public_key}:{ingest_secret}".encode()).decode()
    return World(
        token=token,
        key=key,
        ingest_secret=ingest_secret,
        ingest_auth=f"Basic {pair}",
        values=values,
    )


def _import_one(app: WSGIHandler, key: str, base: str) -> None:
    row = {"external_id": "fuzz-1", "input": "hello", "output": "hi"}
    response = Client(app).post(
        base + "imports/",
        data={"file": (io.BytesIO(json.dumps(row).encode() + b"\n"), "rows.jsonl")},
        headers={"Authorization": f"Token {key}", "Host": "localhost"},
    )
    assert response.status_code == 202, response.get_data()


# The OTLP trace receivers take an ingest key and answer errors as OTLP/HTTP does: a
# google.rpc.Status ({"code", "message"}) in the request's encoding, not {"detail"}.
OTLP_PATHS = ("/v1/traces", "/api/public/otel/v1/traces")


def _otlp_error_problem(response: Any) -> str | None:
    from google.rpc import status_pb2

    if response.headers.get("Content-Type") == "application/x-protobuf":
        message = status_pb2.Status.FromString(response.content).message
    else:
        body = json.loads(response.content)
        message = body.get("message") or body.get("detail")
    return None if message else f"{response.status_code} OTLP error without a message"


def _error_body_problem(response: Any, path: str) -> str | None:
    """Return why a 4xx body is not a JSON object with a "detail" sentence, or None.

    Under /api/public/ the sentence is Langfuse's "message", next to its "error"; the OTLP
    receivers answer a google.rpc.Status.
    """
    if not 400 <= response.status_code < 500:
        return None
    if path in OTLP_PATHS:
        return _otlp_error_problem(response)
    try:
        body = json.loads(response.content)
    except ValueError:
        return f"{response.status_code} body is not JSON: {response.content[:120]!r}"
    langfuse = path.startswith(LANGFUSE_PREFIX)
    name = "message" if langfuse else "detail"
    detail = body.get(name) if isinstance(body, dict) else None
    if not isinstance(detail, str) or not detail.strip():
        return f'{response.status_code} body has no "{name}" message: {str(body)[:160]}'
    if langfuse and "error" not in body:
        return f'{response.status_code} body has no Langfuse "error": {str(body)[:160]}'
    return None


@dataclass
class Findings:
    """What the fuzzing saw: problems to report, and the status codes each operation gave."""

    problems: set[str] = field(default_factory=set)
    statuses: dict[str, set[int]] = field(default_factory=dict)
    pushed: set[str] = field(default_factory=set)  # operations whose variants were sent
    requests: int = 0


def _run(
    operation: Any, strategy: Any, examples: int, world: World, found: Findings, push: bool = False
) -> None:
    headers = world.headers(operation.path)

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def check(case: Any) -> None:
        response = _send(case, operation, world, found, headers, "")
        if push and response.status_code < 300 and operation.label not in found.pushed:
            found.pushed.add(operation.label)
            _push(case, operation, world, found, headers)

    # In negative mode an operation may have nothing that can be made invalid.
    with contextlib.suppress(Unsatisfiable):
        check()


def _push(
    case: Any, operation: Any, world: World, found: Findings, headers: dict[str, str]
) -> None:
    """Send a request that succeeded again once per field, pushed where PostgreSQL refuses."""
    for variant in variants(case, operation):
        original = getattr(case, variant.part)
        setattr(case, variant.part, variant.value)
        try:
            what = f" ({variant.part} {variant.field} pushed)"
            response = _send(case, operation, world, found, headers, what)
        finally:
            setattr(case, variant.part, original)
        if variant.must_refuse and response.status_code < 400:
            found.problems.add(
                f"{operation.label}{what} -> {response.status_code}: a value past the "
                "documented maximum was accepted"
            )


def _send(
    case: Any, operation: Any, world: World, found: Findings, headers: dict[str, str], what: str
) -> Any:
    response = case.call(headers=headers)
    found.requests += 1
    # The fuzzing may revoke its own token through DELETE /api/tokens/{id}/.
    ApiToken.objects.filter(pk=world.token.pk).update(revoked_at=None)
    found.statuses.setdefault(operation.label, set()).add(response.status_code)
    label = f"{operation.label}{what} -> {response.status_code}"
    try:
        case.validate_response(response, checks=CHECKS)
    except (AssertionError, BaseExceptionGroup) as exc:
        for failure in getattr(exc, "exceptions", [exc]):
            title = getattr(failure, "title", type(failure).__name__)
            message = " ".join(str(getattr(failure, "message", failure)).split())
            found.problems.add(f"{label}: {title}: {message[:240]} | {response.text[:160]}")
    problem = _error_body_problem(response, operation.path)
    if problem:
        found.problems.add(f"{label}: {problem}")
    return response


def test_every_operation_answers_within_its_schema(
    fuzz_world: World, wsgi_app: WSGIHandler
) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 80, "the schema lost most of its operations"
    found = Findings()
    started = time.process_time()
    for operation in operations:
        real = fuzz_world.path_parameters(operation.path)
        positive = operation.as_strategy(
            generation_mode=GenerationMode.POSITIVE, path_parameters=real
        )
        _run(operation, positive, POSITIVE_EXAMPLES, fuzz_world, found, push=True)
        # Invalid bodies and query strings on real objects: validation must answer 4xx. (With
        # nothing else to break, schemathesis would spend seconds failing to negate the fixed
        # path; malformed paths are test_api_errors' business.)
        if len(operation.query) or len(operation.body):
            negative = operation.as_strategy(
                generation_mode=GenerationMode.NEGATIVE, path_parameters=real
            )
            _run(operation, negative, NEGATIVE_EXAMPLES, fuzz_world, found)
    elapsed = time.process_time() - started
    print(f"fuzzing: {found.requests} requests, {elapsed:.0f} s of CPU")  # shown with -s
    problems = sorted(found.problems)
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)
    assert elapsed < CPU_LIMIT_SECONDS, f"{found.requests} requests took {elapsed:.0f} s of CPU"
    # The pushed variants must reach most operations, or they would find nothing.
    assert len(found.pushed) >= 0.5 * len(operations), len(found.pushed)
    # The requests must reach real objects, not stop at 404: most operations succeed sometimes.
    succeeded = [label for label, codes in found.statuses.items() if min(codes) < 300]
    assert len(succeeded) >= 0.6 * len(operations), sorted(set(found.statuses) - set(succeeded))
