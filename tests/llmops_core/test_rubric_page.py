"""The rubric page: members read every anchor; leads save changes as a new rubric version."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from annotate.models import Annotation
from annotate.services.assignment import assignment_claim_next
from annotate.services.queues import queue_create
from annotate.services.submit import annotation_submit
from llmops_core.models import AuditEvent, Project, Role, RubricVersion
from llmops_core.services.rubrics import DEFAULT_CRITERIA, CriterionSpec, rubric_version_create
from tests.versions.helpers import make_outputs, make_versions

pytestmark = pytest.mark.django_db


def page(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def rows(*criteria: dict[str, Any], note: str = "") -> dict[str, str]:
    """Return the edit form's POST body for ``criteria`` (name, description, scale, anchors)."""
    data = {"criteria-TOTAL_FORMS": str(len(criteria)), "criteria-INITIAL_FORMS": "0"}
    for i, c in enumerate(criteria):
        anchors = c.get("anchors")
        if isinstance(anchors, dict):
            anchors = "\r\n".join(f"{level}: {text}" for level, text in anchors.items())
        data |= {
            f"criteria-{i}-name": c["name"],
            f"criteria-{i}-description": c.get("description", ""),
            f"criteria-{i}-scale_min": str(c.get("scale_min", 1)),
            f"criteria-{i}-scale_max": str(c.get("scale_max", 5)),
            f"criteria-{i}-anchors": anchors or "",
        }
        if c.get("DELETE"):
            data[f"criteria-{i}-DELETE"] = "on"
    return data | {"note": note}


def defaults(**changes: Any) -> list[dict[str, Any]]:
    """Return the default rubric's criteria as form rows, with ``changes`` to the first."""
    out = [spec.as_dict() for spec in DEFAULT_CRITERIA]
    out[0] = {**out[0], **changes}
    return out


def edit_url(project: Project) -> str:
    return f"/p/{project.slug}/rubric/{project.rubrics.get().pk}/edit/"


def versions(project: Project) -> list[int]:
    return sorted(
        RubricVersion.objects.filter(rubric__project=project).values_list("number", flat=True)
    )


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.ADJUDICATOR, Role.LEAD, Role.ADMIN])
def test_every_member_reads_criteria_scales_and_every_anchor(
    project: Project, make_member: Callable[..., Any], role: str
) -> None:
    body = page(make_member(role, f"u-{role}")).get(f"/p/{project.slug}/rubric/").content.decode()
    for spec in DEFAULT_CRITERIA:
        assert f"<code>{spec.name}</code>" in body
        for text in spec.anchors.values():
            assert text.replace("'", "&#x27;") in body
    assert body.count('data-testid="anchor"') == 15
    assert ("rubric-edit" in body) == (role in (Role.LEAD, Role.ADMIN))


def test_the_page_reads_in_a_fixed_number_of_queries(
    project: Project, lead: Any, django_assert_max_num_queries: Callable[..., Any]
) -> None:
    rubric = project.rubrics.get()
    for n in range(2, 6):
        specs = [CriterionSpec(**c) for c in defaults(description=f"take {n}")]
        rubric_version_create(rubric=rubric, criteria=specs)
    client = page(lead)
    with django_assert_max_num_queries(12):
        assert client.get(f"/p/{project.slug}/rubric/").status_code == 200


def test_a_lead_saves_a_new_version_and_the_old_one_stays(project: Project, lead: Any) -> None:
    anchors = dict(DEFAULT_CRITERIA[0].anchors, **{"3": "Readable, with slips."})
    response = page(lead).post(edit_url(project), rows(*defaults(anchors=anchors), note="kinder 3"))
    assert response.status_code == 302 and response["Location"] == f"/p/{project.slug}/rubric/"
    assert versions(project) == [1, 2]
    old, new = (RubricVersion.objects.get(number=n) for n in (1, 2))
    assert old.criteria.get(name="fluency").anchor(3) == DEFAULT_CRITERIA[0].anchors["3"]
    assert new.criteria.get(name="fluency").anchor(3) == "Readable, with slips."
    assert (new.note, new.created_by) == ("kinder 3", lead)
    assert AuditEvent.objects.get(action="rubric.version_create").after["number"] == 2
    body = page(lead).get(f"/p/{project.slug}/rubric/").content.decode()
    assert ">v2<" in body and "Readable, with slips." in body
    old_page = page(lead).get(f"/p/{project.slug}/rubric/{old.rubric_id}/v1/").content.decode()
    assert DEFAULT_CRITERIA[0].anchors["3"] in old_page


def test_saving_the_same_criteria_makes_no_version(project: Project, lead: Any) -> None:
    response = page(lead).post(edit_url(project), rows(*defaults()), follow=True)
    assert "Nothing new: default v1 holds exactly these." in response.content.decode()
    assert versions(project) == [1]


