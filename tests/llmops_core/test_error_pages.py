"""The 403, 404 and 500 pages are styled pages of the site, and the 500 page needs nothing.

403 and 404 extend the site's layout (signed-in users keep their navigation). The 500 page is
rendered without a request context, so it must not need the database, a context processor or
URL reversing: whatever failed may be one of those.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

from annotate.models import Queue
from llmops_core.models import Role
from tests.annotate.helpers import make_queue

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_404_is_a_styled_page_of_the_site(make_member: Callable[..., Any]) -> None:
    user = make_member(Role.REVIEWER, "rev")
    page = _client(user).get("/p/no-such-project/queues/1/")
    assert page.status_code == 404
    html = page.content.decode()
    assert "Page not found" in html and 'class="topbar"' in html and "css/app.css" in html
    assert "rev" in html, "the signed-in user keeps the site's header"
    assert "Resolver404" not in _client(user).get("/nowhere/").content.decode()


def test_403_is_a_styled_page_saying_why(project: Any, make_member: Callable[..., Any]) -> None:
    reviewer = make_member(Role.REVIEWER, "rev")
    lead = make_member(Role.LEAD, "boss")
    queue: Queue = make_queue(project, items=2, reviewers=[reviewer])
    page = _client(lead).get(reverse("queue-pairwise", args=[project.slug, queue.pk]))
    assert page.status_code == 403
    html = page.content.decode()
    assert "You can't open this page" in html and 'class="topbar"' in html
    assert "not a reviewer of this queue" in html


def test_500_renders_without_database_or_context(django_assert_num_queries: Any) -> None:
    request = RequestFactory().get("/anything/")
    with django_assert_num_queries(0):
        response = server_error(request)
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html and "<style>" in html
    assert "{%" not in html and "{{" not in html
