"""HTML views: the instance's users (for its admins), and accepting an invitation (for anyone)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from llmops_core.errors import DomainError
from llmops_core.forms.people import InvitationAcceptForm, UserCreateForm, add_domain_error
from llmops_core.models import Invitation
from llmops_core.permissions import instance_admin, signed_in
from llmops_core.selectors.people import invitation_list_open, user_list
from llmops_core.services.users import (
    InvitationInvalid,
    invitation_accept,
    invitation_check,
    invitation_create,
    invitation_revoke,
    user_create_with_password,
)

USERS_PER_PAGE = 50


def _require_instance_admin(request: HttpRequest) -> None:
    if not instance_admin(request.user):
        raise PermissionDenied("only admins of the instance (staff) manage users")


@login_required
@require_safe
def user_list_view(request: HttpRequest) -> HttpResponse:
    """List every account and the invitations still open (instance admins)."""
    _require_instance_admin(request)
    users = Paginator(user_list(), USERS_PER_PAGE).get_page(request.GET.get("page"))
    invitations = Paginator(invitation_list_open(), USERS_PER_PAGE).get_page(
        request.GET.get("invitations_page")
    )
    context = {"users": users, "invitations": invitations}
    return render(request, "llmops_core/people/user_list.html", context)


@never_cache  # the answer shows a one-time password or an invitation link, once
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def user_new(request: HttpRequest) -> HttpResponse:
    """Create an account with a one-time password, or an invitation link (instance admins)."""
    _require_instance_admin(request)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data, actor = form.cleaned_data, signed_in(request.user)
        try:
            if data["method"] == UserCreateForm.PASSWORD:
                user, password = user_create_with_password(
                    username=data["username"], email=data["email"], actor=actor
                )
                context = {"created_user": user, "password": password}
            else:
                invitation, token = invitation_create(email=data["email"], actor=actor)
                link = request.build_absolute_uri(reverse("invitation-accept", args=[token]))
                context = {"invitation": invitation, "link": link}
        except DomainError as exc:
            add_domain_error(form, str(exc))
        else:
            return render(request, "llmops_core/people/user_created.html", context)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "llmops_core/people/user_new.html", {"form": form}, status=status)


@login_required
@require_POST
def invitation_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw an open invitation (instance admins): its link stops working."""
    _require_instance_admin(request)
    invitation = get_object_or_404(Invitation, pk=pk)
    try:
        invitation_revoke(invitation=invitation, actor=signed_in(request.user))
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Invitation {invitation.pk} withdrawn.")
    return redirect("users")


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    """Open to anyone holding the link: choose a username and password, then you are in."""
    try:
        invitation = invitation_check(token=token)
    except InvitationInvalid as exc:
        problem = {"problem": str(exc)}
        status = 410 if exc.gone else 404
        return render(request, "llmops_core/people/invitation_invalid.html", problem, status=status)
    form = InvitationAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = invitation_accept(
                token=token, username=data["username"], password=data["password"]
            )
        except DomainError as exc:
            add_domain_error(form, str(exc))
        else:
            login(request, user)
            messages.success(request, f"Welcome, {user.get_username()}: your account is ready.")
            return redirect("home")
    status = 400 if form.is_bound and form.errors else 200
    context = {"form": form, "invitation": invitation}
    return render(request, "llmops_core/people/invitation_accept.html", context, status=status)
