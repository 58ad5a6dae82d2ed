"""Forms of the annotation pages: creating a queue."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from llmops_core.models import Membership, Project, PromptVersion, RubricVersion


class QueueForm(forms.Form):
    name = forms.CharField(max_length=200)
    rubric_version = forms.ModelChoiceField(queryset=RubricVersion.objects.none())
    overlap = forms.IntegerField(min_value=1, max_value=50, initial=3,
                                 help_text="Distinct reviewers per item.")
    max_overlap = forms.IntegerField(
        min_value=1, max_value=50, required=False,
        help_text="Adaptive overlap: items whose ratings disagree get more reviewers, up to this.",
    )
    disagreement_threshold = forms.IntegerField(
        min_value=1, required=False, initial=2,
        help_text="A spread of this many points on any criterion makes an item contested.",
    )
    blind = forms.BooleanField(required=False, initial=True,
                               help_text="Hide prompt version, model and others' ratings.")
    guidelines = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), required=False,
                                 help_text="Markdown.")
    lease_minutes = forms.IntegerField(min_value=1, max_value=24 * 60, initial=15,
                                       help_text="An unfinished item returns to the pool after.")
    reviewers = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    prompt_version = forms.ModelChoiceField(
        queryset=PromptVersion.objects.none(), required=False,
        help_text="Add every output of this prompt version.",
    )
    model = forms.CharField(required=False, help_text="…and/or every output of this model.")
    output_ids = forms.CharField(required=False, help_text="…and/or these output ids "
                                 "(comma or space separated).")

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.project = project
        versions = RubricVersion.objects.filter(rubric__project=project).select_related("rubric")
        rubric_field = self.fields["rubric_version"]
        assert isinstance(rubric_field, forms.ModelChoiceField)
        rubric_field.queryset = versions.order_by("rubric__name", "-number")
        rubric_field.initial = versions.order_by("rubric__name", "-number").first()
        reviewer_field = self.fields["reviewers"]
        assert isinstance(reviewer_field, forms.ModelMultipleChoiceField)
        members = Membership.objects.filter(project=project).values("user_id")
        reviewer_field.queryset = get_user_model().objects.filter(pk__in=members).order_by(
            "username")
        prompt_field = self.fields["prompt_version"]
        assert isinstance(prompt_field, forms.ModelChoiceField)
        prompt_field.queryset = PromptVersion.objects.filter(
            template__project=project).select_related("template").order_by(
            "template__name", "-number")

    def clean_output_ids(self) -> list[int]:
        raw = self.cleaned_data.get("output_ids") or ""
        parts = raw.replace(",", " ").split()
        try:
            return [int(p) for p in parts]
        except ValueError as exc:
            raise forms.ValidationError("output ids must be whole numbers") from exc

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("prompt_version") or data.get("model") or data.get("output_ids")):
            raise forms.ValidationError("Choose the outputs: a prompt version, a model or ids.")
        return data