def test_a_wider_scale_needs_an_anchor_for_every_new_level(project: Project, lead: Any) -> None:
    seven = {str(n): f"level {n}" for n in range(1, 8)}
    assert (
        page(lead).post(edit_url(project), rows(*defaults(scale_max=7, anchors=seven))).status_code
        == 302
    )
    assert RubricVersion.objects.get(number=2).criteria.get(name="fluency").scale_max == 7


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"anchors": {"1": "a", "2": "b", "3": "c", "5": "e"}},
            "Criterion 1 (&quot;fluency&quot;), anchors: every level needs an anchor; missing: 4",
        ),
        (
            {"anchors": {"1": "a", "2": "b", "3": "c", "4": "d", "5": "e", "6": "f"}},
            "line 6: level 6 is outside 1-5",
        ),
        ({"anchors": "1: a\n2 b"}, "line 2: write &quot;level: text&quot;"),
        ({"anchors": {"1": "a", "2": "", "3": "c", "4": "d", "5": "e"}}, "level 2 has no text"),
        ({"name": "tone of voice"}, "Criterion 1 (&quot;tone of voice&quot;), name: Enter a valid"),
        ({"name": "Relevance"}, "&quot;Relevance&quot; is also the name of criterion 2"),
        ({"scale_min": 5, "scale_max": 1}, "the scale 5-1 must run upwards"),
        ({"scale_max": 40}, "at most 11 levels"),
    ],
)
def test_bad_criteria_are_refused_naming_criterion_and_field(
    project: Project, lead: Any, changes: dict[str, Any], message: str
) -> None:
    criteria = defaults(**changes)
    if changes.get("name") == "Relevance":
        criteria[0]["name"] = "relevance"
        criteria[1]["name"] = "Relevance"
        message = "&quot;Relevance&quot; is also the name of criterion 1"
    response = page(lead).post(edit_url(project), rows(*criteria))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert versions(project) == [1]


def test_a_rubric_needs_a_criterion(project: Project, lead: Any) -> None:
    criteria = [{**c, "DELETE": True} for c in defaults()]
    response = page(lead).post(edit_url(project), rows(*criteria))
    assert response.status_code == 400
    assert "a rubric needs at least one criterion" in response.content.decode()


def test_descriptions_and_anchors_are_escaped(project: Project, lead: Any) -> None:
    evil = "<script>alert(1)</script>"
    anchors = dict(DEFAULT_CRITERIA[0].anchors, **{"2": f"<b>bold</b>{evil}"})
    page(lead).post(edit_url(project), rows(*defaults(description=evil, anchors=anchors)))
    for url in (f"/p/{project.slug}/rubric/", edit_url(project)):
        body = page(lead).get(url).content.decode()
        assert evil not in body and "<b>bold</b>" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_ratings_and_queues_keep_their_version_and_new_queues_offer_the_newest(
    project: Project, lead: Any, reviewer: Any
) -> None:
    v1 = project.rubrics.get().versions.get(number=1)
    (prompt,) = make_versions(project, 1)
    outputs = make_outputs(project, prompt, 2)
    queue = queue_create(
        project=project,
        name="q",
        rubric_version=v1,
        overlap=1,
        reviewers=[reviewer],
        output_ids=[o.pk for o in outputs],
    )
    claim = assignment_claim_next(queue=queue, reviewer=reviewer)
    assert claim.assignment is not None
    annotation_submit(
        item=claim.assignment.item,
        reviewer=reviewer,
        client_token=uuid.uuid4(),
        scores={"fluency": 2, "relevance": 3, "factuality": 4},
    )
    anchors = dict(DEFAULT_CRITERIA[0].anchors, **{"1": "Gibberish."})
    page(lead).post(edit_url(project), rows(*defaults(anchors=anchors)))
    queue.refresh_from_db()
    assert queue.rubric_version_id == v1.pk
    assert Annotation.objects.get().rubric_version_id == v1.pk
    v2 = project.rubrics.get().versions.get(number=2)
    new_queue = page(lead).get(f"/p/{project.slug}/queues/new/").content.decode()
    assert f'<option value="{v2.pk}" selected>' in new_queue


def test_unknown_rubrics_and_versions_are_404(project: Project, lead: Any) -> None:
    rubric = project.rubrics.get()
    client = page(lead)
    assert client.get(f"/p/{project.slug}/rubric/{rubric.pk}/v9/").status_code == 404
    assert client.get(f"/p/{project.slug}/rubric/{rubric.pk + 99}/v1/").status_code == 404
    assert client.get(f"/p/{project.slug}/rubric/{rubric.pk + 99}/edit/").status_code == 404
