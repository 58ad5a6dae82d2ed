"""The calibration endpoints answer what the OpenAPI schema says (checked by schemathesis)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from werkzeug.test import Client

from llmops_core.models import Project
from llmops_core.services.tokens import token_create
from tests.annotate.calibration_world import (
    default_rubric,
    human_scores,
    judge_scores,
    make_judge,
    make_version,
    version_outputs,
)

pytestmark = pytest.mark.django_db


def test_calibration_endpoints_answer_within_the_schema(
    wsgi_app: WSGIHandler, project: Project, lead: Any, reviewer: Any
) -> None:
    version = make_version(project, 30)
    judge = make_judge(project)
    outputs = version_outputs(version)
    judge_scores(judge, outputs, [1 + i % 5 for i in range(30)])
    judge_scores(judge, outputs[:10], [1 + (i + 1) % 5 for i in range(10)])
    rng = np.random.default_rng(1)
    human_scores(project, outputs[:12], [int(rng.integers(1, 6)) for _ in range(12)], reviewer)
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)
    _, key = token_create(user=lead, name="schema")
    client = Client(wsgi_app)
    headers = {"Authorization": f"Token {key}", "Host": "localhost"}
    base = f"/api/projects/{project.slug}/"

    def check(method: str, path: str, status: int, **options: Any) -> Any:
        response = client.open(base + path, method=method, headers=headers, **options)
        assert response.status_code == status, response.get_data()[:300]
        operation = schema.find_operation_by_path(method, base + path)
        assert operation is not None
        operation.validate_response(response)
        return json.loads(response.get_data())

    plan = {
        "prompt_version_id": version.pk,
        "judge_version_id": judge.pk,
        "criterion": "fluency",
        "budget": 8,
        "sampling": "active",
    }
    preview = check("GET", "calibration-queues/preview/", 200, query_string=plan)
    assert preview["forecast"]["reason"] is None and preview["uncertainty_source"] == "repeats"
    body = {**plan, "name": "cal", "rubric_version_id": default_rubric(project).pk, "seed": 4}
    created = check("POST", "calibration-queues/", 201, json=body)
    assert created["sampling"] == "active" and created["sample_frame"] == 30
    check("POST", "calibration-queues/", 400, json={**body, "budget": 31})
    curves = check("GET", f"judges/{judge.config.name}/calibration/", 200)
    assert curves["criteria"]["fluency"]["n_rated"] == 12
