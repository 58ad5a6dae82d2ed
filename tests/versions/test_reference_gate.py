"""The release gate's reference-metric rule: checked like every rule, read from the scorecard."""

from __future__ import annotations

from typing import Any

import pytest
import sacrebleu
from django.test import Client

from llmops_core.errors import DomainError
from llmops_core.models import Project, ReleaseGate
from llmops_core.services.gate_rules import gate_rules_clean, rule_words
from llmops_core.services.gates import gate_evaluate, release_gate_update
from llmops_core.services.scorecards import scorecard_compute, scorecard_request
from tests.versions.gate_forms import gate_rows
from tests.versions.helpers import make_outputs, make_versions

pytestmark = pytest.mark.django_db

PAIRS = [
    ("The dog bit the man.", "The dog bit the man."),
    ("It wasn't surprising.", "It was not unexpected."),
]


def messages(version: Any) -> list[tuple[bool, str]]:
    return [(c.passed, c.message) for c in gate_evaluate(version=version).checks]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            {"rule": "min_reference_metric", "metric": "meteor", "value": 1},
            'rule 1, field "metric"',
        ),
        ({"rule": "min_reference_metric", "metric": "bleu", "value": 101}, "outside bleu's 0-100"),
        ({"rule": "min_reference_metric", "metric": "rougeL", "value": 2}, "outside rougeL's 0-1"),
        ({"rule": "min_reference_metric", "value": 0.5}, 'rule 1, field "metric": '),
    ],
)
def test_bad_reference_rules_are_refused_naming_rule_and_field(rule: Any, message: str) -> None:
    with pytest.raises(DomainError, match=message):
        gate_rules_clean([rule])


def test_the_reference_rule_reads_the_candidates_scorecard(project: Project, admin: Any) -> None:
    (v1,) = make_versions(project, 1)
    outputs = make_outputs(project, v1, 2)
    for output, (text, reference) in zip(outputs, PAIRS, strict=True):
        output.output_text, output.reference = text, reference
        output.save(update_fields=["output_text", "reference"])
    rules = [
        {"rule": "min_reference_metric", "metric": "bleu", "value": 30},
        {"rule": "min_reference_metric", "metric": "bleu", "value": 90},
    ]
    release_gate_update(project=project, rules=rules, actor=admin)
    assert messages(v1)[0] == (False, "bleu unknown: v1 has no scorecard yet")
    scorecard_compute(report_id=scorecard_request(version=v1)[0].pk)
    mean = sum(sacrebleu.sentence_bleu(h, [r]).score for h, r in PAIRS) / 2
    assert 30 < mean < 90
    assert messages(v1) == [
        (True, f"mean BLEU {mean:.3g} over 2 outputs is at least 30"),
        (False, f"mean BLEU {mean:.3g} over 2 outputs is below 90"),
    ]
    assert rule_words(rules[0]) == "mean BLEU against reference answers at least 30"


def test_the_reference_rule_fails_when_the_metric_is_undefined(
    project: Project, admin: Any
) -> None:
    (v1,) = make_versions(project, 1)
    make_outputs(project, v1, 2)
    rule = {"rule": "min_reference_metric", "metric": "chrf", "value": 10}
    release_gate_update(project=project, rules=[rule], actor=admin)
    scorecard_compute(report_id=scorecard_request(version=v1)[0].pk)
    assert messages(v1) == [
        (False, "chrf undefined: no output of this version has a reference answer")
    ]


def test_the_gate_form_saves_a_reference_rule_and_names_a_bad_value(
    project: Project, admin: Any
) -> None:
    client = Client()
    client.force_login(admin)
    url = f"/p/{project.slug}/release-gate/"
    row = {"rule": "min_reference_metric", "metric": "rouge2", "value": "5"}
    bad = client.post(url, gate_rows(row))
    assert bad.status_code == 400 and "outside rouge2&#x27;s 0-1" in bad.content.decode()
    ok = client.post(url, gate_rows({**row, "value": "0.25"}))
    assert ok.status_code == 302
    saved = ReleaseGate.objects.get(project=project).rules
    assert saved == [{"rule": "min_reference_metric", "metric": "rouge2", "value": 0.25}]
