"""Who may use which URL with which verb: the table the permission matrix checks.

One ``Rule`` per URL name of the URL conf (Django admin's URLs: one rule per kind, matched by
name). A rule names the roles allowed per served verb and how to fill the URL's kwargs from the
shared world (``tests/security/world.py``). HEAD follows GET. List exactly the verbs the view
serves: an HTML view answers every other verb with 405 and an ``Allow`` header naming the listed
ones (``require_safe``, ``require_http_methods``, ``require_POST``, ``http_method_names``); a DRF
endpoint answers 405 or a denial.

Roles (see ``world.ROLES``): anonymous; outsider (a member of other projects only); reviewer
(of the project, and one of the queue's two reviewers); adjudicator, lead and admin of the
project (none of them in the queue); staff (Django staff, no membership); superuser (no
membership: an admin of every project).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType

from llmops_core.services.users import invitation_create
from tests.security.world import ROLES, SLUG, TEMPLATE, World

Who = frozenset[str]

ANYONE: Who = frozenset(ROLES)
LOGGED_IN: Who = ANYONE - {"anonymous"}
STAFF: Who = frozenset({"staff", "superuser"})
ADMINS: Who = frozenset({"admin", "superuser"})
LEADS: Who = ADMINS | {"lead"}
ADJUDICATORS: Who = LEADS | {"adjudicator"}
MEMBERS: Who = ADJUDICATORS | {"reviewer"}
# Only the queue's own reviewer rates in it: not its leads, not a superuser.
QUEUE_REVIEWER: Who = frozenset({"reviewer"})
# A queue is visible to its reviewers and to adjudicators and above.
QUEUE_READERS: Who = ADJUDICATORS | QUEUE_REVIEWER
# The world's API token is the reviewer's: nobody else may revoke it, not even an admin.
TOKEN_OWNER: Who = frozenset({"reviewer"})

VERBS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
Value = Callable[[World], Any] | Any


@dataclass(frozen=True)
class Rule:
    """The roles allowed per verb of one URL name, and how to build a request to it.

    ``ok`` gives, per verb, one more status that counts as allowed for an allowed role, with
    the reason (e.g. 400: the role check passed and the empty form was refused). Denials never
    count as allowed: 401, 403 and 404 cannot be listed. ``form_body``: unsafe verbs send a form
    (multipart), not JSON.
    ``roles`` narrows the roles checked, with ``why``.
    """

    verbs: Mapping[str, Who]
    api: bool
    kwargs: Mapping[str, Value] = field(default_factory=dict)
    query: str = ""
    body: Mapping[str, Value] = field(default_factory=dict)
    ok: Mapping[str, tuple[int, str]] = field(default_factory=dict)
    form_body: bool = False
    admin_site: bool = False
    denial_redirect: str = ""
    roles: tuple[str, ...] = ROLES
    why: str = ""
    # The instance's list of accounts (for staff) names every user, the queue's peer too;
    # it says nothing of projects, queues or ratings, which the other markers still check.
    lists_accounts: bool = False

    def __post_init__(self) -> None:
        for verb in self.verbs:
            assert verb in VERBS, f"unknown verb {verb}"
        for verb, (status, _) in self.ok.items():
            assert status not in (401, 403, 404), f"{verb}: {status} is a denial, not allowed"
        assert self.roles == ROLES or self.why, "say why the rule checks only some roles"

    def served(self, verb: str) -> bool:
        """Return whether the view handles ``verb`` itself (HEAD follows GET)."""
        return verb in self.verbs or (verb == "HEAD" and "GET" in self.verbs)

    def who(self, verb: str) -> Who | None:
        """Return the roles allowed to use ``verb``, or None if it must answer 405."""
        if verb in self.verbs:
            return self.verbs[verb]
        if self.served(verb):
            return self.verbs["GET"]
        return None

    def url_kwargs(self, world: World, params: list[str]) -> dict[str, Any]:
        values = {"project_slug": SLUG, **self.kwargs}
        missing = [p for p in params if p not in values]
        assert not missing, f"the rule gives no value for {missing}"
        return {p: _value(values[p], world) for p in params}

    def payload(self, verb: str, world: World) -> Any:
        return _value(self.body.get(verb), world)


def _value(value: Value, world: World) -> Any:
    return value(world) if callable(value) else value


def page(**options: Any) -> Rule:
    """Return the rule of an HTML view; verbs are keyword arguments (``GET=LEADS``)."""
    return _rule(api=False, **options)


def api(**options: Any) -> Rule:
    """Return the rule of a DRF endpoint; verbs are keyword arguments (``POST=LEADS``)."""
    return _rule(api=True, **options)


def _rule(*, api: bool, kwargs: Mapping[str, Value] | None = None, **options: Any) -> Rule:
    verbs = {k: options.pop(k) for k in VERBS if k in options}
    return Rule(verbs=verbs, api=api, kwargs=kwargs or {}, **options)


def pk(attribute: str) -> Callable[[World], int]:
    """Return a kwarg filler: the pk of the world's object ``attribute``."""
    return lambda w: getattr(w, attribute).pk


