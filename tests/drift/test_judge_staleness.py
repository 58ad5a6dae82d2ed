"""Judge re-checks: a judge whose agreement with humans falls is flagged, a steady one is not."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from scipy import stats

from llmops_core.metrics.judge_staleness import Drop, agreement_drops, spearman_drop_test
from llmops_core.models import JobStatus, JudgeVersion, ModelOutput, Project, Report, ReportKind
from llmops_core.selectors.drift_judges import judge_stale_reasons
from llmops_core.services.comparisons import version_report_compute
from llmops_core.services.drift.judges import (
    judge_staleness_compute,
    judge_staleness_request,
    judge_staleness_schedule,
)
from llmops_core.services.scorecards import scorecard_request
from tests.factories import ModelOutputFactory
from tests.reports.builders import rated_queue
from tests.versions.helpers import judge_scores, make_outputs, make_versions

N = 80


def _setup(
    project: Project, *, degrade: bool, seed: int = 1, outputs: list[ModelOutput] | None = None
) -> JudgeVersion:
    """Ratings of N outputs 30 days ago and N outputs 3 days ago; the judge follows the humans
    closely on both, or only on the earlier ones when ``degrade``."""
    rng = np.random.default_rng(seed)
    now = timezone.now()
    outputs = outputs or [ModelOutputFactory(project=project) for _ in range(2 * N)]
    humans = rng.integers(1, 6, 2 * N)
    close = np.clip(humans + rng.choice([-1, 0, 0, 0, 1], 2 * N), 1, 5)
    judge = close.copy()
    if degrade:
        judge[N:] = rng.integers(1, 6, N)
    when = [now - timedelta(days=30)] * N + [now - timedelta(days=3)] * N
    rated_queue(project, [humans.tolist()], outputs=outputs, when=when)
    run = judge_scores(
        project, {o: {"fluency": int(s)} for o, s in zip(outputs, judge, strict=True)}
    )
    return run.judge_version


def _check(version: JudgeVersion) -> Report:
    report, created = judge_staleness_request(judge_version=version)
    assert created
    done = judge_staleness_compute(report_id=report.pk)
    assert done is not None and done.status == JobStatus.SUCCEEDED, done and done.error
    return done


@pytest.mark.django_db
def test_a_judge_that_degrades_is_flagged_with_the_numbers(project: Project) -> None:
    done = _check(_setup(project, degrade=True))
    fluency = next(c for c in done.results["criteria"] if c["criterion"] == "fluency")
    assert fluency["fell"] is True and fluency["earlier"] - fluency["recent"] > 0.3
    assert fluency["n_earlier"] == N and fluency["n_recent"] == N
    assert done.results["degraded"] is True
    (reason,) = done.results["reasons"]
    assert reason.startswith('judge judge v1\'s agreement with humans on "fluency" fell from')
    assert judge_stale_reasons(judge_version_ids=[done.parameters["judge_version_id"]])


@pytest.mark.django_db
def test_a_steady_judge_is_not_flagged(project: Project) -> None:
    done = _check(_setup(project, degrade=False))
    assert done.results["degraded"] is False and done.results["reasons"] == []
    assert all(c["fell"] is False for c in done.results["criteria"] if c["p_value"] is not None)


@pytest.mark.django_db
def test_scorecards_that_use_a_degraded_judge_say_why_they_are_stale(
    project: Project, lead: object
) -> None:
    (prompt,) = make_versions(project, count=1)
    version = _setup(project, degrade=True, outputs=make_outputs(project, prompt, 2 * N))
    report, _ = scorecard_request(version=prompt)
    assert version_report_compute(report_id=report.pk).status == JobStatus.SUCCEEDED
    client = Client()
    client.force_login(lead)  # type: ignore[arg-type]
    url = reverse("version-scorecard", args=[project.slug, prompt.template.name, prompt.number])
    assert b'data-testid="judge-stale"' not in client.get(url).content
    _check(version)
    page = client.get(url).content.decode()
    assert 'data-testid="judge-stale"' in page
    assert "judge judge v1&#x27;s agreement with humans on &quot;fluency&quot; fell from" in page


def test_the_drop_test_is_fisher_z_with_the_bonett_wright_variance() -> None:
    """Oracle: z from atanh and scipy's normal tail, by hand."""
    z, p = spearman_drop_test(0.71, 200, 0.52, 180)
    se = np.sqrt((1 + 0.71**2 / 2) / 197 + (1 + 0.52**2 / 2) / 177)
    expected = (np.arctanh(0.71) - np.arctanh(0.52)) / se
    assert z == pytest.approx(expected, rel=1e-12)
    assert p == pytest.approx(stats.norm.sf(expected), rel=1e-12)


