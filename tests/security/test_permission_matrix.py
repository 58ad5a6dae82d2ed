"""The permission matrix: every URL of the URL conf x every role x every verb.

The cases are generated from the URL conf (``django.urls.get_resolver()``, includes followed)
and checked against the rules in ``tests/security/permission_rules.py``, on one shared world
(``tests/security/world.py``) built once for the module; each case runs in its own savepoint.

Adding a URL? Add its rule to ``RULES`` in ``permission_rules.py``, keyed by the URL name:
``"my-page": page(GET=LEADS, kwargs={"pk": pk("report")})`` for an HTML view,
``"api-my-thing": api(GET=MEMBERS, POST=LEADS)`` for a DRF endpoint. List the verbs the view
serves with the roles allowed for each (``ANYONE``, ``LOGGED_IN``, ``MEMBERS``,
``ADJUDICATORS``, ``LEADS``, ``ADMINS``, ``QUEUE_REVIEWER``, ...); fill each URL kwarg from the
world (``pk("attribute")`` or a function of the world; ``project_slug`` is filled for you), and
give a body per unsafe verb when an empty one would not reach the permission check. Until the
rule exists, ``test_every_url_has_a_rule`` fails and names the URL.

What each case expects:
- allowed: 2xx, or 3xx to anything but a login page (or a status the rule's ``ok`` lists);
- denied: 403/404 for a logged-in user, 401/403 for an anonymous API call, a redirect to the
  login page for an anonymous HTML request; never 2xx, never 5xx;
- a verb the view does not serve: 405 or a denial from a DRF endpoint; from an HTML view, 405
  with an ``Allow`` header naming exactly the verbs its rule lists (and HEAD with GET), checked
  apart by ``test_html_views_refuse_verbs_they_do_not_serve``.
Which roles a verb is checked for: see ``_roles`` (every role for the verbs a view serves).
Responses to anonymous visitors, outsiders, staff and the reviewer never contain the world's
markers (the items' model and prompt, the other reviewer, their comments and their queue).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse

import pytest
from django.conf import settings
from django.db import transaction
from django.http import HttpResponseBase
from django.shortcuts import resolve_url
from django.test import Client, override_settings
from django.urls import reverse

from annotate.services.queues import queue_update
from tests.security.permission_rules import (
    RULES,
    VERBS,
    Rule,
    admin_kwargs,
    rule_for,
    unnamed_rule_for,
)
from tests.security.urlconf import Endpoint, endpoints, view_class
from tests.security.world import (
    BLIND,
    PEER,
    ROLES,
    SECRET_COMMENT,
    SECRET_MODEL,
    SECRETS,
    TEMPLATE,
    World,
    build_world,
)

REDIRECTS = (301, 302, 303, 307, 308)
# Roles that must never see the blind markers (leads, admins and adjudicators may).
BLINDED = ("anonymous", "outsider", "staff", "reviewer")


@dataclass(frozen=True)
class Case:
    endpoint: Endpoint
    rule: Rule
    role: str
    verb: str

    @property
    def id(self) -> str:
        return f"{self.endpoint.key}-{self.role}-{self.verb}"


def _rule(endpoint: Endpoint) -> Rule | None:
    if endpoint.name is None:
        return unnamed_rule_for(endpoint.route)
    return rule_for(endpoint.name)


# One role of each kind a permission check tells apart, in the order they are tried.
NON_MEMBERS = ("outsider", "staff")
MEMBERS_UP = ("reviewer", "adjudicator", "lead", "admin", "superuser")


def _html(rule: Rule) -> bool:
    """Return whether the rule is one of the app's HTML views (not the API, not the admin)."""
    return not (rule.api or rule.admin_site)


