"""The report page names reviewers who stand out and shows gold accuracy per reviewer."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from annotate.models import QueueItem
from llmops_core.models import JobStatus, Project
from llmops_core.services.reports import ReportScope, report_compute, report_request
from tests.reports.builders import rated_queue
from tests.reports.test_views import client_for

pytestmark = pytest.mark.django_db
TRUTH = [2, 3, 4, 3, 2, 4, 3, 2, 4, 3, 2, 3, 4, 2, 3, 4, 3, 2, 4, 3]


def test_the_summary_names_a_biased_reviewer_and_shows_gold_accuracy(
    project: Project, lead: object
) -> None:
    lenient = [s + 1 for s in TRUTH]
    rq = rated_queue(
        project,
        [TRUTH, TRUTH, lenient],
        reviewer_names=["ana", "bo", "cy"],
        name="Standouts",
    )
    gold = rq.items[:5]
    for item, score in zip(gold, TRUTH, strict=False):
        QueueItem.objects.filter(pk=item.pk).update(is_gold=True, gold_scores={"fluency": score})
    report, _ = report_request(
        project=project,
        requested_by=None,
        scope=ReportScope(queue_id=rq.queue.pk, bootstrap_draws=50),
    )
    done = report_compute(report_id=report.pk)
    assert done is not None and done.status == JobStatus.SUCCEEDED, done and done.error
    html = client_for(lead).get(reverse("report-detail", args=[project.slug, done.pk])).content
    page = html.decode()
    findings = re.search(r'data-testid="reviewer-findings">(.*?)</ul>', page, re.S)
    assert findings, "no reviewer findings on the page"
    text = findings.group(1)
    assert "cy rates fluency 1.0 points higher than the other reviewers" in text
    assert "ana rates" not in text and "bo rates" not in text
    assert "ana matched the gold score in 100% of 5 ratings" in text
    assert "cy matched the gold score in 0% of 5 ratings" in text
    assert "Gold items matched" in page and ">0% of 5<" in page
    assert "stands out on a criterion when" in page