INGEST_KEY_ONLY = "sessions and tokens are not credentials here; a project's ingest key is"
EMPTY_FORM = (400, "the role check passed; the empty form is refused")
EMPTY_BODY = (400, "the role check passed; the empty body is refused")
EMPTY_QUERY = (400, "the role check passed; the plan's empty query is refused")
NAME = {"name": TEMPLATE}
REPORT = {"pk": pk("report")}
JUDGE = {"name": lambda w: w.judge.name}
JUDGE_RUN = {"pk": pk("judge_run")}
JUDGE_REPORT = {"pk": pk("judge_report")}


def drift_report(w: World) -> int:
    """Return a finished drift report of the world's project (made inside the case's savepoint)."""
    from llmops_core.models import JobStatus, Report, ReportKind

    report = Report.objects.create(
        project=w.project, kind=ReportKind.DRIFT, status=JobStatus.SUCCEEDED, results={}
    )
    return report.pk


DRIFT = {"pk": drift_report}
JUDGE_VERSION = {
    "name": lambda w: w.judge.name,
    "number": lambda w: w.judge_run.judge_version.number,
}
QUEUE = {"pk": pk("queue")}
RUBRIC = {"pk": lambda w: w.rubric_version.rubric_id}
LEASED = {"pk": pk("queue"), "item_id": pk("leased")}
RATED = {"pk": pk("queue"), "item_id": lambda w: w.mine.item_id}
SCORES = {"fluency": 3, "relevance": 3, "factuality": 3}
EXPORT = {"pk": pk("export_job")}
V1 = {"name": TEMPLATE, "number": 1}
OTLP_WHY = "sessions are not credentials here; an ingest key is (tests/traces)"
V2 = {"name": TEMPLATE, "number": 2}


def _submit(w: World) -> dict[str, Any]:
    """Return a submission with a new client token (a reused one would be a retry)."""
    return {"client_token": str(uuid.uuid4()), "scores": SCORES}


# The reviewer's membership of the project (removing it is undone with the case).
MEMBER = {"pk": lambda w: w.project.memberships.get(user=w.users["reviewer"]).pk}


def _invitation(w: World) -> tuple[Any, str]:
    """Return a new open invitation and its token (made inside the case, undone with it)."""
    return invitation_create(actor=w.users["staff"])


def _alert_rule(w: World) -> Any:
    """Return an alert rule of the project (made inside the case, undone with it)."""
    from llmops_core.models import AlertRule

    rule, _ = AlertRule.objects.get_or_create(
        project=w.project,
        name="matrix",
        defaults={"metric": "requests", "window_seconds": 3600, "alert_threshold": 1},
    )
    return rule


def _alert_event(w: World) -> Any:
    """Return an alert event of the project's rule (made inside the case, undone with it)."""
    from django.utils import timezone

    now = timezone.now()
    return _alert_rule(w).events.create(
        from_state="ok", to_state="alert", window_start=now, window_end=now
    )


ALERT_RULE = {"pk": lambda w: _alert_rule(w).pk}
ALERT_EVENT = {"pk": lambda w: _alert_event(w).pk}


def _routing_rule(w: World) -> int:
    """Return the pk of a routing rule to the world's queue (made inside the case)."""
    from llmops_core.models import RoutingRule

    rule, _ = RoutingRule.objects.get_or_create(
        project=w.project, name="matrix-rule", defaults={"queue": w.queue}
    )
    return rule.pk


ROUTING_RULE = {"pk": _routing_rule}


