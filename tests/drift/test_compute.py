"""Drift reports computed from outputs in the database: what they find, and what they read."""

from __future__ import annotations

import re
from datetime import timedelta

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from llmops_core.models import JobStatus, Project, ReportKind
from llmops_core.services.drift import drift_report_compute, drift_report_request
from tests.drift.builders import NOW, outputs_between, weeks_spec

pytestmark = pytest.mark.django_db


def _computed(project: Project, **after: float):
    rng = np.random.default_rng(5)
    outputs_between(project, since=NOW - timedelta(days=14), n=400, rng=rng, prefix="b")
    outputs_between(project, since=NOW - timedelta(days=7), n=400, rng=rng, prefix="a", **after)
    report, created = drift_report_request(project=project, requested_by=None, spec=weeks_spec())
    assert created and report.kind == ReportKind.DRIFT
    done = drift_report_compute(report_id=report.pk)
    assert done is not None and done.status == JobStatus.SUCCEEDED, done and done.error
    return done


def test_longer_outputs_and_more_refusals_are_reported_in_words(project: Project) -> None:
    done = _computed(project, scale=1.3, refusal_share=0.2)
    signals = done.results["drift"]["signals"]
    assert signals["output_length"]["drifted"] is True
    assert signals["refusal_rate"]["drifted"] is True
    assert signals["refusal_rate"]["mean_before"] == 0
    assert signals["input_length"]["drifted"] is False
    assert any(s.startswith("Outputs got") for s in done.results["sentences"])
    assert any(s.startswith("Refusals rose from 0.0%") for s in done.results["sentences"])
    assert done.results["windows"]["after"]["n"] == 400
    assert done.progress == 1.0


def test_no_change_reports_nothing_drifted(project: Project) -> None:
    done = _computed(project)
    drifted = [n for n, s in done.results["drift"]["signals"].items() if s["drifted"]]
    assert drifted == []
    assert done.results["headline"].endswith("no signal drifted.")
    reasons = {u["signal"]: u["reason"] for u in done.results["undefined"]}
    assert "nothing varies" in reasons["cost"]  # every cost is 0.001: undefined, not 0


def test_texts_are_read_only_for_the_capped_vocabulary_sample(project: Project) -> None:
    """The window's numbers come from one query with LENGTH; texts only for the sample."""
    rng = np.random.default_rng(5)
    outputs_between(project, since=NOW - timedelta(days=14), n=300, rng=rng, prefix="b")
    outputs_between(project, since=NOW - timedelta(days=7), n=300, rng=rng, prefix="a")
    report, _ = drift_report_request(project=project, requested_by=None, spec=weeks_spec())
    with pytest.MonkeyPatch.context() as monkey:
        monkey.setattr("llmops_core.services.drift.compute.VOCABULARY_SAMPLE", 50)
        with CaptureQueriesContext(connection) as queries:
            done = drift_report_compute(report_id=report.pk)
    assert done is not None and done.status == JobStatus.SUCCEEDED
    selects = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("SELECT")]
    bare = [
        sql
        for sql in selects
        if re.search(r'"output_text"(?!\s*\)|\s*,\s*1\s*,|\s*LIKE)', re.sub(r"\s+", " ", sql))
    ]
    assert bare == []
    sampled = [sql for sql in selects if "SUBSTR" in sql.upper()]
    assert sampled  # the vocabulary sample, 50 outputs a window, in one chunk each
    assert done.results["drift"]["signals"]["vocabulary"]["n_before"] == 50
