"""Named reads of human pairwise preferences: the pairs a queue offers, and who won them.

The LLMOps core reads preferences only through ``preference_outcomes`` (plain counts).
"""

from __future__ import annotations

import random
from collections import defaultdict
from itertools import combinations
from typing import Any

from django.db.models import Count, Max, Q

from annotate.models import PairwisePreference, Queue
from llmops_core.models import ModelOutput

MAX_PAIRS = 5000


def queue_pairs(*, queue: Queue) -> list[tuple[int, int]]:
    """Return the queue's pairs (a < b): outputs of different versions of one prompt, same input."""
    rows = (
        ModelOutput.objects.filter(queue_items__queue=queue, prompt_version__isnull=False)
        .values_list("id", "input_hash", "prompt_version_id", "prompt_version__template_id")
        .order_by("id")
    )
    groups: dict[tuple[str, int], list[tuple[int, int]]] = defaultdict(list)
    for pk, digest, version, template in rows:
        groups[(digest, template)].append((pk, version))
    pairs = []
    for members in groups.values():
        for (a, va), (b, vb) in combinations(members, 2):
            if va != vb:
                pairs.append((min(a, b), max(a, b)))
    return sorted(set(pairs))[:MAX_PAIRS]


def queue_has_pairs(*, queue: Queue) -> bool:
    """Return whether the queue offers any pair: one input answered by two versions of a prompt."""
    return (
        ModelOutput.objects.filter(queue_items__queue=queue, prompt_version__isnull=False)
        .values("input_hash", "prompt_version__template_id")
        .annotate(versions=Count("prompt_version_id", distinct=True))
        .filter(versions__gt=1)
        .exists()
    )


def next_pair(*, queue: Queue, reviewer: Any) -> tuple[tuple[int, int] | None, int, int]:
    """Return the reviewer's next unjudged pair (in an order of their own), done and total.

    Each reviewer walks the pairs in a shuffled order seeded by queue and reviewer, so
    reviewers do not all see the same pairs first and a reload shows the same pair.
    """
    pairs = queue_pairs(queue=queue)
    done = set(
        PairwisePreference.objects.filter(queue=queue, reviewer=reviewer).values_list(
            "output_a_id", "output_b_id"
        )
    )
    order = list(pairs)
    random.Random(f"{queue.pk}:{reviewer.pk}").shuffle(order)
    pending = next((p for p in order if p not in done), None)
    return pending, len(done & set(pairs)), len(pairs)


def pair_outputs(*, queue: Queue, ids: tuple[int, int]) -> list[ModelOutput]:
    """Return the two outputs of a pair, if both are in the queue (else fewer)."""
    return list(
        ModelOutput.objects.filter(queue_items__queue=queue, pk__in=ids)
        .select_related("prompt_version")
        .distinct()
    )


def preference_outcomes(*, candidate_id: int, baseline_id: int) -> dict[str, Any]:
    """Return the candidate's wins, ties and losses against the baseline in human preferences.

    Overall and per criterion (where reviewers gave one), the preference ids behind them, and
    how often the output shown on the left was chosen (position bias).
    """
    rows = PairwisePreference.objects.filter(
        Q(output_a__prompt_version_id=candidate_id, output_b__prompt_version_id=baseline_id)
        | Q(output_a__prompt_version_id=baseline_id, output_b__prompt_version_id=candidate_id)
    ).values_list("id", "output_a__prompt_version_id", "choice", "criteria", "shown_left")
    result: dict[str, Any] = {
        "n": 0,
        "wins": 0,
        "ties": 0,
        "losses": 0,
        "criteria": {},
        "ids": [],
        "left_chosen": 0,
        "decided": 0,
    }
    per_criterion: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for pk, a_version, choice, criteria, shown_left in rows.order_by("id"):
        mine = "A" if a_version == candidate_id else "B"
        result["ids"].append(pk)
        result["n"] += 1
        result[_outcome(choice, mine)] += 1
        if choice != "tie":
            result["decided"] += 1
            result["left_chosen"] += int(choice == shown_left)
        for name, value in (criteria or {}).items():
            per_criterion[name][("wins", "ties", "losses").index(_outcome(value, mine))] += 1
    result["criteria"] = {name: tuple(counts) for name, counts in sorted(per_criterion.items())}
    return result


def _outcome(choice: str, mine: str) -> str:
    if choice == "tie":
        return "ties"
    return "wins" if choice == mine else "losses"


def preference_fingerprint(*, version_id: int) -> dict[str, Any]:
    """Return the count and last id of preferences involving the version's outputs."""
    rows = PairwisePreference.objects.filter(
        Q(output_a__prompt_version_id=version_id) | Q(output_b__prompt_version_id=version_id)
    )
    return rows.aggregate(n=Count("id"), max_id=Max("id"))
