"""Support of the whole-study browser test: the two import files and rating a queue by keyboard.

Two files share twelve questions; v1's answers are deliberately worse. Each reviewer scores
what the rating page serves, looked up by the item the page names: v1 gets 2 or 3, v2 gets 4
or 5 on every criterion (a small wobble per reviewer and question keeps agreement measurable).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from annotate.models import Annotation
from tests.browser.conftest import eventually

QUESTIONS = [
    "Can I take a power bank on a plane?",
    "Do I need a visa for a two-day layover?",
    "How early should I be at the airport?",
    "Can I change my seat after check-in?",
    "What if my luggage is lost?",
    "Is travel insurance worth it?",
    "Can I bring food through security?",
    "How do I get a refund for a cancelled flight?",
    "Are pets allowed in the cabin?",
    "What is the liquids limit in hand luggage?",
    "Can I travel with an expired passport?",
    "How do I add a bag after booking?",
]
ANSWERS = {
    1: "Not sure, check somewhere.",
    2: "Yes, as described in the airline's rules: check the limits, then plan ahead.",
}


def import_file(folder: Path, version: int) -> Path:
    """Write the JSON Lines file of version ``version``'s answers to every question."""
    rows = [
        {
            "external_id": f"v{version}-q{n}",
            "input": {"question": question},
            "output": f"{question} {ANSWERS[version]}",
            "prompt": "travel-faq",
            "prompt_version": version,
            "model": "m-1",
        }
        for n, question in enumerate(QUESTIONS)
    ]
    path = folder / f"travel-faq-v{version}.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    return path


def scores_for(version: int, question: int, reviewer: int, criteria: int) -> list[int]:
    """Return one score per criterion: v1 low (2-3), v2 high (4-5)."""
    low = 2 if version == 1 else 4
    return [low + (question + reviewer + c) % 2 for c in range(criteria)]


def item_label(page: Any) -> int:
    """Wait for an item to rate and return its id, as the page names it."""
    page.wait_for_selector('#rate-app[data-state="rate"]')
    return int(page.locator('[data-field="item-label"]').inner_text().split()[-1])


def next_item(page: Any, before: int) -> int:
    """Wait until the page shows an item other than ``before``; return its id."""
    page.wait_for_function(
        "before => { const el = document.querySelector('[data-field=\"item-label\"]');"
        " return el && el.textContent !== 'item ' + before; }",
        arg=before,
    )
    return item_label(page)


def rate_everything(
    page: Any, url: str, reviewer: tuple[int, Any], arms: dict[int, tuple[int, int]]
) -> list[tuple[int, int]]:
    """Rate every item the page serves with the keyboard only; return them, as ``arms`` does.

    ``url`` is the queue's rating page; ``reviewer`` is (its index, its user); ``arms`` maps
    an item id to (version number, question index).
    """
    number, user = reviewer
    page.goto(url)
    criteria = page.locator(".crit").count()
    served: list[tuple[int, int]] = []
    item = item_label(page)
    for turn in range(len(arms)):
        version, question = arms[item]
        served.append((version, question))
        for score in scores_for(version, question, number, criteria):
            page.keyboard.press(str(score))
        page.keyboard.press("Enter")
        if turn < len(arms) - 1:
            item = next_item(page, item)
    eventually(lambda: Annotation.objects.filter(reviewer=user).count() == len(arms))
    return served