RULES: dict[str, Rule] = {
    # --- accounts and home ---------------------------------------------------------------
    "home": page(GET=LOGGED_IN),
    "healthz": page(GET=ANYONE),
    "favicon": page(GET=ANYONE),
    "login": page(
        GET=ANYONE, POST=ANYONE, body={"POST": {"username": "perm-reviewer", "password": "pw"}}
    ),
    "logout": page(POST=ANYONE, ok={"POST": (302, "logged out, everyone goes to the login page")}),
    # An empty POST re-renders the form with its errors (200): nobody's password changes.
    "password-change": page(GET=LOGGED_IN, POST=LOGGED_IN),
    "tokens": page(GET=LOGGED_IN, POST=LOGGED_IN, body={"POST": {"name": "x"}}),
    "token-revoke": page(POST=TOKEN_OWNER, kwargs={"pk": lambda w: w.token_pk}),
    # --- projects, members, the instance's users, invitations ----------------------------
    "project-new": page(GET=STAFF, POST=STAFF, ok={"POST": EMPTY_FORM}),
    "members": page(GET=LEADS, POST=ADMINS, ok={"POST": EMPTY_FORM}),
    "member-role": page(POST=ADMINS, kwargs=MEMBER, ok={"POST": EMPTY_FORM}),
    "member-remove": page(POST=ADMINS, kwargs=MEMBER),
    "users": page(GET=STAFF, lists_accounts=True),
    "user-new": page(GET=STAFF, POST=STAFF, ok={"POST": EMPTY_FORM}),
    "invitation-revoke": page(POST=STAFF, kwargs={"pk": lambda w: _invitation(w)[0].pk}),
    # Whoever holds the link may open it, signed in or not; the empty form is refused.
    "invitation-accept": page(
        GET=ANYONE,
        POST=ANYONE,
        kwargs={"token": lambda w: _invitation(w)[1]},
        ok={"POST": EMPTY_FORM},
    ),
    # --- project pages -------------------------------------------------------------------
    "project": page(GET=MEMBERS),
    "audit-log": page(GET=LEADS),
    "ingest-keys": page(GET=LEADS, POST=LEADS, body={"POST": {"name": "matrix"}}),
    "monitoring": page(GET=LEADS),
    "monitoring-chart": page(GET=LEADS, kwargs={"fmt": "svg"}),
    "monitoring-download": page(GET=LEADS, kwargs={"fmt": "csv"}),
    "ingest-key-revoke": page(
        POST=LEADS,
        kwargs={"pk": pk("ingest_key")},
        ok={"POST": (302, "revoked; back to the ingest keys page")},
    ),
    "alert-rules": page(GET=LEADS),
    "alert-rule-new": page(GET=LEADS, POST=LEADS, ok={"POST": EMPTY_FORM}),
    "alert-rule": page(GET=LEADS, kwargs=ALERT_RULE),
    "alert-rule-edit": page(GET=LEADS, POST=LEADS, kwargs=ALERT_RULE, ok={"POST": EMPTY_FORM}),
    "alert-event-acknowledge": page(
        POST=LEADS,
        kwargs=ALERT_EVENT,
        ok={"POST": (302, "acknowledged; back to the rule's history")},
    ),
    "routing-rules": page(GET=LEADS),
    "routing-rule-new": page(GET=LEADS, POST=LEADS, ok={"POST": EMPTY_FORM}),
    "routing-rule-edit": page(GET=LEADS, POST=LEADS, kwargs=ROUTING_RULE, ok={"POST": EMPTY_FORM}),
    "routing-rule-pause": page(
        POST=LEADS, kwargs=ROUTING_RULE, ok={"POST": (302, "paused; back to the rules")}
    ),
    "routing-rule-history": page(GET=LEADS, kwargs=ROUTING_RULE),
    # The OTLP receivers take a project's ingest key, never a session: to them every role is
    # anonymous, and nobody gets in without a key (tests/traces cover keys and encodings).
    "otlp-traces": api(POST=frozenset(), roles=("anonymous",), why=OTLP_WHY),
    "project-dashboard": page(GET=LEADS),
    "import-upload": page(GET=LEADS, POST=LEADS),
    "prompt-list": page(GET=LEADS),
    "prompt-new": page(
        GET=LEADS,
        POST=LEADS,
        body={"POST": lambda w: {"name": f"matrix-{uuid.uuid4().hex[:12]}"}},
    ),
    "import-detail": page(GET=LEADS, kwargs={"pk": pk("import_job")}),
    "output-list": page(GET=LEADS),
    "output-detail": page(GET=LEADS, kwargs={"pk": lambda w: w.mine.item.output_id}),
    "import-create-prompts": page(
        POST=LEADS,
        kwargs={"pk": pk("import_job")},
        ok={"POST": (400, "the role check passed; the job named no missing prompt")},
    ),
    # --- agreement reports ---------------------------------------------------------------
    "report-list": page(GET=LEADS, POST=LEADS, body={"POST": lambda w: {"queue_id": w.queue.pk}}),
    "report-detail": page(GET=LEADS, kwargs=REPORT),
    "report-retry": page(POST=LEADS, kwargs={"pk": pk("failed_report")}),
    "report-recompute": page(POST=LEADS, kwargs=REPORT),
    "report-download": page(GET=LEADS, kwargs={**REPORT, "fmt": "json"}),
    "report-chart": page(GET=LEADS, kwargs={**REPORT, "name": "alpha", "fmt": "svg"}),
    "report-item": page(GET=LEADS, kwargs={**REPORT, **RATED}),
    # --- exports -------------------------------------------------------------------------
    "export-list": page(
        GET=LEADS, POST=LEADS, body={"POST": {"kind": "ratings", "format": "jsonl"}}
    ),
    "export-detail": page(GET=LEADS, kwargs=EXPORT),
    "export-download": page(GET=LEADS, kwargs=EXPORT),
    "export-datasheet": page(GET=LEADS, kwargs={**EXPORT, "fmt": "md"}),
    "export-cancel": page(POST=LEADS, kwargs=EXPORT),
    "export-delete": page(POST=LEADS, kwargs=EXPORT),
    # --- drift reports and judge re-checks ----------------------------------------------
    "drift-list": page(GET=LEADS, POST=LEADS),
    "drift-detail": page(GET=LEADS, kwargs=DRIFT),
    "drift-chart": page(GET=LEADS, kwargs={**DRIFT, "name": "lengths", "fmt": "svg"}),
    "judge-recheck": page(POST=LEADS, kwargs=JUDGE_VERSION),
    # --- judges --------------------------------------------------------------------------
    "judge-list": page(GET=LEADS, POST=LEADS),
    "judge-endpoint-new": page(POST=LEADS, ok={"POST": EMPTY_FORM}),
    "judge-detail": page(GET=LEADS, kwargs=JUDGE),
    "judge-version-new": page(POST=LEADS, kwargs=JUDGE),
    "judge-run-new": page(POST=LEADS, kwargs=JUDGE),
    "judge-run": page(GET=LEADS, kwargs=JUDGE_RUN),
    "judge-run-cancel": page(POST=LEADS, kwargs=JUDGE_RUN),
    "judge-run-calls": page(GET=LEADS, kwargs=JUDGE_RUN),
    "judge-run-report": page(POST=LEADS, kwargs=JUDGE_RUN),
    "judge-report": page(GET=LEADS, kwargs=JUDGE_REPORT),
    "judge-report-download": page(GET=LEADS, kwargs={**JUDGE_REPORT, "name": "report.json"}),
    "judge-report-chart": page(GET=LEADS, kwargs={**JUDGE_REPORT, "name": "heatmap", "fmt": "svg"}),
    "judge-report-item": page(
        GET=LEADS, kwargs={**JUDGE_REPORT, "item_id": lambda w: w.mine.item_id}
    ),
    "judge-calibration": page(GET=LEADS, kwargs=JUDGE),
    "judge-calibration-chart": page(
        GET=LEADS, kwargs={**JUDGE, "fmt": "svg"}, query="?criterion=fluency"
    ),
    # --- prompt versions, gate, promotions -----------------------------------------------
    "version-compare": page(GET=LEADS, kwargs=NAME),
    "version-compare-request": page(
        POST=LEADS, kwargs=NAME, body={"POST": {"candidate": 2, "baseline": 1}}
    ),
    "prompt-history": page(GET=LEADS, kwargs=NAME),
    "prompt-version-new": page(POST=LEADS, kwargs=NAME, ok={"POST": EMPTY_FORM}),
    "version-scorecard": page(GET=LEADS, kwargs=V1),
    "version-scorecard-request": page(POST=LEADS, kwargs=V1),
    "version-promote": page(POST=LEADS, kwargs=V2, ok={"POST": EMPTY_FORM}),
    "promotion-detail": page(GET=LEADS, kwargs={"pk": pk("promotion")}),
    "release-gate": page(GET=LEADS, POST=ADMINS, ok={"POST": EMPTY_FORM}),
    # --- the rubric: members read it, leads save new versions ----------------------------
    "rubric": page(GET=MEMBERS),
    "rubric-version": page(GET=MEMBERS, kwargs={**RUBRIC, "number": 1}),
    "rubric-edit": page(GET=LEADS, POST=LEADS, kwargs=RUBRIC, ok={"POST": EMPTY_FORM}),
    "version-report-chart": page(
        GET=LEADS, kwargs={"pk": pk("scorecard"), "name": "scorecard", "fmt": "svg"}
    ),
    "version-report-json": page(GET=LEADS, kwargs={"pk": pk("comparison")}),
    # --- datasets and generation ---------------------------------------------------------
    "dataset-list": page(GET=LEADS, POST=LEADS, ok={"POST": EMPTY_FORM}),
    "dataset-detail": page(
        GET=LEADS, POST=LEADS, kwargs={"pk": pk("dataset")}, ok={"POST": EMPTY_FORM}
    ),
    "generation-run": page(GET=LEADS, kwargs={"pk": pk("generation_run")}),
    "generation-run-cancel": page(POST=LEADS, kwargs={"pk": pk("generation_run")}),
    # --- queues and rating ---------------------------------------------------------------
    "queue-new": page(GET=LEADS, POST=LEADS, ok={"POST": EMPTY_FORM}),
    "queue-new-preview": page(GET=LEADS),
    "calibration-queue-new": page(GET=LEADS, POST=LEADS, ok={"POST": EMPTY_FORM}),
    "calibration-queue-preview": page(GET=LEADS, ok={"GET": EMPTY_QUERY, "HEAD": EMPTY_QUERY}),
    "queue-detail": page(GET=QUEUE_READERS, kwargs=QUEUE),
    "queue-rate": page(GET=QUEUE_REVIEWER, kwargs=QUEUE),
    "queue-adjudicate": page(GET=ADJUDICATORS, kwargs=QUEUE),
    # A lead's controls of a queue: the same roles as the API's reviewers, pins and gold.
    "queue-controls": page(GET=LEADS, kwargs=QUEUE),
    "queue-controls-reviewers": page(
        POST=LEADS,
        kwargs=QUEUE,
        ok={
            "POST": (400, "the role check passed; the form without its list of members is refused")
        },
    ),
    "queue-controls-pins": page(POST=LEADS, kwargs=QUEUE, ok={"POST": EMPTY_FORM}),
    "queue-controls-gold": page(POST=LEADS, kwargs=QUEUE, ok={"POST": EMPTY_FORM}),
    "queue-controls-settings": page(POST=LEADS, kwargs=QUEUE, ok={"POST": EMPTY_FORM}),
    "queue-controls-outputs": page(POST=LEADS, kwargs=QUEUE, ok={"POST": EMPTY_FORM}),
    "queue-controls-state": page(POST=LEADS, kwargs=QUEUE, ok={"POST": EMPTY_FORM}),
    "queue-pairwise": page(
        GET=QUEUE_REVIEWER,
        POST=QUEUE_REVIEWER,
        kwargs=QUEUE,
        ok={"POST": (400, "the role check passed; no pair token was sent")},
    ),
    # --- API: schema, tokens, projects ---------------------------------------------------
    # The schema and its docs page are public and the same for everyone; the schema takes
    # half a second to render, so one anonymous and one logged-in request stand for all roles.
    "api-schema": api(GET=ANYONE, roles=("anonymous", "reviewer"), why="public, role-blind"),
    "api-docs": api(GET=ANYONE, roles=("anonymous", "reviewer"), why="public, role-blind"),
    "api-token": api(
        POST=ANYONE,
        body={"POST": {"username": "perm-reviewer", "password": "pw", "name": "matrix"}},
    ),
    "api-tokens": api(GET=LOGGED_IN, POST=LOGGED_IN, body={"POST": {"name": "matrix"}}),
    "api-token-revoke": api(DELETE=TOKEN_OWNER, kwargs={"pk": lambda w: w.token_pk}),
    "api-projects": api(
        GET=LOGGED_IN, POST=STAFF, body={"POST": {"name": "New", "slug": "perm-new"}}
    ),
    "api-users": api(GET=STAFF, POST=STAFF, ok={"POST": EMPTY_BODY}, lists_accounts=True),
    "api-project": api(GET=MEMBERS),
    "api-members": api(GET=LEADS, POST=ADMINS, ok={"POST": EMPTY_BODY}),
    "api-prompts": api(GET=LEADS, POST=LEADS, body={"POST": {"name": "another"}}),
    "api-prompt-versions": api(GET=LEADS, POST=LEADS, kwargs=NAME, ok={"POST": EMPTY_BODY}),
    "api-prompt-version": api(GET=LEADS, kwargs=V1),
    "api-prompt-label": api(
        GET=LEADS, PUT=LEADS, kwargs={**NAME, "label": "production"}, ok={"PUT": EMPTY_BODY}
    ),
    "api-prompt-serve": api(GET=LEADS, kwargs=NAME, query=f"?project={SLUG}"),
    "api-outputs": api(GET=LEADS, POST=LEADS, ok={"POST": EMPTY_BODY}),
    "api-output": api(GET=LEADS, kwargs={"pk": lambda w: w.mine.item.output_id}),
    "api-ingest-keys": api(GET=LEADS, POST=LEADS, body={"POST": {"name": "matrix"}}),
    "api-monitoring": api(GET=LEADS),
    "api-ingest-key": api(DELETE=LEADS, kwargs={"pk": pk("ingest_key")}),
    "api-alert-rules": api(GET=LEADS, POST=LEADS, ok={"POST": EMPTY_BODY}),
    "api-alert-rule": api(
        GET=LEADS,
        PUT=LEADS,
        PATCH=LEADS,
        DELETE=LEADS,
        kwargs=ALERT_RULE,
        ok={"PUT": EMPTY_BODY},
    ),
    "api-alerts": api(GET=LEADS),
    "api-alert-acknowledge": api(POST=LEADS, kwargs=ALERT_EVENT),
    "api-routing-rules": api(GET=LEADS, POST=LEADS, ok={"POST": EMPTY_BODY}),
    "api-routing-rule": api(GET=LEADS, PATCH=LEADS, DELETE=LEADS, kwargs=ROUTING_RULE),
    "api-routing-rule-pause": api(POST=LEADS, kwargs=ROUTING_RULE),
    "api-routing-rule-resume": api(POST=LEADS, kwargs=ROUTING_RULE),
    "api-otlp-traces": api(POST=frozenset(), roles=("anonymous",), why=OTLP_WHY),
    # People send end-user feedback as leads; applications with an ingest key (tests/feedback).
    "api-feedback": api(POST=LEADS, ok={"POST": EMPTY_BODY}),
    "api-imports": api(GET=LEADS, POST=LEADS, form_body=True, ok={"POST": EMPTY_BODY}),
    "api-import": api(GET=LEADS, kwargs={"pk": pk("import_job")}),
    "api-import-outputs": api(GET=LEADS, kwargs={"pk": pk("import_job")}),
    "api-rubrics": api(GET=MEMBERS, POST=LEADS, ok={"POST": EMPTY_BODY}),
    "api-rubric-versions": api(
        POST=LEADS, kwargs={"pk": lambda w: w.rubric_version.rubric_id}, ok={"POST": EMPTY_BODY}
    ),
    # --- API: drift reports and judge re-checks -----------------------------------------
    "api-drift-reports": api(GET=LEADS, POST=LEADS, body={"POST": {}}),
    "api-drift-report": api(GET=LEADS, kwargs=DRIFT),
    "api-judge-recheck": api(POST=LEADS, kwargs=JUDGE_VERSION),
    # --- API: reports and exports --------------------------------------------------------
    "api-reports": api(GET=LEADS, POST=LEADS, body={"POST": lambda w: {"queue_id": w.queue.pk}}),
    "api-report": api(GET=LEADS, kwargs=REPORT),
    "api-report-retry": api(POST=LEADS, kwargs={"pk": pk("failed_report")}),
    "api-report-recompute": api(POST=LEADS, kwargs=REPORT),
    "api-exports": api(
        GET=LEADS, POST=LEADS, body={"POST": {"kind": "ratings", "format": "jsonl"}}
    ),
    "api-export-stream": api(GET=LEADS, query="?kind=ratings&format=jsonl"),
    "api-export": api(GET=LEADS, DELETE=LEADS, kwargs=EXPORT),
    "api-export-cancel": api(
        POST=LEADS,
        kwargs=EXPORT,
        ok={"POST": (409, "the role check passed; the export has finished")},
    ),
    "api-export-download": api(GET=LEADS, kwargs=EXPORT),
    "api-export-datasheet": api(GET=LEADS, kwargs=EXPORT),
    # --- API: judges ---------------------------------------------------------------------
    "api-llm-endpoints": api(GET=LEADS, POST=LEADS, ok={"POST": EMPTY_BODY}),
    "api-judges": api(GET=LEADS, POST=LEADS, ok={"POST": EMPTY_BODY}),
    "api-judge-versions": api(GET=LEADS, POST=LEADS, kwargs=JUDGE, ok={"POST": EMPTY_BODY}),
    "api-judge-runs": api(GET=LEADS, POST=LEADS, ok={"POST": EMPTY_BODY}),
    "api-judge-run": api(GET=LEADS, kwargs=JUDGE_RUN),
    "api-judge-run-cancel": api(POST=LEADS, kwargs=JUDGE_RUN),
    "api-judge-run-calls": api(GET=LEADS, kwargs=JUDGE_RUN),
    "api-judge-reports": api(GET=LEADS, POST=LEADS, ok={"POST": EMPTY_BODY}),
    "api-judge-report": api(GET=LEADS, kwargs=JUDGE_REPORT),
    "api-judge-calibration": api(GET=LEADS, kwargs=JUDGE),
    "api-calibration-queues": api(POST=LEADS, ok={"POST": EMPTY_BODY}),
    "api-calibration-queue-preview": api(GET=LEADS, ok={"GET": EMPTY_QUERY, "HEAD": EMPTY_QUERY}),
    # --- API: versions, gate, promotions -------------------------------------------------
    "api-version-scorecard": api(GET=LEADS, POST=LEADS, kwargs=V1),
    "api-version-comparison": api(GET=LEADS, POST=LEADS, kwargs=V2),
    "api-version-gate": api(GET=LEADS, kwargs=V2),
    "api-version-promote": api(POST=LEADS, kwargs=V2, ok={"POST": EMPTY_BODY}),
    "api-promotions": api(GET=LEADS, kwargs=NAME),
    "api-prompt-history": api(GET=LEADS, kwargs=NAME),
    "api-promotion": api(GET=LEADS, kwargs={"pk": pk("promotion")}),
    "api-version-report": api(GET=LEADS, kwargs={"pk": pk("scorecard")}),
    "api-release-gate": api(GET=LEADS, PUT=ADMINS, ok={"PUT": EMPTY_BODY}),
    # --- API: the Langfuse-compatible prompt API -------------------------------------------
    # It takes a project's ingest key, never a session or a token: to it every role is
    # anonymous and gets 401 (tests/versions/test_langfuse_*.py cover keys, projects, the gate).
    "api-langfuse-prompts": api(
        GET=frozenset(), POST=frozenset(), roles=("anonymous",), why=INGEST_KEY_ONLY
    ),
    "api-langfuse-prompt": api(
        GET=frozenset(), kwargs=NAME, roles=("anonymous",), why=INGEST_KEY_ONLY
    ),
    "api-langfuse-prompt-version": api(
        PATCH=frozenset(),
        kwargs={**NAME, "version": 2},
        body={"PATCH": {"newLabels": ["staging"]}},
        roles=("anonymous",),
        why=INGEST_KEY_ONLY,
    ),
    "api-langfuse-scores": api(POST=frozenset(), roles=("anonymous",), why=INGEST_KEY_ONLY),
    # --- API: datasets and generation ----------------------------------------------------
    "api-datasets": api(GET=LEADS, POST=LEADS, ok={"POST": EMPTY_BODY}),
    "api-dataset-rows": api(GET=LEADS, kwargs={"pk": pk("dataset")}),
    "api-generation-runs": api(GET=LEADS, POST=LEADS, ok={"POST": EMPTY_BODY}),
    "api-generation-run": api(GET=LEADS, kwargs={"pk": pk("generation_run")}),
    "api-generation-run-cancel": api(POST=LEADS, kwargs={"pk": pk("generation_run")}),
    # --- API: queues, rating, review -----------------------------------------------------
    "api-queues": api(GET=MEMBERS, POST=LEADS, ok={"POST": EMPTY_BODY}),
    "api-queue": api(
        GET=QUEUE_READERS, PATCH=LEADS, kwargs=QUEUE, body={"PATCH": {"guidelines": "Be kind."}}
    ),
    "api-queue-items": api(GET=LEADS, POST=LEADS, kwargs=QUEUE, body={"POST": {"output_ids": []}}),
    "api-queue-state": api(POST=LEADS, kwargs=QUEUE, ok={"POST": EMPTY_BODY}),
    "api-queue-reviewers": api(
        GET=LEADS,
        PUT=LEADS,
        kwargs=QUEUE,
        body={"PUT": {"reviewers": [{"username": "perm-reviewer"}]}},
    ),
    "api-queue-pins": api(
        POST=LEADS,
        kwargs=QUEUE,
        body={"POST": lambda w: {"reviewer": "perm-reviewer", "item_ids": [w.leased.pk]}},
    ),
    "api-queue-next": api(POST=QUEUE_REVIEWER, kwargs=QUEUE),
    "api-queue-undo": api(POST=QUEUE_REVIEWER, kwargs=QUEUE),
    "api-queue-release": api(
        POST=QUEUE_REVIEWER, kwargs=QUEUE, body={"POST": lambda w: {"item_ids": [w.leased.pk]}}
    ),
    "api-queue-progress": api(GET=QUEUE_REVIEWER, kwargs=QUEUE),
    "api-queue-annotations": api(GET=QUEUE_REVIEWER, kwargs=QUEUE),
    "api-item-submit": api(POST=QUEUE_REVIEWER, kwargs=LEASED, body={"POST": _submit}),
    "api-item-skip": api(POST=QUEUE_REVIEWER, kwargs=LEASED, body={"POST": {"reason": "x"}}),
    "api-item-renew": api(POST=QUEUE_REVIEWER, kwargs=LEASED),
    # A reviewer reads and edits only their own annotation; leads read every annotation but
    # never edit another's ratings.
    "api-annotation": api(
        GET=QUEUE_REVIEWER | LEADS,
        PATCH=QUEUE_REVIEWER,
        kwargs={"pk": pk("mine")},
        body={"PATCH": {"comment": "edited"}},
    ),
    "api-annotation-revisions": api(GET=QUEUE_REVIEWER | LEADS, kwargs={"pk": pk("mine")}),
    "api-item": api(GET=ADJUDICATORS, kwargs=RATED),
    "api-item-gold": api(
        PUT=LEADS, DELETE=LEADS, kwargs=LEASED, body={"PUT": {"scores": {"fluency": 3}}}
    ),
    "api-queue-adjudication-next": api(POST=ADJUDICATORS, kwargs=QUEUE),
    "api-item-adjudicate": api(POST=ADJUDICATORS, kwargs=RATED, body={"POST": {"scores": SCORES}}),
}


