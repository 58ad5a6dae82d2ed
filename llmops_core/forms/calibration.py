"""The judge calibration page's choices: judge version, prompt version, criterion, top."""

from __future__ import annotations

from typing import Any

from django import forms

from llmops_core.models import JudgeConfig, JudgeVersion, PromptVersion
from llmops_core.selectors.judge_calibration import MAX_TOP, judge_criteria


class CalibrationChoiceForm(forms.Form):
    """Which judge version, of which prompt version's outputs, on which criteria (GET)."""

    version = forms.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        required=False,
        help_text="Judge version number; empty: the newest.",
    )
    prompt_version = forms.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        required=False,
        help_text="Only this prompt version's outputs (its id).",
    )
    criterion = forms.CharField(max_length=64, required=False)
    top = forms.IntegerField(min_value=1, max_value=MAX_TOP, required=False, initial=20)

    def __init__(self, *args: Any, judge: JudgeConfig, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.judge = judge

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        versions = JudgeVersion.objects.filter(config=self.judge).select_related("config")
        number = data.get("version")
        chosen = (
            versions.filter(number=number) if number else versions.order_by("-number")
        ).first()
        if chosen is None:
            self.add_error("version", f"{self.judge.name} has no version {number or ''}".strip())
            return data
        data["judge_version"] = chosen
        criteria = judge_criteria(judge_version=chosen)
        wanted = data.get("criterion")
        if wanted and wanted not in criteria:
            self.add_error("criterion", f'the judge\'s rubric has no criterion "{wanted}"')
            return data
        if wanted:
            criteria = [wanted]
        data["criteria"] = criteria
        data["prompt_version_obj"] = None
        if data.get("prompt_version"):
            found = PromptVersion.objects.filter(
                pk=data["prompt_version"], template__project_id=self.judge.project_id
            ).select_related("template")
            data["prompt_version_obj"] = found.first()
            if data["prompt_version_obj"] is None:
                self.add_error("prompt_version", "no such prompt version in this project")
        data["top"] = data.get("top") or 20
        return data
