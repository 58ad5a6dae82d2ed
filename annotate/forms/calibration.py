"""Forms of a calibration queue: the plan (version, judge, criterion, N, design), the queue."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from annotate.forms.queues import DesignFields
from annotate.models import QueueSampling
from annotate.services.queues import MAX_SEED
from llmops_core.models import JudgeVersion, Membership, Project, PromptVersion, RubricVersion
from llmops_core.selectors.judge_frames import (
    judge_criterion_names,
    judge_label,
    pointwise_judge_versions,
)

MAX_BUDGET = 100_000
SAMPLING_CHOICES = [
    (QueueSampling.UNIFORM, "Uniformly at random (N of the M outputs, N / M each)"),
    (QueueSampling.ACTIVE, "Actively, where the judge is least certain (weighted)"),
]


class PromptVersionField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.template.name} v{obj.number}"


class JudgeVersionField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return judge_label(obj)


class CalibrationPlanForm(forms.Form):
    """What to sample: a prompt version's outputs scored by a judge, N ratings, a design."""

    version = PromptVersionField(
        queryset=PromptVersion.objects.none(),
        label="Prompt version to calibrate",
    )
    judge_version = JudgeVersionField(
        queryset=JudgeVersion.objects.none(),
        empty_label=None,  # the newest version of the first judge, until the lead picks
        label="Judge",
        help_text="The frame is the version's outputs this judge scored on the criterion.",
    )
    criterion = forms.ChoiceField(
        help_text="Active sampling follows the judge's uncertainty on this criterion."
    )
    budget = forms.IntegerField(
        min_value=1,
        max_value=MAX_BUDGET,
        label="Human ratings (N)",
        help_text="How many outputs humans rate (expected number under active sampling).",
    )
    sampling = forms.ChoiceField(choices=SAMPLING_CHOICES, initial=QueueSampling.UNIFORM)

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.project = project
        versions = self.fields["version"]
        assert isinstance(versions, forms.ModelChoiceField)
        versions.queryset = (
            PromptVersion.objects.filter(template__project=project)
            .select_related("template")
            .order_by("template__name", "number")
        )
        judges = self.fields["judge_version"]
        assert isinstance(judges, forms.ModelChoiceField)
        judges.queryset = pointwise_judge_versions(project=project)
        criterion = self.fields["criterion"]
        assert isinstance(criterion, forms.ChoiceField)
        criterion.choices = [(n, n) for n in judge_criterion_names(project=project)]


class CalibrationQueueForm(DesignFields, CalibrationPlanForm):
    """A new calibration queue: the plan, and the queue's name, rubric, design, reviewers."""

    name = forms.CharField(max_length=200)
    rubric_version = forms.ModelChoiceField(queryset=RubricVersion.objects.none())
    blind = forms.BooleanField(
        required=False, initial=True, help_text="Hide prompt version, model and others' ratings."
    )
    seed = forms.IntegerField(
        min_value=0,
        max_value=MAX_SEED,
        required=False,
        help_text="Leave empty for a new one; the same seed draws the same outputs.",
    )
    reviewers = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    field_order = ["version", "judge_version", "criterion", "budget", "sampling", "name"]

    def plan_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in CalibrationPlanForm.base_fields]

    def design_fields(self) -> list[forms.BoundField]:
        taken = set(CalibrationPlanForm.base_fields)
        return [self[name] for name in self.fields if name not in taken]

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, project=project, **kwargs)
        self.fields["overlap"].initial = 1
        rubrics = RubricVersion.objects.filter(rubric__project=project).select_related("rubric")
        rubric_field = self.fields["rubric_version"]
        assert isinstance(rubric_field, forms.ModelChoiceField)
        rubric_field.queryset = rubrics.order_by("rubric__name", "-number")
        rubric_field.initial = rubrics.order_by("rubric__name", "-number").first()
        reviewer_field = self.fields["reviewers"]
        assert isinstance(reviewer_field, forms.ModelMultipleChoiceField)
        members = Membership.objects.filter(project=project).values("user_id")
        reviewer_field.queryset = (
            get_user_model().objects.filter(pk__in=members).order_by("username")
        )