def _roles(rule: Rule, verb: str) -> tuple[str, ...]:
    """Return the roles a verb is checked for.

    Every verb the view serves: every role (or the rule's own narrower list, with its reason).
    HEAD, which only repeats GET: one role of each kind GET tells apart, so that no HEAD slips
    past the check: an anonymous visitor, a non-member, the highest member GET denies and the
    lowest it allows. A verb the view does not serve: as the first role allowed on the URL, who
    gets past every check and must meet the 405 (anyone else meets it, or a denial, sooner).
    """
    if rule.roles != ROLES or (rule.served(verb) and verb != "HEAD"):
        return rule.roles
    if rule.served(verb):
        allowed = rule.verbs["GET"]
        denied = [r for r in reversed(MEMBERS_UP) if r not in allowed]
        lowest = [r for r in MEMBERS_UP if r in allowed]
        picked = {"anonymous", NON_MEMBERS[0], *denied[:1], *lowest[:1]}
    else:
        allowed_somewhere = frozenset().union(*rule.verbs.values())
        picked = {next(r for r in ROLES if r in allowed_somewhere)}
    return tuple(r for r in ROLES if r in picked)


def _cases() -> tuple[list[Case], list[Case]]:
    """Return the matrix's cases, and apart the HTML views' verbs that must answer 405."""
    cases: list[Case] = []
    refusals: list[Case] = []
    for endpoint in endpoints():
        rule = _rule(endpoint)
        if rule is None:
            continue  # test_every_url_has_a_rule names it
        # The admin's gate is the same for every verb: GET stands for all of them.
        for verb in ("GET",) if rule.admin_site else VERBS:
            into = refusals if _html(rule) and not rule.served(verb) else cases
            into += [Case(endpoint, rule, role, verb) for role in _roles(rule, verb)]
    return cases, refusals


CASES, REFUSALS = _cases()


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("security-media")


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any, media_dir: Path) -> Iterator[World]:
    """Build the world once, in a transaction that stays open for the module; roll it back."""
    # Sessions in signed cookies: each case's request skips one query, and the sessions (made
    # by a real login) are not rows a case could delete.
    options = {
        "MEDIA_ROOT": media_dir,
        "SESSION_ENGINE": "django.contrib.sessions.backends.signed_cookies",
    }
    with django_db_blocker.unblock(), override_settings(**options), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _media_root() -> None:
    """Replace the per-test media folder: ``world`` sets the module's for every case."""


@pytest.fixture
def db(world: World) -> Iterator[None]:
    """Undo whatever a case writes: a savepoint inside the module's transaction.

    This replaces pytest-django's ``db`` in this module (its name still makes pytest-django
    create the test database): a TestCase per case would cost more than most requests do.
    """
    with transaction.atomic():
        yield
        transaction.set_rollback(True)
    world.restore_files()


def test_every_url_has_a_rule() -> None:
    """A URL without a rule (a new view, a renamed one) fails here, named."""
    missing = [
        f"no permission rule for URL name {e.name!r} (pattern {e.route!r}): add one to "
        "tests/security/permission_rules.py"
        if e.name
        else f"URL pattern {e.route!r} has no name: name it and add a rule to "
        "tests/security/permission_rules.py"
        for e in endpoints()
        if _rule(e) is None
    ]
    assert not missing, "\n".join(missing)


def test_every_rule_names_a_url() -> None:
    """A rule for a URL name that no longer exists is stale: remove or rename it."""
    names = {e.name for e in endpoints()}
    stale = [
        f"permission rule for URL name {name!r}, which the URL conf no longer has: remove "
        "it from tests/security/permission_rules.py"
        for name in RULES
        if name not in names
    ]
    assert not stale, "\n".join(stale)


def test_url_names_are_unique() -> None:
    """Two patterns under one name would leave one of them untested."""
    names = [e.name for e in endpoints() if e.name is not None]
    twice = sorted({n for n in names if names.count(n) > 1})
    assert not twice, f"URL names used by more than one pattern: {twice}"


def test_api_rules_list_exactly_the_verbs_the_view_serves() -> None:
    """A method added to a DRF view without a rule for it fails here."""
    wrong = []
    for endpoint in endpoints():
        cls, rule = view_class(endpoint), _rule(endpoint)
        if cls is None or rule is None or rule.admin_site or not hasattr(cls, "allowed_methods"):
            continue
        served = set(cls().allowed_methods) - {"OPTIONS", "HEAD"}
        listed = set(rule.verbs) - {"HEAD"}
        if served != listed:
            wrong.append(
                f"{endpoint.key}: the view serves {sorted(served)}, the rule lists {sorted(listed)}"
            )
    assert not wrong, "\n".join(wrong)


