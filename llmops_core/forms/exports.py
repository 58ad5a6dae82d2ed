"""The export form: kind, format, filters and options. Shapes only; the service checks rules."""

from __future__ import annotations

from typing import Any

from django import forms

from llmops_core.models import ExportFormat, ExportKind
from llmops_core.selectors.exports import ExportChoices
from llmops_core.services.exports.spec import DEFAULT_MIN_MARGIN, DEFAULT_SFT_THRESHOLD


class ExportForm(forms.Form):
    kind = forms.ChoiceField(choices=ExportKind.choices, initial=ExportKind.RATINGS)
    format = forms.ChoiceField(choices=ExportFormat.choices, initial=ExportFormat.JSONL)
    queue_ids = forms.TypedMultipleChoiceField(
        label="Queues",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every queue.",
    )
    prompt_version_ids = forms.TypedMultipleChoiceField(
        label="Prompt versions",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every version.",
    )
    since = forms.DateField(
        required=False, label="Rated from", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False,
        label="Rated until (inclusive)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    min_ratings = forms.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1, label="Minimum reviewers per output"
    )
    min_agreement = forms.FloatField(
        required=False,
        min_value=0,
        max_value=1,
        label="Minimum agreement (0-1)",
        widget=forms.NumberInput(attrs={"step": "0.05"}),
        help_text="Per output: 1 minus the mean spread of its scores relative to the scale.",
    )
    exclude_flagged = forms.BooleanField(
        required=False, label="Leave out outputs a reviewer flagged"
    )
    rule = forms.ChoiceField(
        required=False,
        label="Score rule",
        help_text="Ranks outputs for preference pairs and the SFT threshold.",
    )
    min_margin = forms.FloatField(
        required=False,
        min_value=0,
        initial=DEFAULT_MIN_MARGIN,
        label="Minimum score gap for a pair",
        widget=forms.NumberInput(attrs={"step": "0.25"}),
    )
    sft_threshold = forms.FloatField(
        required=False,
        initial=DEFAULT_SFT_THRESHOLD,
        label="SFT: minimum score",
        widget=forms.NumberInput(attrs={"step": "0.25"}),
    )
    real_names = forms.BooleanField(
        required=False,
        label="Real reviewer names (admins only)",
        help_text="Otherwise reviewers appear as stable pseudonyms.",
    )

    def __init__(self, *args: Any, choices: ExportChoices, is_admin: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        fields["queue_ids"].choices = choices.queues
        fields["prompt_version_ids"].choices = choices.versions
        fields["rule"].choices = [
            ("mean", "Mean over criteria"),
            ("all", "All criteria (every criterion passes / points the same way)"),
            *[(f"criterion:{name}", f"Criterion: {name}") for name in choices.criteria],
        ]
        if not is_admin:
            del fields["real_names"]

    def export_filters(self) -> dict[str, Any]:
        """Return the cleaned filters for the export service."""
        data = self.cleaned_data
        names = [
            "queue_ids",
            "prompt_version_ids",
            "since",
            "until",
            "min_ratings",
            "min_agreement",
            "exclude_flagged",
            "rule",
            "min_margin",
            "sft_threshold",
        ]
        return {name: data.get(name) for name in names}
