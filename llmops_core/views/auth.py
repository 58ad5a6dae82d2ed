"""Login with rate limiting, changing one's password, and the user's API tokens page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from llmops_core.errors import DomainError
from llmops_core.forms.accounts import PasswordChangeForm
from llmops_core.middleware import PASSWORD_CHANGE_SESSION_KEY
from llmops_core.models import ApiToken
from llmops_core.permissions import client_ip, signed_in
from llmops_core.services.login_limits import (
    login_failure_record,
    login_limit_check,
    login_success_record,
)
from llmops_core.services.tokens import token_create, token_revoke
from llmops_core.services.users import password_change_pending


class RateLimitedAuthenticationForm(AuthenticationForm):
    """Refuse logins while an account or address is locked, and say for how long."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request) if self.request else ""
        limit = login_limit_check(username=username, ip=ip)
        if limit.locked:
            raise self._locked_error(limit.retry_after_seconds)
        try:
            cleaned = super().clean()
        except ValidationError:
            after = login_failure_record(username=username, ip=ip)
            if after.locked:
                raise self._locked_error(after.retry_after_seconds) from None
            raise
        login_success_record(username=username, ip=ip)
        return cleaned

    @staticmethod
    def _locked_error(seconds: int) -> ValidationError:
        minutes = max(1, round(seconds / 60))
        return ValidationError(
            f"Too many failed logins. This account is locked for {minutes} minutes; "
            "try again later or ask an admin.",
            code="locked",
        )


class LoginView(auth_views.LoginView):
    form_class = RateLimitedAuthenticationForm
    # Django's default also answers PUT (as POST) and OPTIONS; a login page has no use for them.
    http_method_names = ["get", "head", "post"]

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        if password_change_pending(user=form.get_user()):
            self.request.session[PASSWORD_CHANGE_SESSION_KEY] = True
            messages.info(
                self.request, "Choose your own password: the one you were given works only once."
            )
            return redirect("password-change")
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change your password; every API token you hold is revoked with it unless you untick it."""

    form_class = PasswordChangeForm
    success_url = reverse_lazy("tokens")
    http_method_names = ["get", "head", "post"]

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        self.request.session.pop(PASSWORD_CHANGE_SESSION_KEY, None)
        revoked = form.tokens_revoked
        ended = (
            f"; {revoked} API token{' was' if revoked == 1 else 's were'} revoked"
            if revoked
            else ""
        )
        messages.success(self.request, f"Your password was changed{ended}.")
        return response


@never_cache  # the page shows a new token's key once: no browser or proxy may keep a copy
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    """List the user's API tokens (last four characters only) and create new ones."""
    new_key = None
    if request.method == "POST":
        try:
            _, new_key = token_create(
                user=signed_in(request.user), name=request.POST.get("name", "")
            )
        except DomainError as exc:
            messages.error(request, str(exc))
    tokens = ApiToken.objects.filter(user=signed_in(request.user))[:200]
    return render(request, "llmops_core/tokens.html", {"tokens": tokens, "new_key": new_key})


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token_revoke(token=token, actor=signed_in(request.user))
    messages.success(request, f"Token “{token.name}” (…{token.last4}) revoked.")
    return redirect("tokens")
