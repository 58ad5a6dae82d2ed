"""Role-based permissions shared by the API and the HTML views, and who is asking."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from llmops_core.models import Project, Role
from llmops_core.selectors.projects import project_and_role_for_user, role_allows


def client_ip(request: HttpRequest) -> str:
    """Return the client's address, as the trusted proxies in front of the app saw it.

    With ``TRUSTED_PROXY_COUNT`` = N, each of N proxies appended the address it received the
    request from to ``X-Forwarded-For``, so the Nth entry from the right is the client; entries
    further left are the client's own to write and never believed. With N = 0 (no proxy), or a
    header shorter than N (a request that bypassed a proxy), ``REMOTE_ADDR`` is the client.
    """
    remote = str(request.META.get("REMOTE_ADDR", ""))
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
    if count <= 0:
        return remote
    forwarded = [
        part.strip() for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
    ]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < count:
        return remote
    return forwarded[-count][:64]


def signed_in(user: User | AnonymousUser) -> User:
    """Return the user of a request a view only serves to signed-in users.

    The view's login or permission check has already refused anonymous visitors; this says so
    to the type checker, and refuses (403) should a view ever lose that check.
    """
    if not isinstance(user, User) or not user.is_authenticated:
        raise PermissionDenied("sign in first")
    return user


def instance_admin(user: Any) -> bool:
    """Return whether ``user`` administers the instance (Django staff or superuser)."""
    return bool(
        user is not None
        and user.is_authenticated
        and (getattr(user, "is_staff", False) or getattr(user, "is_superuser", False))
    )


def project_create_allowed(user: Any) -> bool:
    """Return whether ``user`` may create projects (``PROJECT_CREATE_ALLOWED``: staff or any)."""
    if user is None or not user.is_authenticated:
        return False
    return settings.PROJECT_CREATE_ALLOWED == "any" or instance_admin(user)


def project_for_request(user: Any, slug: str, required: str) -> tuple[Project, str]:
    """Return the project and the user's role, or raise 404 (not a member) / 403 (role too low).

    Non-members get 404 so that a project's existence does not leak.
    """
    from django.core.exceptions import PermissionDenied

    project, role = project_and_role_for_user(user=user, slug=slug)
    if project is None:
        raise Http404("No such project.")
    if not role_allows(role, required):
        raise PermissionDenied(f"this needs the {required} role in project {slug}")
    assert role is not None
    return project, role


class InstanceAdminPermission(BasePermission):
    """Require an instance admin (Django staff or superuser); project roles do not count."""

    message = "only admins of the instance (staff) may do this"

    def has_permission(self, request: Request, view: Any) -> bool:
        return instance_admin(request.user)


class ProjectRolePermission(BasePermission):
    """Require a role in the project named by the URL's ``project_slug``.

    Views set ``read_role`` (safe methods) and ``write_role`` (the rest).
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        slug = view.kwargs.get("project_slug")
        if slug is None:
            return True
        required = (
            getattr(view, "read_role", Role.REVIEWER)
            if request.method in SAFE_METHODS
            else getattr(view, "write_role", Role.LEAD)
        )
        view.project, view.role = project_for_request(request.user, slug, required)
        return True
