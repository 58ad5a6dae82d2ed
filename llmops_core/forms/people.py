"""Forms of the people pages: new project, members, new user, accepting an invitation."""

from __future__ import annotations

from typing import Any

from django import forms

from llmops_core.models import Role
from llmops_core.services.projects import SLUG_MAX_LENGTH


class ProjectCreateForm(forms.Form):
    name = forms.CharField(max_length=200)
    slug = forms.SlugField(
        max_length=SLUG_MAX_LENGTH,
        required=False,
        help_text="Its address: /p/<slug>/. Leave empty to make it from the name.",
    )
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_description(self) -> str:
        # Text from a browser's text box arrives with \r\n line ends.
        return str(self.cleaned_data["description"]).replace("\r\n", "\n")


class MemberAddForm(forms.Form):
    user = forms.CharField(
        max_length=254, label="Username or email", help_text="Someone with an account here."
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.REVIEWER)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class UserCreateForm(forms.Form):
    INVITATION = "invitation"
    PASSWORD = "password"  # noqa: S105 (a choice's name, not a password)

    method = forms.ChoiceField(
        choices=[
            (INVITATION, "Invitation link: they choose their username and password"),
            (PASSWORD, "One-time password: they must change it when they first sign in"),
        ],
        initial=INVITATION,
        widget=forms.RadioSelect,
    )
    username = forms.CharField(
        max_length=150, required=False, help_text="Needed with a one-time password."
    )
    email = forms.EmailField(required=False, max_length=254)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("method") == self.PASSWORD and not cleaned.get("username"):
            self.add_error("username", "Give a username for an account with a one-time password.")
        return cleaned


class InvitationAcceptForm(forms.Form):
    username = forms.CharField(max_length=150, widget=forms.TextInput(attrs={"autofocus": True}))
    password = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password_again = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        one, two = cleaned.get("password"), cleaned.get("password_again")
        if one and two and one != two:
            self.add_error("password_again", "The two passwords differ.")
        return cleaned


def add_domain_error(form: forms.Form, message: str) -> None:
    """Show a service's error on the field it names ('field "slug": ...'), else atop the form."""
    prefix, _, rest = message.partition(": ")
    name = prefix.removeprefix('field "').removesuffix('"')
    if prefix.startswith('field "') and rest and name in form.fields:
        form.add_error(name, rest)
    else:
        form.add_error(None, message)
