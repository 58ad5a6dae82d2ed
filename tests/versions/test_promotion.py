"""Promotion through the gate: refusal with reasons, admin override with a kept reason, evidence."""

from __future__ import annotations

from typing import Any

import pytest

from llmops_core.errors import DomainError, NotAllowed
from llmops_core.models import AuditEvent, Project, Promotion, PromptLabel
from llmops_core.services.comparisons import comparison_compute, comparison_request
from llmops_core.services.gates import release_gate_update
from llmops_core.services.promotion import PromotionRefused, prompt_promote
from llmops_core.services.scorecards import scorecard_compute, scorecard_request
from tests.versions.helpers import make_queue, rate_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def gated(project: Project, admin: Any, pair: dict[str, Any]) -> dict[str, Any]:
    """The pair with a computed scorecard and comparison, and a gate v2 fails (relevance)."""
    release_gate_update(
        project=project,
        actor=admin,
        rules=[
            {"rule": "no_significant_regression"},
            {"rule": "min_rated_items", "items": 8, "reviewers": 2},
        ],
    )
    scorecard_compute(report_id=scorecard_request(version=pair["v2"])[0].pk)
    pair["comparison"] = comparison_compute(
        report_id=comparison_request(candidate=pair["v2"])[0].pk
    )
    return pair


def production(pair: dict[str, Any]) -> int:
    return PromptLabel.objects.get(template=pair["v1"].template, name="production").version.number


def test_a_failing_gate_refuses_with_reasons_and_the_refusal_is_audited(
    gated: dict[str, Any], lead: Any
) -> None:
    with pytest.raises(PromotionRefused) as exc:
        prompt_promote(version=gated["v2"], actor=lead)
    assert "significantly worse than production on relevance" in str(exc.value)
    assert exc.value.extra["reasons"] == ["significantly worse than production on relevance"]
    assert production(gated) == 1
    event = AuditEvent.objects.get(action="prompt.promote_refused")
    assert event.actor == lead and event.after["version"] == 2


def test_leads_cannot_override(gated: dict[str, Any], lead: Any) -> None:
    with pytest.raises(NotAllowed, match="only a project admin can override"):
        prompt_promote(version=gated["v2"], actor=lead, override_reason="ship it")
    assert production(gated) == 1


def test_an_admin_override_needs_a_written_reason(gated: dict[str, Any], admin: Any) -> None:
    with pytest.raises(PromotionRefused):
        prompt_promote(version=gated["v2"], actor=admin, override_reason="   ")
    assert production(gated) == 1


def test_an_admin_override_is_kept_in_history_and_audit(gated: dict[str, Any], admin: Any) -> None:
    reason = "Relevance drop is a known <rubric> issue; fluency matters more this release."
    promotion = prompt_promote(version=gated["v2"], actor=admin, override_reason=reason)
    assert production(gated) == 2
    assert (promotion.gate_passed, promotion.override_reason) == (False, reason)
    assert promotion.from_version == gated["v1"] and promotion.actor == admin
    assert promotion.gate_result["checks"][0]["passed"] is False
    event = AuditEvent.objects.get(action="prompt.promote")
    assert event.after["overridden"] is True and event.after["override_reason"] == reason


def test_a_passing_gate_lets_a_lead_promote(
    project: Project, gated: dict[str, Any], admin: Any, lead: Any
) -> None:
    release_gate_update(
        project=project,
        actor=admin,
        rules=[{"rule": "min_rated_items", "items": 8, "reviewers": 2}],
    )
    promotion = prompt_promote(version=gated["v2"], actor=lead, override_reason="not needed")
    assert promotion.gate_passed is True and promotion.override_reason == ""
    assert production(gated) == 2


def test_evidence_is_frozen_at_promotion(
    project: Project, gated: dict[str, Any], admin: Any, reviewers: list[Any]
) -> None:
    promotion = prompt_promote(version=gated["v2"], actor=admin, override_reason="urgent fix")
    evidence = Promotion.objects.get(pk=promotion.pk).evidence
    comparison = gated["comparison"]
    assert evidence["comparison"]["report_id"] == comparison.pk
    assert evidence["comparison"]["results"]["criteria"] == comparison.results["criteria"]
    assert "evidence" not in evidence["comparison"]["results"]
    assert evidence["ratings"]["annotation_ids"] == comparison.results["evidence"]["annotation_ids"]
    assert [r["username"] for r in evidence["ratings"]["reviewers"]] == ["rev1", "rev2"]
    assert evidence["rubric_version"]["criteria"][2]["name"] == "factuality"
    assert evidence["candidate"]["content_hash"] == gated["v2"].content_hash
    assert evidence["baseline"]["number"] == 1
    frozen = dict(evidence)
    queue = make_queue(project, gated["cand"][:2], reviewers[2:], overlap=1)
    rate_all(
        queue, reviewers[2], lambda o: dict.fromkeys(("fluency", "relevance", "factuality"), 1)
    )
    comparison_compute(
        report_id=comparison_request(candidate=gated["v2"], baseline=gated["v1"])[0].pk
    )
    assert Promotion.objects.get(pk=promotion.pk).evidence == frozen


def test_first_promotion_without_a_comparison_freezes_the_versions_ratings(
    project: Project, admin: Any, pair: dict[str, Any]
) -> None:
    template = pair["v1"].template
    PromptLabel.objects.filter(template=template).delete()
    release_gate_update(project=project, actor=admin, rules=[])
    promotion = prompt_promote(version=pair["v1"], actor=admin)
    assert promotion.gate_passed is True
    assert promotion.evidence["comparison"] is None
    assert len(promotion.evidence["ratings"]["annotation_ids"]) == 2 * 8


def test_reviewers_cannot_promote(gated: dict[str, Any], reviewers: list[Any]) -> None:
    with pytest.raises(NotAllowed, match="needs the lead role"):
        prompt_promote(version=gated["v2"], actor=reviewers[0])


def test_promoting_the_production_version_again_is_refused(
    gated: dict[str, Any], lead: Any
) -> None:
    with pytest.raises(DomainError, match='v1 is already the "production" version'):
        prompt_promote(version=gated["v1"], actor=lead)


def test_other_labels_are_not_gated(gated: dict[str, Any], lead: Any) -> None:
    promotion = prompt_promote(version=gated["v2"], actor=lead, label="staging")
    assert promotion.gate_passed is False and promotion.label == "staging"
    assert production(gated) == 1
