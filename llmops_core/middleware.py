"""Guards Django 5.2 does not provide: a Content-Security-Policy, and no NUL in query or form."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse

from llmops_core.api.errors import API_PREFIX, error_response
from llmops_core.io.jsontext import show, text_problem

# No inline script anywhere: every script is a static file. Charts are server-rendered SVG/PNG.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    """Add a strict Content-Security-Policy to every HTML response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/api/docs/"):
            # The Swagger UI page of drf-spectacular uses an inline bootstrap script.
            return response
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


_FORM = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"


class UnstorableTextMiddleware:
    """Answer 400 naming the parameter when a query string or a form body holds a NUL.

    PostgreSQL cannot store or even compare text with U+0000, so a NUL that reaches a filter
    or a column fails inside the database (a 500). Query strings and form bodies are checked
    here once for every page and endpoint; JSON bodies are checked by the JSON parser and
    uploaded files by their readers. Multipart fields are checked for pages only (the CSRF
    check parses those bodies anyway): parsing them here would take API bodies away from
    DRF's parsers, and DRF's text fields refuse NUL themselves.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = self.problem(request)
        if problem is None:
            return self.get_response(request)
        if request.path.startswith(API_PREFIX):
            return error_response(400, problem)
        return HttpResponse(problem, status=400, content_type="text/plain; charset=utf-8")

    @staticmethod
    def problem(request: HttpRequest) -> str | None:
        """Return what is wrong with the request's path, query or form text, or None."""
        found = text_problem(request.path_info)
        if found:
            return f"the URL path {found}"
        sources: list[tuple[str, QueryDict]] = []
        if request.META.get("QUERY_STRING"):
            sources.append(("query parameter", request.GET))
        form = request.content_type == _FORM or (
            request.content_type == _MULTIPART and not request.path.startswith(API_PREFIX)
        )
        if request.method == "POST" and form:
            sources.append(("field", request.POST))
        for kind, values in sources:
            for name, items in values.lists():
                found = text_problem(name)
                if found:
                    return f"a {kind} name {show(name)} {found}"
                for value in items:
                    found = text_problem(value)
                    if found:
                        return f'{kind} "{name}": {found}, which text cannot hold; remove it'
        return None


# Set at login for a user who signed in with a one-time password; cleared when they change it.
PASSWORD_CHANGE_SESSION_KEY = "password_change_required"  # noqa: S105 (a key, not a password)


class PasswordChangeRequiredMiddleware:
    """Hold a user who signed in with a one-time password at the change-password page.

    Until they choose their own password every other page redirects there (logging out still
    works) and the API answers 403. The flag lives in the session, set by the login view, so
    no request pays a query for it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is None or not session.get(PASSWORD_CHANGE_SESSION_KEY):
            return self.get_response(request)
        change = reverse("password-change")
        if request.path in (change, reverse("logout")):
            return self.get_response(request)
        if request.path.startswith(API_PREFIX):
            return error_response(
                403, f"choose your own password at {change} first: a one-time password works once"
            )
        return redirect(change)