def _client(world: World, role: str) -> Client:
    client = Client()
    if role != "anonymous":
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
    return client


def _send(client: Client, case: Case, path: str, body: Any) -> HttpResponseBase:
    verb = case.verb
    if verb in ("GET", "HEAD"):
        return getattr(client, verb.lower())(path)
    if case.rule.api and not case.rule.form_body:
        return getattr(client, verb.lower())(
            path, json.dumps(body or {}), content_type="application/json"
        )
    if verb == "POST":
        return client.post(path, body or {})
    return getattr(client, verb.lower())(
        path, urlencode(body or {}), content_type="application/x-www-form-urlencoded"
    )


def _location(response: HttpResponseBase) -> str:
    return urlparse(response.get("Location", "")).path


def _describe(response: HttpResponseBase) -> str:
    if response.status_code in REDIRECTS:
        return f"{response.status_code} to {response.get('Location')}"
    if getattr(response, "streaming", False):
        return f"{response.status_code} (streamed)"
    return f"{response.status_code}: {response.content[:300]!r}"


def _login_path(case: Case) -> str:
    return case.rule.denial_redirect or resolve_url(settings.LOGIN_URL)


def _is_denial(case: Case, response: HttpResponseBase) -> bool:
    status = response.status_code
    if case.rule.admin_site or (case.role == "anonymous" and not case.rule.api):
        return status in REDIRECTS and _location(response) == _login_path(case)
    if case.role == "anonymous":
        return status in (401, 403)
    return status in (403, 404)


def _is_allowed(case: Case, response: HttpResponseBase) -> bool:
    status = response.status_code
    listed = case.rule.ok.get(case.verb)
    if listed is not None and status == listed[0]:
        return True
    if status in REDIRECTS:
        return _location(response) != _login_path(case)
    if case.rule.admin_site:
        # Past the staff gate: what staff may then do is the model permissions' business.
        return status < 500
    return 200 <= status < 300


def _check_secrets(case: Case, response: HttpResponseBase, allowed: bool) -> None:
    if case.role not in BLINDED or getattr(response, "streaming", False):
        return
    text = response.content.decode("utf-8", "replace")
    markers = BLIND if case.role == "reviewer" and allowed else SECRETS
    if case.rule.lists_accounts:
        markers = tuple(m for m in markers if m != PEER)
    leaked = [m for m in markers if m in text]
    assert not leaked, f"{case.verb} {case.endpoint.key} as {case.role} shows {leaked}"


def _path(case: Case, world: World) -> str:
    endpoint, rule = case.endpoint, case.rule
    kwargs = (
        admin_kwargs(endpoint.route, list(endpoint.params), world)
        if rule.admin_site
        else rule.url_kwargs(world, list(endpoint.params))
    )
    return endpoint.path(kwargs) + rule.query


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_permission(case: Case, world: World, db: None) -> None:
    """One URL, one role, one verb: the outcome the rules table gives, and no blind markers."""
    rule = case.rule
    path = _path(case, world)
    who = rule.who(case.verb)
    response = _send(_client(world, case.role), case, path, rule.payload(case.verb, world))
    try:
        where = f"{case.verb} {path} as {case.role}"
        if who is None:
            assert response.status_code == 405 or _is_denial(case, response), (
                f"{where}: the view does not serve {case.verb}, so 405 or a denial was "
                f"expected; got {_describe(response)}"
            )
        elif case.role in who:
            assert _is_allowed(case, response), (
                f"{where}: allowed by the rule, got {_describe(response)}"
            )
        else:
            assert _is_denial(case, response), (
                f"{where}: the rule denies it ({_denial_text(case)}), got {_describe(response)}"
            )
        _check_secrets(case, response, allowed=who is not None and case.role in who)
    finally:
        _finish(response)


