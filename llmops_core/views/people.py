"""HTML views: creating a project, and a project's members and their roles."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from llmops_core.errors import DomainError
from llmops_core.forms.people import (
    MemberAddForm,
    MemberRoleForm,
    ProjectCreateForm,
    add_domain_error,
)
from llmops_core.models import Membership, Project, Role
from llmops_core.permissions import project_create_allowed, project_for_request, signed_in
from llmops_core.selectors.people import user_find
from llmops_core.selectors.projects import membership_list, role_allows
from llmops_core.services.projects import (
    membership_add,
    membership_remove,
    membership_set,
    project_create,
)

MEMBERS_PER_PAGE = 50


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def project_new(request: HttpRequest) -> HttpResponse:
    """Create a project (staff, or anyone when ``PROJECT_CREATE_ALLOWED`` is "any")."""
    if not project_create_allowed(request.user):
        raise PermissionDenied("only staff users create projects here")
    form = ProjectCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            project = project_create(
                name=data["name"],
                slug=data["slug"] or None,
                description=data["description"],
                created_by=signed_in(request.user),
            )
        except DomainError as exc:
            add_domain_error(form, str(exc))
        else:
            messages.success(request, f"Project “{project.name}” created; you are its admin.")
            return redirect("members", project_slug=project.slug)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "llmops_core/people/project_new.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def member_list(request: HttpRequest, project_slug: str) -> HttpResponse:
    """List the project's members (leads); add one by username or email (admins)."""
    required = Role.ADMIN if request.method == "POST" else Role.LEAD
    project, role = project_for_request(request.user, project_slug, required)
    form = MemberAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_find(identifier=form.cleaned_data["user"])
            membership_add(
                project=project,
                user=user,
                role=form.cleaned_data["role"],
                actor=signed_in(request.user),
            )
        except DomainError as exc:
            add_domain_error(form, str(exc))
        else:
            messages.success(
                request, f"{user.get_username()} added as {form.cleaned_data['role']}."
            )
            return redirect("members", project_slug=project.slug)
    return _members_page(request, project, role, form)


def _members_page(
    request: HttpRequest,
    project: Project,
    role: str,
    form: MemberAddForm,
    *,
    error: str = "",
) -> HttpResponse:
    page = Paginator(membership_list(project=project), MEMBERS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "project": project,
        "role": role,
        "is_admin": role_allows(role, Role.ADMIN),
        "page": page,
        "form": form,
        "roles": Role.choices,
        "error": error,
    }
    status = 400 if error or (form.is_bound and form.errors) else 200
    return render(request, "llmops_core/people/members.html", context, status=status)


@login_required
@require_POST
def member_role(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Change a member's role (admins); the last admin keeps theirs."""
    project, role = project_for_request(request.user, project_slug, Role.ADMIN)
    membership = get_object_or_404(
        Membership.objects.select_related("user"), pk=pk, project=project
    )
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        choices = ", ".join(Role.values)
        return _members_page(
            request, project, role, MemberAddForm(), error=f'field "role": use one of {choices}'
        )
    name = membership.user.get_username()
    try:
        membership_set(
            project=project,
            user=membership.user,
            role=form.cleaned_data["role"],
            actor=signed_in(request.user),
        )
    except DomainError as exc:
        return _members_page(request, project, role, MemberAddForm(), error=str(exc))
    messages.success(request, f"{name} is now {form.cleaned_data['role']}.")
    return redirect("members", project_slug=project.slug)


@login_required
@require_POST
def member_remove(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Remove a member (admins); never the last admin."""
    project, role = project_for_request(request.user, project_slug, Role.ADMIN)
    membership = get_object_or_404(
        Membership.objects.select_related("user"), pk=pk, project=project
    )
    user = membership.user
    try:
        membership_remove(project=project, user=user, actor=signed_in(request.user))
    except DomainError as exc:
        return _members_page(request, project, role, MemberAddForm(), error=str(exc))
    messages.success(request, f"{user.get_username()} removed from {project.name}.")
    if user.pk == request.user.pk and not request.user.is_superuser:
        return redirect("home")  # they left the project: its pages are closed to them now
    return redirect("members", project_slug=project.slug)
