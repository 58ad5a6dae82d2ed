"""Human pairwise preferences: pairs of a queue, blind recording, the page, and win rates."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import signing
from django.test import Client

from annotate.models import PairwisePreference
from annotate.selectors.preferences import next_pair, preference_outcomes, queue_pairs
from annotate.services.preferences import preference_submit
from annotate.views.pairwise import SALT
from llmops_core.errors import DomainError, NotAllowed
from llmops_core.services.comparisons import comparison_results
from tests.factories import UserFactory
from tests.versions.helpers import N

pytestmark = pytest.mark.django_db


def pairs_by_version(pair: dict[str, Any]) -> list[tuple[Any, Any]]:
    """Return (v1 output, v2 output) for each of the N shared inputs."""
    return list(zip(pair["base"], pair["cand"][:N], strict=True))


def test_queue_pairs_are_outputs_of_two_versions_for_one_input(pair: dict[str, Any]) -> None:
    pairs = queue_pairs(queue=pair["queue"])
    assert pairs == sorted((b.pk, c.pk) for b, c in pairs_by_version(pair))


def test_submit_stores_a_and_b_with_the_side_shown(
    pair: dict[str, Any], reviewers: list[Any]
) -> None:
    base, cand = pairs_by_version(pair)[0]
    rev1 = reviewers[0]
    shown = preference_submit(
        queue=pair["queue"],
        reviewer=rev1,
        left_id=cand.pk,
        right_id=base.pk,
        side="left",
        criteria={"fluency": "right"},
    )
    assert (shown.output_a, shown.output_b) == (base, cand)  # A is the lower id
    assert (shown.shown_left, shown.choice, shown.criteria) == ("B", "B", {"fluency": "A"})
    again = preference_submit(
        queue=pair["queue"], reviewer=rev1, left_id=base.pk, right_id=cand.pk, side="tie"
    )
    assert again.pk == shown.pk and (again.choice, again.shown_left) == ("tie", "A")
    assert PairwisePreference.objects.count() == 1


@pytest.mark.parametrize(
    ("which", "side", "criteria", "error"),
    [
        ("same", "left", None, "not a pair"),
        ("same-version", "left", None, "same input"),
        ("pair", "up", None, "'up' is not one of"),
        ("pair", "left", {"tone": "left"}, "tone not in the queue's rubric"),
    ],
)
def test_submit_refuses_what_is_not_a_pair(
    pair: dict[str, Any], reviewers: list[Any], which: str, side: str, criteria: Any, error: str
) -> None:
    base, cand = pairs_by_version(pair)[0]
    other = pairs_by_version(pair)[1][1]
    left, right = {"same": (base, base), "same-version": (cand, other), "pair": (base, cand)}[which]
    with pytest.raises(DomainError, match=error):
        preference_submit(
            queue=pair["queue"],
            reviewer=reviewers[0],
            left_id=left.pk,
            right_id=right.pk,
            side=side,
            criteria=criteria,
        )


def test_only_queue_reviewers_give_preferences(pair: dict[str, Any], lead: Any) -> None:
    base, cand = pairs_by_version(pair)[0]
    with pytest.raises(NotAllowed):
        preference_submit(
            queue=pair["queue"], reviewer=lead, left_id=base.pk, right_id=cand.pk, side="left"
        )


def test_next_pair_walks_every_pair_once(pair: dict[str, Any], reviewers: list[Any]) -> None:
    rev1, seen = reviewers[0], []
    while True:
        pending, done, total = next_pair(queue=pair["queue"], reviewer=rev1)
        assert (done, total) == (len(seen), N)
        if pending is None:
            break
        assert next_pair(queue=pair["queue"], reviewer=rev1)[0] == pending  # stable on reload
        preference_submit(
            queue=pair["queue"], reviewer=rev1, left_id=pending[0], right_id=pending[1], side="tie"
        )
        seen.append(pending)
    assert sorted(seen) == queue_pairs(queue=pair["queue"])


def test_outcomes_and_the_comparison_use_preferences(
    pair: dict[str, Any], reviewers: list[Any]
) -> None:
    sides = ["left", "left", "left", "tie", "right"]  # left is always the candidate here
    for (base, cand), side in zip(pairs_by_version(pair), sides, strict=False):
        preference_submit(
            queue=pair["queue"],
            reviewer=reviewers[0],
            left_id=cand.pk,
            right_id=base.pk,
            side=side,
            criteria={"relevance": "right"},
        )
    outcomes = preference_outcomes(candidate_id=pair["v2"].pk, baseline_id=pair["v1"].pk)
    assert (outcomes["wins"], outcomes["ties"], outcomes["losses"]) == (3, 1, 1)
    assert outcomes["criteria"] == {"relevance": (0, 0, 5)}
    assert (outcomes["left_chosen"], outcomes["decided"]) == (3, 4)
    win_rate = comparison_results(candidate=pair["v2"], baseline=pair["v1"], draws=50, seed=0)[
        "win_rate"
    ]
    assert win_rate["source"] == "preferences"
    assert win_rate["overall"]["win"]["count"] == 3 and win_rate["overall"]["n"] == 5
    assert len(win_rate["preference_ids"]) == 5


def page(pair: dict[str, Any], user: Any) -> tuple[Client, str]:
    client = Client()
    client.force_login(user)
    return client, f"/p/{pair['queue'].project.slug}/queues/{pair['queue'].pk}/pairwise/"


def test_the_page_shows_two_answers_and_records_the_choice(
    pair: dict[str, Any], reviewers: list[Any]
) -> None:
    client, url = page(pair, reviewers[0])
    html = client.get(url).content.decode()
    assert 'data-testid="left"' in html and 'data-testid="right"' in html
    assert "0 of 8 pairs done" in html
    token = html.split('name="token" value="')[1].split('"')[0]
    shown = signing.loads(token, salt=SALT)
    response = client.post(url, {"token": token, "side": "right", "crit-fluency": "left"})
    assert response.status_code == 302
    preference = PairwisePreference.objects.get()
    right_is_a = shown["r"] == preference.output_a_id
    assert preference.choice == ("A" if right_is_a else "B")
    assert "1 of 8 pairs done" in client.get(url).content.decode()
    assert client.post(url, {"token": "forged", "side": "left"}).status_code == 400


def test_the_page_escapes_outputs(pair: dict[str, Any], reviewers: list[Any]) -> None:
    for output in pair["base"] + pair["cand"]:
        output.output_text = "<script>alert(1)</script> **bold**"
        output.save()
    client, url = page(pair, reviewers[0])
    html = client.get(url).content.decode()
    assert "<script>alert(1)" not in html and "<strong>bold</strong>" in html


@pytest.mark.parametrize(("who", "code"), [("lead", 403), ("stranger", 404)])
def test_the_page_is_for_the_queue_reviewers(
    pair: dict[str, Any], lead: Any, who: str, code: int
) -> None:
    client, url = page(pair, lead if who == "lead" else UserFactory())
    assert client.get(url).status_code == code
