"""The HTML pages: rating page, queue page, home page, new-queue form, safe rendering."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from annotate.models import Queue
from annotate.rendering import input_view, render_markdown
from annotate.services.demo import demo_seed
from annotate.services.queues import queue_update
from annotate.services.submit import annotation_skip
from llmops_core.models import ModelOutput
from tests.annotate.helpers import make_queue, rate_next

pytestmark = pytest.mark.django_db

XSS = (
    '<script>window.__xss=1</script> <img src=x onerror="window.__xss=1"> [x](javascript:alert(1))'
)


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_markdown_shows_raw_html_as_text_and_keeps_code_blocks() -> None:
    html = render_markdown(XSS + "\n\n```js\nif (a < b) {}\n```\n\n**bold**")
    assert "<script" not in html and "<img" not in html and "javascript:" not in html
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html
    assert '<code class="language-js">if (a &lt; b) {}' in html
    assert "<strong>bold</strong>" in html


def test_inputs_become_messages_variables_or_text() -> None:
    chat = input_view(
        {
            "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
            "locale": "en",
        }
    )
    assert chat["messages"] == [{"role": "user", "html": "<p>Hi</p>"}]
    assert chat["variables"] == [["locale", "en"]]
    variables = input_view({"question": XSS, "n": 3})
    assert variables["variables"] == [["question", XSS], ["n", "3"]]  # the page escapes them
    assert input_view("plain *text*")["html"] == "<p>plain <em>text</em></p>"


def test_rating_page_has_no_inline_script_or_style_and_stays_blind(
    project: Any, reviewers: list[Any]
) -> None:
    queue = make_queue(project, items=2, reviewers=reviewers, guidelines="Check **facts**. " + XSS)
    ModelOutput.objects.filter(queue_items__queue=queue).update(model_name="secret-model")
    response = logged_in(reviewers[0]).get(reverse("queue-rate", args=[project.slug, queue.pk]))
    html = response.content.decode()
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert all('type="application/json"' in attrs for attrs in scripts), scripts
    assert " style=" not in html and " onclick=" not in html
    assert "<strong>facts</strong>" in html and "&lt;script&gt;window.__xss" in html
    assert "secret-model" not in html
    config = json.loads(
        re.search(r'id="rate-config" type="application/json">(.*?)</script>', html, re.S).group(1)
    )
    assert [c["name"] for c in config["rubric"]["criteria"]] == [
        "fluency",
        "relevance",
        "factuality",
    ]
    assert config["rubric"]["criteria"][0]["anchors"]["5"].startswith("Polished")
    assert 'data-anchor="Unreadable' in html


def test_lead_queue_page_shows_progress_skips_and_flags_per_reviewer(
    queue: Queue, reviewers: list[Any], lead: Any
) -> None:
    rate_next(queue, reviewers[0], flags=["unsafe"], scores={})
    rate_next(queue, reviewers[1])
    from annotate.services.assignment import assignment_claim_next

    item = assignment_claim_next(queue=queue, reviewer=reviewers[2]).assignment.item
    annotation_skip(item=item, reviewer=reviewers[2], reason="no idea")
    html = logged_in(lead).get(reverse("queue-detail", args=[queue.project.slug, queue.pk]))
    text = re.sub(r"\s+", " ", html.content.decode())
    assert "<td>rev1</td><td>1</td><td>1</td>" in text  # done, today
    assert re.search(
        r"<td>rev3</td><td>0</td><td>0</td> <td><span class=\"muted\">—</span></td> "
        r"<td>1</td><td>0</td>",
        text,
    )
    assert "Flagged items</dt><dd>1</dd>" in text and "Skips</dt><dd>1</dd>" in text


def test_reviewer_queue_page_has_no_reviewer_table(queue: Queue, reviewers: list[Any]) -> None:
    html = (
        logged_in(reviewers[0])
        .get(reverse("queue-detail", args=[queue.project.slug, queue.pk]))
        .content.decode()
    )
    assert "Start rating" in html and "reviewer-table" not in html


def test_home_lists_my_queues_with_progress(queue: Queue, reviewers: list[Any]) -> None:
    rate_next(queue, reviewers[0])
    html = logged_in(reviewers[0]).get(reverse("home")).content.decode()
    assert queue.name in html and "you rated 1" in html and "0 of 5 items done" in html
    assert reverse("queue-rate", args=[queue.project.slug, queue.pk]) in html
    queue_update(queue=queue, changes={"status": "closed"})
    html = logged_in(reviewers[0]).get(reverse("home")).content.decode()
    assert reverse("queue-rate", args=[queue.project.slug, queue.pk]) not in html


def test_lead_creates_a_queue_from_the_form(project: Any, lead: Any, reviewers: list[Any]) -> None:
    outputs = make_queue(project, items=3).items.values_list("output_id", flat=True)
    client = logged_in(lead)
    url = reverse("queue-new", args=[project.slug])
    form = client.get(url).content.decode()
    version = re.search(r'<option value="(\d+)"[^>]*selected', form).group(1)
    response = client.post(
        url,
        {
            "name": "From the form",
            "rubric_version": version,
            "overlap": 2,
            "disagreement_threshold": 2,
            "blind": "on",
            "lease_minutes": 15,
            "reviewers": [r.pk for r in reviewers[:2]],
            "output_ids": " ".join(str(o) for o in outputs),
        },
    )
    queue = Queue.objects.get(name="From the form")
    assert response.status_code == 302 and response["Location"].endswith(f"/queues/{queue.pk}/")
    assert queue.item_count == 3 and queue.reviewers.count() == 2 and queue.overlap == 2
    empty = client.post(
        url, {"name": "Nothing", "rubric_version": version, "overlap": 2, "lease_minutes": 15}
    )
    assert "Choose the outputs" in empty.content.decode()


def test_demo_seed_rates_two_thirds_and_is_idempotent() -> None:
    summary = demo_seed()
    queue = Queue.objects.get(project=summary.project, name="Support replies")
    assert queue.item_count == 150 and queue.gold_count >= 3
    assert 95 <= queue.complete_count <= 110
    assert summary.ratings_created == queue.review_count > 250
    again = demo_seed()
    queue.refresh_from_db()
    assert again.ratings_created == 0 and again.outputs_created == 0
    assert queue.review_count == summary.ratings_created
    assert queue.items.filter(leased_count__gt=0).count() == 0
