"""The form that creates a prompt template (its versions have their own form, forms.versions)."""

from __future__ import annotations

from django import forms

from llmops_core.forms.text import TextBoxField


class PromptTemplateForm(forms.Form):
    name = forms.SlugField(
        max_length=120,
        help_text='Letters, digits, "-" and "_". Applications fetch the prompt by this name, '
        "and imports name it in their prompt column.",
    )
    description = TextBoxField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