# --- Django admin: one rule per kind of admin URL, matched by name --------------------------
# Every admin URL sits behind the admin's staff gate (``AdminSite.admin_view``): anyone who is
# not staff is sent to the admin login. Staff pass the gate and then need model permissions,
# which are the admin's business, so "allowed" here means "past the gate". GET stands for
# every verb. The gate looks at ``is_staff`` only, never at project roles: on the model pages
# (five per registered model) a project admin stands for every non-staff role and staff for
# staff; the site's own pages are checked anonymously too, the index for every role.
_MODEL_PAGES = ("admin", "staff")
_SITE_PAGES = ("anonymous", "admin", "staff")
_GATE_WHY = "the staff gate ignores project roles; a project admin stands for them"


def _gate(roles: tuple[str, ...], *, denial: str = "/admin/login/") -> Rule:
    return page(GET=STAFF, admin_site=True, denial_redirect=denial, roles=roles, why=_GATE_WHY)


ADMIN_RULES: list[tuple[re.Pattern[str], Rule]] = [
    (re.compile(r"admin:index"), page(GET=STAFF, admin_site=True, denial_redirect="/admin/login/")),
    # The admin login page is public: it is where everyone else is sent.
    (
        re.compile(r"admin:login"),
        page(GET=ANYONE, admin_site=True, denial_redirect="/admin/login/"),
    ),
    # Logging out of the admin without being staff is sent to the index, then to the login.
    (re.compile(r"admin:logout"), _gate(_SITE_PAGES, denial="/admin/")),
    (
        re.compile(
            r"admin:(app_list|password_change|password_change_done|autocomplete|jsi18n|"
            r"view_on_site)"
        ),
        _gate(_SITE_PAGES),
    ),
    (
        re.compile(r"admin:\w+_(changelist|add|change|delete|history|password_change)"),
        _gate(_MODEL_PAGES),
    ),
]