def test_undefined_drops_stay_undefined_and_out_of_the_family() -> None:
    drops = agreement_drops(
        [Drop("a", 0.8, 0.3, 100, 100), Drop("b", 0.8, 0.3, 100, 5), Drop("c", None, 0.5, 50, 50)]
    )
    assert drops[0].fell is True and drops[0].q_value == pytest.approx(drops[0].p_value)
    assert drops[1].fell is None and "at least 10" in (drops[1].reason or "")
    assert drops[2].fell is None and "undefined" in (drops[2].reason or "")


def _spearman(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman's rho along the last axis (no ties: continuous draws)."""
    rx, ry = stats.rankdata(x, axis=-1), stats.rankdata(y, axis=-1)
    rx, ry = rx - rx.mean(axis=-1, keepdims=True), ry - ry.mean(axis=-1, keepdims=True)
    return (rx * ry).sum(axis=-1) / np.sqrt((rx**2).sum(axis=-1) * (ry**2).sum(axis=-1))


@pytest.mark.parametrize("rho", [0.3, 0.6, 0.8])
def test_no_fall_beyond_chance_under_the_null_in_simulation(rho: float) -> None:
    """2,000 simulated pairs of windows of 60 items with the same true correlation: at most
    5% flagged (Fieller's variance would flag 5.7% at rho = 0.6)."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=(2000, 2, 60))
    r = _spearman(x, rho * x + np.sqrt(1 - rho**2) * rng.normal(size=x.shape))
    flags = [agreement_drops([Drop("c", a, b, 60, 60)])[0].fell for a, b in r]
    assert np.mean(flags) <= 0.05
    assert spearman_drop_test(float(r[0, 0]), 60, float(r[0, 1]), 60)[1] > 0


def test_a_real_fall_is_found_in_simulation() -> None:
    """rho 0.7 to 0.4 with 80 items a window: found in at least 80% of 500 simulations."""
    rng = np.random.default_rng(8)
    x = rng.normal(size=(500, 2, 80))
    rho = np.array([0.7, 0.4])[None, :, None]
    r = _spearman(x, rho * x + np.sqrt(1 - rho**2) * rng.normal(size=x.shape))
    flags = [agreement_drops([Drop("c", a, b, 80, 80)])[0].fell for a, b in r]
    assert np.mean(flags) >= 0.8


@pytest.mark.django_db
def test_the_daily_schedule_checks_each_judge_version_once_a_day(project: Project) -> None:
    version = _setup(project, degrade=False)
    first = judge_staleness_schedule()
    again = judge_staleness_schedule()
    assert len(first) == 1 and again == []
    report = Report.objects.get(pk=first[0])
    assert report.kind == ReportKind.JUDGE_STALENESS
    assert report.parameters["judge_version_id"] == version.pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "status"), [("reviewer", 403), ("adjudicator", 403), ("lead", 302), ("admin", 302)]
)
def test_only_leads_ask_for_a_recheck_and_the_judge_page_shows_it(
    project: Project, make_member: Callable[..., object], role: str, status: int
) -> None:
    version = _setup(project, degrade=True)
    client = Client()
    client.force_login(make_member(role))  # type: ignore[arg-type]
    url = reverse("judge-recheck", args=[project.slug, version.config.name, version.number])
    assert client.post(url).status_code == status
    made = Report.objects.filter(kind=ReportKind.JUDGE_STALENESS)
    assert made.count() == (1 if status == 302 else 0)
    if status == 302:
        judge_staleness_compute(report_id=made.get().pk)
        page = client.get(reverse("judge-detail", args=[project.slug, version.config.name]))
        assert b'data-testid="judge-degraded"' in page.content


@pytest.mark.django_db
def test_the_recheck_api_is_for_leads_and_answers_once_a_day(
    project: Project, make_member: Callable[..., object]
) -> None:
    from rest_framework.test import APIClient

    version = _setup(project, degrade=False)
    kwargs = {"project_slug": project.slug, "name": version.config.name}
    url = reverse("api-judge-recheck", kwargs={**kwargs, "number": version.number})
    api = APIClient()
    api.force_authenticate(make_member("reviewer"))  # type: ignore[arg-type]
    assert api.post(url).status_code == 403
    api.force_authenticate(make_member("lead"))  # type: ignore[arg-type]
    first = api.post(url)
    assert first.status_code == 202 and first.json()["kind"] == "judge_staleness"
    assert api.post(url).json()["id"] == first.json()["id"]
    missing = reverse("api-judge-recheck", kwargs={**kwargs, "number": version.number + 5})
    assert api.post(missing).status_code == 404
