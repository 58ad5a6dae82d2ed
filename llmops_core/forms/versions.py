"""Forms of the release-loop pages: pick versions to compare, promote, datasets, runs, versions.

The release gate's rules have their own form, in ``forms.gates``.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms

from llmops_core.forms.jsonfields import json_from_text
from llmops_core.forms.text import TextBoxField
from llmops_core.models import PromptVersion


def _version_label(version: PromptVersion) -> str:
    """Return "v3 (production): note" for a version with its labels prefetched."""
    labels = sorted(label.name for label in version.labels.all())
    text = f"v{version.number}" + (f" ({', '.join(labels)})" if labels else "")
    return text + (f": {version.note}" if version.note else "")


class CompareForm(forms.Form):
    """Which two versions of a template to compare (numbers)."""

    candidate = forms.TypedChoiceField(coerce=int)
    baseline = forms.TypedChoiceField(coerce=int)

    def __init__(self, *args: Any, versions: list[PromptVersion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(v.number, _version_label(v)) for v in versions]
        for name in ("candidate", "baseline"):
            cast(forms.ChoiceField, self.fields[name]).choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("candidate") is not None and data.get("candidate") == data.get("baseline"):
            raise forms.ValidationError("pick two different versions")
        return data


class PromoteForm(forms.Form):
    label = forms.SlugField(initial="production", widget=forms.HiddenInput)
    override_reason = TextBoxField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Admins only, and only when the gate fails: why ship anyway. Kept in the "
        "version's history.",
    )


class DatasetUploadForm(forms.Form):
    name = forms.SlugField(
        max_length=120, help_text="Uploading new rows under a name makes its next version."
    )
    file = forms.FileField(
        help_text='JSON Lines (one object of variables, or {"messages": '
        "[...]}, per line) or CSV (a header of variable names)."
    )


def _optional(choices: list[tuple[int, str]], empty: str) -> list[tuple[str, str]]:
    return [("", empty)] + [(str(pk), label) for pk, label in choices]


class GenerationRunForm(forms.Form):
    """Run a prompt version over a dataset, then optionally queue and judge the outputs."""

    version = forms.TypedChoiceField(coerce=int, label="Prompt version")
    endpoint = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, label="Endpoint"
    )
    queue = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, label="Send the outputs to queue"
    )
    judge_version = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, label="Then judge them with"
    )

    def __init__(
        self, *args: Any, choices: dict[str, list[tuple[int, str]]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        options = {
            "version": [(str(pk), label) for pk, label in choices["versions"]],
            "endpoint": _optional(choices["endpoints"], "the site's default"),
            "queue": _optional(choices["queues"], "no queue"),
            "judge_version": _optional(choices["judges"], "no judge"),
        }
        for name, values in options.items():
            cast(forms.ChoiceField, self.fields[name]).choices = values


class NewVersionForm(forms.Form):
    """A new version of a prompt template, usually edited from the current production one."""

    system_message = TextBoxField(
        required=False, strip=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    template_text = TextBoxField(
        strip=False, widget=forms.Textarea(attrs={"rows": 6}), help_text="Variables as {{ name }}."
    )
    model_name = forms.CharField(max_length=200)
    parameters = forms.CharField(
        initial="{}",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text='JSON, e.g. {"temperature": 0.2}',
    )
    note = forms.CharField(required=False, max_length=300)

    def clean_parameters(self) -> dict[str, Any]:
        value = json_from_text(self.cleaned_data["parameters"] or "{}")
        if not isinstance(value, dict):
            raise forms.ValidationError("give a JSON object")
        return value
