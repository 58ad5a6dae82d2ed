"""The form field every browser text box uses: its line breaks are stored as "\\n"."""

from __future__ import annotations

from typing import Any

from django import forms

from llmops_core.text import normalize_newlines


class TextBoxField(forms.CharField):
    """A CharField shown as a text box, whose "\\r\\n" (what browsers send) is stored as "\\n"."""

    widget = forms.Textarea

    def to_python(self, value: Any) -> str | None:
        text = super().to_python(value)
        return normalize_newlines(text) if isinstance(text, str) else text
