"""Reference metrics in the scorecard: imported with outputs or from dataset rows, stored per
output, kept up to date, shown on the page and in the API (sacrebleu is the oracle)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import sacrebleu
from django.test import Client
from rest_framework.test import APIClient

from llmops_core.hashing import content_hash
from llmops_core.metrics.reference import METRICS, NO_REFERENCE
from llmops_core.models import Dataset, DatasetRow, ModelOutput, Project, ReferenceScore
from llmops_core.services.reference_scores import reference_scores_update
from llmops_core.services.scorecards import (
    scorecard_compute,
    scorecard_request,
    scorecards_refresh,
)
from tests.versions.helpers import make_outputs, make_versions

pytestmark = pytest.mark.django_db

PAIRS = [
    ("The dog bit the man.", "The dog bit the man."),
    ("It wasn't surprising.", "It was not unexpected."),
    ("The man had just bitten him.", "The man bit him first."),
]


def metric(results: dict[str, Any], name: str) -> dict[str, Any]:
    return next(m for m in results["reference"]["metrics"] if m["name"] == name)


def compute(version: Any) -> dict[str, Any]:
    report = scorecard_compute(report_id=scorecard_request(version=version)[0].pk)
    assert report is not None and report.status == "succeeded", report and report.error
    return report.results


@pytest.fixture
def referenced(project: Project) -> dict[str, Any]:
    """v1 with four outputs: two own references, one from its dataset row, one without."""
    (v1,) = make_versions(project, 1)
    outputs = make_outputs(project, v1, 4)
    dataset = Dataset.objects.create(project=project, name="qa", content_hash="x", row_count=1)
    row = DatasetRow.objects.create(
        dataset=dataset, index=0, input={"question": "q2"}, content_hash="y", reference=PAIRS[2][1]
    )
    for output, (text, reference) in zip(outputs[:2], PAIRS[:2], strict=True):
        output.output_text, output.reference = text, reference
        output.save(update_fields=["output_text", "reference"])
    outputs[2].output_text, outputs[2].dataset_row = PAIRS[2][0], row
    outputs[2].save(update_fields=["output_text", "dataset_row"])
    return {"version": v1, "outputs": outputs, "row": row}


def test_scorecard_scores_outputs_against_own_or_dataset_references(
    referenced: dict[str, Any],
) -> None:
    results = compute(referenced["version"])
    assert results["reference"]["n_outputs"] == 4
    assert results["reference"]["n_with_reference"] == 3
    bleu = metric(results, "bleu")
    expected = [sacrebleu.sentence_bleu(h, [r]).score for h, r in PAIRS]
    assert bleu["mean"] == pytest.approx(np.mean(expected)) and bleu["n"] == 3
    hyps, refs = [h for h, _ in PAIRS], [r for _, r in PAIRS]
    assert bleu["corpus"] == pytest.approx(sacrebleu.corpus_bleu(hyps, [refs]).score)
    assert metric(results, "chrf")["corpus"] == pytest.approx(
        sacrebleu.corpus_chrf(hyps, [refs]).score
    )
    stored = ReferenceScore.objects.filter(metric="bleu").order_by("output_id")
    assert [s.score for s in stored] == pytest.approx(expected)
    assert ReferenceScore.objects.count() == 3 * len(METRICS)
    assert not ReferenceScore.objects.filter(output=referenced["outputs"][3]).exists()


def test_a_version_without_references_has_undefined_reference_metrics(project: Project) -> None:
    (v1,) = make_versions(project, 1)
    make_outputs(project, v1, 3)
    reference = compute(v1)["reference"]
    assert reference["reason"] == NO_REFERENCE and reference["n_with_reference"] == 0
    assert all(m["mean"] is None and m["reason"] == NO_REFERENCE for m in reference["metrics"])
    assert not ReferenceScore.objects.exists()


def test_scores_are_recomputed_only_when_the_texts_change(
    referenced: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    version, outputs = referenced["version"], referenced["outputs"]
    reference_scores_update(version_id=version.pk)
    first = {(s.output_id, s.metric): (s.pk, s.computed_at) for s in ReferenceScore.objects.all()}
    with django_assert_max_num_queries(2):  # the stored scores and the outputs; no write
        reference_scores_update(version_id=version.pk)
    assert {
        (s.output_id, s.metric): (s.pk, s.computed_at) for s in ReferenceScore.objects.all()
    } == first
    outputs[1].reference = "It was not surprising."
    outputs[1].save(update_fields=["reference"])
    reference_scores_update(version_id=version.pk)
    bleu = ReferenceScore.objects.get(output=outputs[1], metric="bleu")
    assert bleu.score == sacrebleu.sentence_bleu(PAIRS[1][0], ["It was not surprising."]).score
    assert ReferenceScore.objects.count() == 3 * len(METRICS)


def test_an_output_that_loses_its_reference_loses_its_scores(referenced: dict[str, Any]) -> None:
    version, outputs = referenced["version"], referenced["outputs"]
    reference_scores_update(version_id=version.pk)
    outputs[0].reference = "   "
    outputs[0].save(update_fields=["reference"])
    n_outputs, scores, pairs = reference_scores_update(version_id=version.pk)
    assert (n_outputs, len(scores), len(pairs)) == (4, 2, 2)
    assert not ReferenceScore.objects.filter(output=outputs[0]).exists()
    assert ReferenceScore.objects.count() == 2 * len(METRICS)


def test_an_outputs_own_reference_wins_over_its_dataset_rows(referenced: dict[str, Any]) -> None:
    output = referenced["outputs"][2]
    output.reference = output.output_text
    output.save(update_fields=["reference"])
    reference_scores_update(version_id=referenced["version"].pk)
    assert ReferenceScore.objects.get(output=output, metric="bleu").score == pytest.approx(100.0)


def test_outputs_imported_with_references_show_in_the_scorecard_api_and_page(
    project: Project,
    lead: Any,
    api_as: Callable[[Any], APIClient],
    client: Client,
) -> None:
    """End to end: import through the API, compute the scorecard, read it back."""
    make_versions(project, 1)
    rows = [
        {
            "external_id": f"e{i}",
            "input": {"question": f"q{i}"},
            "output": text,
            "reference": reference,
            "prompt": "support",
            "prompt_version": 1,
        }
        for i, (text, reference) in enumerate(PAIRS)
    ] + [{"external_id": "e9", "input": "no ref", "output": "x", "prompt": "support"}]
    api = api_as(lead)
    created = api.post(f"/api/projects/{project.slug}/outputs/", rows, format="json")
    assert created.status_code == 201, created.json()
    assert ModelOutput.objects.get(external_id="e1").reference == PAIRS[1][1]
    base = f"/api/projects/{project.slug}/prompts/support/versions/1/scorecard/"
    requested = api.post(base)
    assert requested.status_code == 202
    scorecard_compute(report_id=requested.json()["id"])
    reference = api.get(base).json()["results"]["reference"]
    assert (reference["n_outputs"], reference["n_with_reference"]) == (4, 3)
    chrf = next(m for m in reference["metrics"] if m["name"] == "chrf")
    expected = [sacrebleu.sentence_chrf(h, [r]).score for h, r in PAIRS]
    assert chrf["mean"] == pytest.approx(np.mean(expected))
    assert chrf["ci_low"] is not None and chrf["ci_low"] <= chrf["mean"] <= chrf["ci_high"]
    client.force_login(lead)
    page = client.get(f"/p/{project.slug}/prompts/support/v1/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="reference-metrics"' in html and "ROUGE-L F" in html
    assert f"{np.mean(expected):.3f}" in html
    corpus = sacrebleu.corpus_chrf([h for h, _ in PAIRS], [[r for _, r in PAIRS]]).score
    assert f"{corpus:.2f}" in html and chrf["corpus_ci_low"] is not None


def test_an_imported_reference_must_be_text(
    project: Project, lead: Any, api_as: Callable[[Any], APIClient]
) -> None:
    row = {"external_id": "e1", "input": "q", "output": "a", "reference": 3}
    response = api_as(lead).post(f"/api/projects/{project.slug}/outputs/", [row], format="json")
    assert response.status_code == 400
    assert "reference" in str(response.json())
    assert not ModelOutput.objects.exists()


def test_the_scorecard_page_says_undefined_without_references(
    project: Project, lead: Any, client: Client
) -> None:
    (v1,) = make_versions(project, 1)
    ModelOutput.objects.create(
        project=project,
        external_id="a",
        prompt_version=v1,
        input="q",
        input_hash=content_hash("q"),
        output_text="a",
    )
    compute(v1)
    client.force_login(lead)
    html = client.get(f"/p/{project.slug}/prompts/support/v1/").content.decode()
    assert 'data-testid="reference-metrics-undefined"' in html and NO_REFERENCE in html


def test_refresh_gives_a_version_with_only_references_its_first_scorecard(
    referenced: dict[str, Any], project: Project
) -> None:
    """No ratings, no judge scores: references alone are worth a scorecard."""
    (other,) = make_versions(project, 1, name="other")
    make_outputs(project, other, 2)
    requested = scorecards_refresh()
    assert len(requested) == 1
    report = scorecard_compute(report_id=requested[0])
    assert report is not None and report.subject_version_id == referenced["version"].pk
    assert report.results["reference"]["n_with_reference"] == 3
    assert scorecards_refresh() == []


def test_an_outputs_reference_is_in_the_api_and_escaped_on_its_page(
    project: Project, lead: Any, api_as: Callable[[Any], APIClient], client: Client
) -> None:
    row = {"external_id": "r1", "input": "q", "output": "a", "reference": "<b>bold</b> answer"}
    api = api_as(lead)
    assert (
        api.post(f"/api/projects/{project.slug}/outputs/", [row], format="json").status_code == 201
    )
    output = ModelOutput.objects.get(external_id="r1")
    detail = api.get(f"/api/projects/{project.slug}/outputs/{output.pk}/").json()
    assert detail["reference"] == "<b>bold</b> answer"
    client.force_login(lead)
    html = client.get(f"/p/{project.slug}/outputs/{output.pk}/").content.decode()
    assert "&lt;b&gt;bold&lt;/b&gt; answer" in html and "<b>bold</b>" not in html