def rule_for(name: str) -> Rule | None:
    """Return the rule of URL ``name`` (an admin name matches its group), or None."""
    if name in RULES:
        return RULES[name]
    for pattern, rule in ADMIN_RULES:
        if pattern.fullmatch(name):
            return rule
    return None


# Unnamed admin patterns (Django's own), matched by route: an object's bare URL redirects to
# its change page, and the catch-all answers 404 behind the gate.
ADMIN_UNNAMED: list[tuple[re.Pattern[str], Rule]] = [
    (re.compile(r"admin/\w+/\w+/<path:object_id>/"), _gate(_MODEL_PAGES)),
    (re.compile(re.escape("admin/(?P<url>.*)$")), _gate(_SITE_PAGES)),
]


def unnamed_rule_for(route: str) -> Rule | None:
    """Return the rule of an unnamed pattern (only Django admin's are expected), or None."""
    for pattern, rule in ADMIN_UNNAMED:
        if pattern.fullmatch(route):
            return rule
    return None


def admin_kwargs(route: str, params: list[str], world: World) -> dict[str, Any]:
    """Fill an admin URL's kwargs: an existing object of the URL's model where there is one."""
    values: dict[str, Any] = {
        "app_label": "llmops_core",
        "url": "no-such-page/",
        "content_type_id": ContentType.objects.get_for_model(type(world.project)).pk,
        "object_id": world.project.pk,
        "id": world.users["reviewer"].pk,
    }
    for model in admin.site._registry:
        opts = model._meta
        if f"admin/{opts.app_label}/{opts.model_name}/" in route:
            first = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
            values["object_id"] = first if first is not None else 0
    return {p: values[p] for p in params}
