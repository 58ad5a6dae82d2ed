"""Password forms (the user's own, and the admin's set-password) that can revoke API tokens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import forms as auth_forms

from llmops_core.services.accounts import user_password_set

REVOKE_HELP = (
    "Anyone who learned your old password may have made a token with it. "
    "Scripts using a revoked token need a new one."
)


def revoke_tokens_field(label: str) -> forms.BooleanField:
    """Return the "also revoke API tokens" checkbox, ticked by default."""
    return forms.BooleanField(required=False, initial=True, label=label, help_text=REVOKE_HELP)


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's change-password form, plus "Also revoke my API tokens" (ticked)."""

    revoke_tokens = revoke_tokens_field("Also revoke my API tokens")
    tokens_revoked = 0

    def set_password_and_save(
        self,
        user: Any,
        password_field_name: str = "new_password1",  # noqa: S107 (a field name, not a password)
        commit: bool = True,
    ) -> Any:
        self.tokens_revoked = user_password_set(
            user=user,
            password=self.cleaned_data[password_field_name],
            actor=user,
            revoke_tokens=self.cleaned_data["revoke_tokens"],
        )
        return user


class AdminPasswordChangeForm(auth_forms.AdminPasswordChangeForm):
    """The admin's set-password form, plus "Also revoke the user's API tokens" (ticked)."""

    revoke_tokens = revoke_tokens_field("Also revoke the user's API tokens")

    def set_password_and_save(self, user: Any, commit: bool = True, **kwargs: Any) -> Any:
        usable = self.cleaned_data.get("set_usable_password", True)
        user_password_set(
            user=user,
            password=self.cleaned_data["password1"] if usable else None,
            actor=None,  # the admin's own change log entry names who did it
            revoke_tokens=self.cleaned_data["revoke_tokens"],
        )
        return user