@pytest.mark.parametrize("case", REFUSALS, ids=[c.id for c in REFUSALS])
def test_html_views_refuse_verbs_they_do_not_serve(case: Case, world: World, db: None) -> None:
    """An HTML view answers a verb its rule does not list with 405, and ``Allow`` names the rest.

    The verb is sent as the first role allowed on the URL, who gets past the login and role
    checks: a view that rendered its GET page (or ran its POST) for it would answer 2xx or 3xx.
    """
    path = _path(case, world)
    response = _send(_client(world, case.role), case, path, case.rule.payload(case.verb, world))
    try:
        where = f"{case.verb} {path} ({case.endpoint.key}) as {case.role}"
        served = sorted(v for v in VERBS if case.rule.served(v))
        assert response.status_code == 405, (
            f"{where}: the rule lists only {served}, so 405 was expected; got "
            f"{_describe(response)[:60]}. Restrict its methods (require_safe, require_POST, "
            "require_http_methods, or http_method_names on a class), or list the verb in its "
            "rule in tests/security/permission_rules.py"
        )
        allow = sorted({m.strip() for m in response.get("Allow", "").split(",")} - {"", "OPTIONS"})
        assert allow == served, (
            f"{where}: 405 with Allow {response.get('Allow')!r}, but the rule lists {served}: "
            "HEAD goes with GET (require_safe, not require_GET), and the rule lists every verb "
            "the view serves"
        )
    finally:
        _finish(response)


def _finish(response: HttpResponseBase) -> None:
    """Read a streamed body to its end, which closes it (the test client's wrapper does).

    Closing a response by hand would fire ``request_finished`` and close the connection that
    holds the module's open transaction.
    """
    if getattr(response, "streaming", False):
        for _ in response.streaming_content:  # type: ignore[attr-defined]
            pass


def _denial_text(case: Case) -> str:
    if case.rule.admin_site:
        return "redirect to the admin login"
    if case.role == "anonymous":
        return "401/403" if case.rule.api else "redirect to the login page"
    return "403/404"


# --- blind review, at the HTTP level ---------------------------------------------------------
# Also held elsewhere: tests/annotate/test_api.py (next item on a small queue),
# tests/annotate/test_pages.py (the rating page), tests/annotate/test_permissions.py (another
# reviewer's annotation is a 404). The matrix above sweeps every response a reviewer may get
# for the markers; these tests make sure that sweep has something to find.
REPORTS_AND_EXPORTS = re.compile(r"report|export|scorecard|comparison|judge-run")


def test_next_item_hides_model_prompt_and_peer_ratings_that_an_open_queue_shows(
    world: World, db: None
) -> None:
    """The reviewer's next item was rated by the peer: blind, none of it shows; open, it does."""
    client = _client(world, "reviewer")
    url = reverse("api-queue-next", args=[world.slug, world.queue.pk])
    blind = client.post(url, "{}", content_type="application/json")
    assert blind.status_code == 200, blind.content[:300]
    payload = blind.json()["next"]
    assert payload["item"] == world.leased.pk == world.theirs.item_id
    assert not {"context", "others"} & set(payload), sorted(payload)
    shown = [m for m in BLIND if m in blind.content.decode()]
    assert not shown, f"the blind next item shows {shown}"

    queue_update(queue=world.queue, changes={"blind": False})
    open_ = client.post(url, "{}", content_type="application/json").content.decode()
    assert all(m in open_ for m in (SECRET_MODEL, SECRET_COMMENT, TEMPLATE)), open_[:500]


def test_the_rules_never_let_a_reviewer_near_reports_or_exports() -> None:
    """Every report and export URL, HTML or API, is refused to reviewers whatever the verb."""
    names = [e.name for e in endpoints() if e.name and REPORTS_AND_EXPORTS.search(e.name)]
    assert len(names) > 20, names  # the pattern still finds them
    granted = [
        f"{name} {verb}"
        for name in names
        for verb in VERBS
        if "reviewer" in (_rule_of(name).who(verb) or ())
    ]
    assert not granted, f"the rules let reviewers use {granted}"


def _rule_of(name: str) -> Rule:
    rule = rule_for(name)
    assert rule is not None, f"no permission rule for URL name {name!r}"
    return rule
