"""Role-based permissions shared by the API and the HTML views."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from llmops_core.models import Project, Role
from llmops_core.selectors.projects import project_get_for_user, project_role, role_allows


def signed_in(user: User | AnonymousUser) -> User:
    """Return the user of a request a view only serves to signed-in users.

    The view's login or permission check has already refused anonymous visitors; this says so
    to the type checker, and refuses (403) should a view ever lose that check.
    """
    if not isinstance(user, User) or not user.is_authenticated:
        raise PermissionDenied("sign in first")
    return user


def project_for_request(user: Any, slug: str, required: str) -> tuple[Project, str]:
    """Return the project and the user's role, or raise 404 (not a member) / 403 (role too low).

    Non-members get 404 so that a project's existence does not leak.
    """
    from django.core.exceptions import PermissionDenied

    project = project_get_for_user(user=user, slug=slug)
    if project is None:
        raise Http404("No such project.")
    role = project_role(user=user, project=project)
    if not role_allows(role, required):
        raise PermissionDenied(f"this needs the {required} role in project {slug}")
    assert role is not None
    return project, role


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
