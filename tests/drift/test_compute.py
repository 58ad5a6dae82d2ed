"""Drift reports computed from outputs in the database: what they find, and what they read."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from llmops_core.models import JobStatus, Project, Report, ReportKind
from llmops_core.services.drift import DriftSpec, drift_report_compute, drift_report_request
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


def test_the_schedule_asks_once_per_project_and_week(project: Project) -> None:
    from llmops_core.services.drift import drift_reports_schedule
    from tests.factories import ProjectFactory

    quiet = ProjectFactory()  # no outputs last week: no report
    rng = np.random.default_rng(6)
    monday = NOW - timedelta(days=NOW.weekday())
    outputs_between(project, since=monday - timedelta(days=7), n=20, rng=rng, prefix="a")
    first = drift_reports_schedule(now=NOW)
    assert len(first) == 1
    assert drift_reports_schedule(now=NOW + timedelta(days=3)) == []  # same week
    report = Report.objects.get(pk=first[0])
    assert report.project_id == project.pk and report.project_id != quiet.pk
    spec = report.parameters["spec"]
    assert spec["after"]["until"].startswith(monday.date().isoformat())
    Report.objects.filter(pk=report.pk).update(status=JobStatus.FAILED)
    assert len(drift_reports_schedule(now=NOW)) == 1  # a failed week is asked again
    outputs_between(project, since=monday, n=20, rng=rng, prefix="c")
    assert len(drift_reports_schedule(now=NOW + timedelta(days=7))) == 1  # the next week


def test_a_double_request_returns_the_same_report(project: Project) -> None:
    first, created = drift_report_request(project=project, requested_by=None, spec=weeks_spec())
    again, created_again = drift_report_request(
        project=project, requested_by=None, spec=weeks_spec()
    )
    assert created and not created_again and again.pk == first.pk


def test_version_a_against_version_b_compares_each_windows_version(project: Project) -> None:
    from tests.versions.helpers import make_versions

    v1, v2 = make_versions(project, count=2)
    rng = np.random.default_rng(8)
    since = NOW - timedelta(days=7)
    outputs_between(project, since=since, n=200, rng=rng, prefix="x", version=v1)
    outputs_between(project, since=since, n=200, rng=rng, prefix="y", version=v2, scale=1.4)
    window = weeks_spec().after
    spec = DriftSpec(
        before=replace(window, prompt_version_id=v1.pk),
        after=replace(window, prompt_version_id=v2.pk),
    )
    report, _ = drift_report_request(project=project, requested_by=None, spec=spec)
    done = drift_report_compute(report_id=report.pk)
    assert done is not None and done.status == JobStatus.SUCCEEDED, done and done.error
    assert done.results["windows"]["before"]["n"] == 200
    assert done.results["drift"]["signals"]["output_length"]["drifted"] is True
    assert done.results["headline"].startswith("support v2 against support v1: Outputs got")


def test_human_and_judge_scores_drift_per_criterion_and_the_judge_agrees(
    project: Project,
) -> None:
    from tests.reports.builders import rated_queue
    from tests.versions.helpers import judge_scores

    rng = np.random.default_rng(11)
    before = outputs_between(project, since=NOW - timedelta(days=14), n=150, rng=rng, prefix="b")
    after = outputs_between(project, since=NOW - timedelta(days=7), n=150, rng=rng, prefix="a")
    high = rng.choice([3, 4, 5], 150, p=[0.2, 0.4, 0.4])
    low = rng.choice([2, 3, 4], 150, p=[0.4, 0.4, 0.2])
    scores = np.concatenate([high, low]).tolist()
    rated_queue(project, [scores], outputs=[*before, *after], criteria=("relevance",))
    judge_scores(
        project, {o: {"relevance": int(s)} for o, s in zip([*before, *after], scores, strict=True)}
    )
    report, _ = drift_report_request(project=project, requested_by=None, spec=weeks_spec())
    done = drift_report_compute(report_id=report.pk)
    assert done is not None and done.status == JobStatus.SUCCEEDED, done and done.error
    signals = done.results["drift"]["signals"]
    assert signals["score:relevance"]["n_before"] == 150 and signals["score:relevance"]["drifted"]
    assert signals["judge:relevance"]["drifted"] is True
    assert done.results["judge_notes"] == {"relevance": "the judge agrees"}
    sentence = next(s for s in done.results["sentences"] if s.startswith("Scores for"))
    assert sentence.endswith("; the judge agrees.") and "fell from" in sentence


def test_more_thumbs_down_from_end_users_is_a_drift_signal(project: Project) -> None:
    from llmops_core.models import Feedback, FeedbackKind, FeedbackSource

    rng = np.random.default_rng(9)
    outputs_between(project, since=NOW - timedelta(days=14), n=400, rng=rng, prefix="b")
    after = outputs_between(project, since=NOW - timedelta(days=7), n=400, rng=rng, prefix="a")
    Feedback.objects.bulk_create(
        Feedback(
            project=project,
            output_id=o.pk,
            kind=FeedbackKind.THUMBS,
            thumb=False,
            source=FeedbackSource.API,
            client_id=f"fb-{o.pk}",
        )
        for o in after[:120]
    )
    report, _ = drift_report_request(project=project, requested_by=None, spec=weeks_spec())
    done = drift_report_compute(report_id=report.pk)
    assert done is not None and done.status == JobStatus.SUCCEEDED, done and done.error
    signal = done.results["drift"]["signals"]["feedback_down_rate"]
    assert signal["drifted"] is True
    assert signal["mean_before"] == 0 and signal["mean_after"] == pytest.approx(0.3)
    assert any(s.startswith("Thumbs down from end users rose") for s in done.results["sentences"])
