"""Each alert metric equals the same number computed directly from the rows it covers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from django.utils import timezone
from sklearn.metrics import cohen_kappa_score

from llmops_core.models import ModelOutput, OutputStatus, Project
from llmops_core.services.alerts import METRICS, MetricFilter, metric_register
from tests.factories import ModelOutputFactory
from tests.versions.helpers import judge_scores, make_queue, make_versions, rate_all

END = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
ALL = MetricFilter()
pytestmark = pytest.mark.django_db


def outputs_at(project: Project, minutes_before_end: list[int], **fields: Any) -> list[ModelOutput]:
    """Create outputs received ``minutes_before_end`` minutes before END."""
    made = []
    for minutes in minutes_before_end:
        output = ModelOutputFactory(project=project, **fields)
        ModelOutput.objects.filter(pk=output.pk).update(created_at=END - timedelta(minutes=minutes))
        made.append(output)
    return made


def value(name: str, project: Project, flt: MetricFilter = ALL, window: timedelta = HOUR) -> Any:
    return METRICS[name].function(project, END, window, flt)


def test_error_rate_is_errors_over_outputs_in_the_window(project: Project) -> None:
    outputs_at(project, [1, 10, 59], status=OutputStatus.ERROR)
    outputs_at(project, [2, 3, 4, 5, 30])
    outputs_at(project, [61, 120], status=OutputStatus.ERROR)  # before the window
    outputs_at(project, [0])  # at the end: the window is half-open, [end - 1h, end)
    assert value("error_rate", project) == pytest.approx(3 / 8)


def test_error_rate_without_outputs_is_no_data(project: Project) -> None:
    outputs_at(project, [90])
    assert value("error_rate", project) is None


@pytest.mark.parametrize("n", [1, 2, 7, 20, 101])
def test_p95_latency_equals_numpy_percentile(project: Project, n: int) -> None:
    latencies = [int(x) for x in np.random.default_rng(n).integers(50, 5000, size=n)]
    for i, latency in enumerate(latencies):
        outputs_at(project, [i % 59 + 1], latency_ms=latency)
    outputs_at(project, [5])  # no latency: not counted
    outputs_at(project, [70], latency_ms=999_999)  # outside
    assert value("latency_p95", project) == pytest.approx(float(np.percentile(latencies, 95)))


def test_cost_per_day_is_the_window_sum_over_its_days(project: Project) -> None:
    costs = ["0.25", "1.50", "0.0001"]
    for i, cost in enumerate(costs):
        outputs_at(project, [60 * 24 * i + 30], cost=Decimal(cost))
    outputs_at(project, [10])  # no cost
    outputs_at(project, [60 * 24 * 8], cost=Decimal("100"))  # outside 7d
    expected = float(sum(Decimal(c) for c in costs)) / 7
    assert value("cost_per_day", project, window=timedelta(days=7)) == pytest.approx(expected)
    assert value("cost_per_day", project, window=timedelta(minutes=5)) is None


def test_requests_count_and_zero_is_a_value(project: Project) -> None:
    outputs_at(project, [1, 2, 3])
    outputs_at(project, [61])
    assert value("requests", project) == 3
    assert value("requests", project, window=timedelta(seconds=30)) == 0


def test_filters_keep_one_version_and_one_model(project: Project) -> None:
    v1, v2 = make_versions(project, 2)
    outputs_at(project, [1, 2], prompt_version=v1, model_name="a", status=OutputStatus.ERROR)
    outputs_at(project, [3], prompt_version=v1, model_name="b")
    outputs_at(project, [4, 5, 6], prompt_version=v2, model_name="a")
    assert value("requests", project, MetricFilter(prompt_version_id=v1.pk)) == 3
    assert value("requests", project, MetricFilter(model_name="a")) == 5
    assert value("error_rate", project, MetricFilter(v1.pk, "b")) == 0.0
    assert value("error_rate", project, MetricFilter(v1.pk, "a")) == 1.0


@pytest.fixture
def rated(project: Project, make_member: Any) -> dict[str, Any]:
    """Six outputs of one version rated by two reviewers (now), judged by a judge."""
    (version,) = make_versions(project, 1)
    outputs = [ModelOutputFactory(project=project, prompt_version=version) for _ in range(6)]
    reviewers = [make_member("reviewer", f"rev{i}") for i in (1, 2)]
    queue = make_queue(project, outputs, reviewers, overlap=2)
    human = {o.pk: (i % 5 + 1, (i + 1) % 5 + 1) for i, o in enumerate(outputs)}
    for who, reviewer in enumerate(reviewers):
        rate_all(
            queue,
            reviewer,
            lambda o, w=who: {"fluency": 3, "relevance": human[o.pk][w], "factuality": 4},
        )
    judge = {o: {"relevance": (i * 2) % 5 + 1} for i, o in enumerate(outputs)}
    judge_scores(project, judge)
    return {
        "outputs": outputs,
        "human": human,
        "judge": {o.pk: s["relevance"] for o, s in judge.items()},
    }


def test_human_score_is_the_mean_of_the_criterion_ratings_given_in_the_window(
    project: Project, rated: dict[str, Any]
) -> None:
    end = timezone.now() + timedelta(minutes=1)
    got = METRICS["human_score"].function(project, end, HOUR, MetricFilter(criterion="relevance"))
    expected = np.mean([s for pair in rated["human"].values() for s in pair])
    assert got == pytest.approx(expected)
    before = METRICS["human_score"].function(
        project, end - 2 * HOUR, HOUR, MetricFilter(criterion="relevance")
    )
    assert before is None


def test_judge_score_is_the_mean_over_the_window_outputs(
    project: Project, rated: dict[str, Any]
) -> None:
    end = timezone.now() + timedelta(minutes=1)
    got = METRICS["judge_score"].function(project, end, HOUR, MetricFilter(criterion="relevance"))
    assert got == pytest.approx(np.mean(list(rated["judge"].values())))
    assert (
        METRICS["judge_score"].function(project, end, HOUR, MetricFilter(criterion="fluency"))
        is None
    )


def test_judge_agreement_is_quadratic_kappa_against_the_consensus(
    project: Project, rated: dict[str, Any]
) -> None:
    """With the two reviewers' mean as consensus, this is sklearn's quadratic kappa when the
    consensus is rounded half up to the scale (as the judge comparison report defines it)."""
    end = timezone.now() + timedelta(minutes=1)
    got = METRICS["judge_agreement"].function(
        project, end, HOUR, MetricFilter(criterion="relevance")
    )
    ids = sorted(rated["human"])
    consensus = [int(np.floor(np.mean(rated["human"][i]) + 0.5)) for i in ids]
    judge = [rated["judge"][i] for i in ids]
    expected = cohen_kappa_score(judge, consensus, weights="quadratic", labels=[1, 2, 3, 4, 5])
    assert got == pytest.approx(expected)


def test_a_metric_is_added_in_one_line(project: Project) -> None:
    """The documented one-line registration makes a metric usable by rules."""
    try:
        metric_register("constant", lambda p, e, w, f: 0.5, unit="x", description="Half.")
        assert value("constant", project) == 0.5
    finally:
        METRICS.pop("constant")


def test_feedback_down_rate_is_thumbs_down_over_thumbs_in_the_window(project: Project) -> None:
    from llmops_core.models import Feedback, FeedbackKind, FeedbackSource

    outputs = outputs_at(project, [5, 6, 7, 8])
    for i, (output, thumb) in enumerate(zip(outputs, [False, False, True, None], strict=True)):
        Feedback.objects.create(
            project=project,
            output=output,
            kind=FeedbackKind.THUMBS if thumb is not None else FeedbackKind.COMMENT,
            thumb=thumb,
            comment="" if thumb is not None else "meh",
            source=FeedbackSource.API,
            client_id=f"c{i}",
        )
    Feedback.objects.filter(project=project).update(created_at=END - timedelta(minutes=5))
    assert value("feedback_down_rate", project) == pytest.approx(2 / 3)
    assert value("feedback_down_rate", project, window=timedelta(seconds=1)) is None


def test_drift_signals_counts_the_newest_finished_reports_drifted_signals(
    project: Project,
) -> None:
    from llmops_core.models import JobStatus, Report, ReportKind

    assert value("drift_signals", project) is None  # no report: no data, never 0

    def report(minutes: int, drifted: list[bool]) -> None:
        signals = {f"s{i}": {"drifted": d} for i, d in enumerate(drifted)}
        Report.objects.create(
            project=project,
            kind=ReportKind.DRIFT,
            status=JobStatus.SUCCEEDED,
            finished_at=END - timedelta(minutes=minutes),
            results={"windows": {"after": {}}, "drift": {"signals": signals}},
        )

    report(30, [True, True, False])
    report(10, [False, True, False])
    assert value("drift_signals", project) == 1.0
    assert value("drift_signals", project, window=timedelta(minutes=20)) == 1.0
    assert value("drift_signals", project, MetricFilter(prompt_version_id=5)) is None
