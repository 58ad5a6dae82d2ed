"""One prompt under 100 concurrent writers, on PostgreSQL: no deadlock, so no 503.

Comparisons, scorecards, label moves (production and staging) and new versions each lock rows
of the same template; taken in different orders they deadlock and PostgreSQL aborts one of the
transactions (answered 503). Every writer now locks the template row first, so they queue.
The 100 requests go through 32 threads started together (each its own database connection,
like 32 busy gunicorn threads); more would exhaust the server's connection slots.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest
from rest_framework.test import APIClient

from llmops_core.models import Promotion, PromptLabel, PromptVersion, Report, Role
from llmops_core.services.gates import release_gate_update
from llmops_core.services.prompts import prompt_label_set
from tests.concurrency.test_claims import run_threads
from tests.versions.helpers import make_versions

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REQUESTS = 100
THREADS = 32
VERSIONS = 4
BASE = "/api/projects/{slug}/prompts/support/"


def _request(i: int, rng: random.Random) -> tuple[str, str, dict[str, Any]]:
    """Return the i-th request: (verb, path under the template, body), four kinds in turn."""
    a, b = rng.sample(range(1, VERSIONS + 1), 2)
    kind = i % 4
    if kind == 0:
        return "post", f"versions/{a}/comparison/", {"baseline": b}
    if kind == 1:
        return "post", f"versions/{a}/scorecard/", {}
    if kind == 2:
        label = "production" if i % 8 == 2 else "staging"
        return "put", f"labels/{label}/", {"version": a}
    text = f"Answer {{{{ question }}}} (concurrent {i})."
    return "post", "versions/", {"template_text": text, "model_name": "local-generator"}


def test_concurrent_prompt_writers_never_deadlock(project: Any, make_member: Any) -> None:
    admin = make_member(Role.ADMIN, "the-admin")
    versions = make_versions(project, VERSIONS)
    prompt_label_set(version=versions[0], label="production", actor=admin)
    prompt_label_set(version=versions[1], label="staging", actor=admin)
    release_gate_update(project=project, rules=[], actor=admin)  # production moves pass the gate
    base = BASE.format(slug=project.slug)
    rng = random.Random(12)
    requests = [_request(i, rng) for i in range(REQUESTS)]

    def send(thread: int) -> list[tuple[int, tuple[int, str]]]:
        client = APIClient()
        client.force_authenticate(user=admin)
        answers = []
        for i in range(thread, REQUESTS, THREADS):
            verb, path, body = requests[i]
            response = getattr(client, verb)(base + path, body, format="json")
            detail = response.json().get("detail", "") if response.status_code >= 400 else ""
            answers.append((i, (response.status_code, str(detail))))
        return answers

    answered = dict(pair for pairs in run_threads(THREADS, send) for pair in pairs)
    results = [answered[i] for i in range(REQUESTS)]

    failures = [(requests[i], r) for i, r in enumerate(results) if r[0] >= 500]
    assert failures == [], f"{len(failures)} of {REQUESTS} failed: {failures[:5]}"
    # The only refusal allowed: a label moved to the version it already points at.
    refused = [r for r in results if r[0] >= 400]
    assert all("is already the" in detail for _, detail in refused), refused
    codes = Counter(code for code, _ in results)
    assert codes[202] == REQUESTS // 2  # every comparison and scorecard was accepted
    assert codes[201] == REQUESTS // 4  # every new version was created
    # Versions are numbered without gaps or duplicates; every accepted move was recorded.
    numbers = sorted(PromptVersion.objects.filter(template__project=project).values_list("number"))
    assert [n for (n,) in numbers] == list(range(1, VERSIONS + REQUESTS // 4 + 1))
    moves = sum(1 for i, (code, _) in enumerate(results) if i % 4 == 2 and code == 200)
    assert Promotion.objects.filter(template__project=project).count() == 2 + moves
    assert PromptLabel.objects.filter(template__project=project).count() == 2
    # A report asked for twice while pending is one report: no duplicate slipped in between.
    pending = Report.objects.filter(project=project).values_list(
        "kind", "subject_version_id", "baseline_version_id"
    )
    assert max(Counter(pending).values()) == 1
