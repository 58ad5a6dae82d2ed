"""Forms of the queue builder and of a queue's settings: outputs chosen, design, state."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.http import QueryDict

from annotate.models import Queue, QueueOrder
from annotate.selectors.builder import OutputChoice, output_ids_missing, project_model_names
from annotate.serializers import MAX_LEASE_SECONDS
from annotate.services.queues import MAX_SEED
from llmops_core.forms.text import TextBoxField
from llmops_core.models import Membership, Project, PromptVersion, RubricVersion
from llmops_core.models.ranges import column_range

MAX_LISTED = 10_000  # output ids listed in one form
DEFAULT_GOLD_EVERY = 10
CHOICE_FIELDS = ("prompt_versions", "models", "output_ids")
OR_HELP = (
    "An output joins the queue if its prompt version is ticked OR its model is ticked OR its "
    "id is listed: v1 ticked and model m2 ticked take every v1 output and every m2 output."
)


class VersionChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.template.name} v{obj.number}"


class OutputChoiceForm(forms.Form):
    """Which outputs: prompt versions, models and ids, any one of which takes an output."""

    prompt_versions = VersionChoiceField(
        queryset=PromptVersion.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Every output of the ticked prompt versions…",
    )
    models = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="…or of the ticked models…",
    )
    output_ids = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="…or with these ids (comma or space separated). " + OR_HELP,
    )

    def __init__(
        self, *args: Any, project: Project, require_choice: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.project = project
        self.require_choice = require_choice
        versions = self.fields["prompt_versions"]
        assert isinstance(versions, forms.ModelMultipleChoiceField)
        versions.queryset = (
            PromptVersion.objects.filter(template__project=project)
            .select_related("template")
            .order_by("template__name", "number")
        )
        models = self.fields["models"]
        assert isinstance(models, forms.MultipleChoiceField)
        models.choices = [(m, m) for m in project_model_names(project=project)]

    def clean_output_ids(self) -> list[int]:
        tokens = list(
            dict.fromkeys((self.cleaned_data.get("output_ids") or "").replace(",", " ").split())
        )
        wrong = [t for t in tokens if not re.fullmatch(r"[0-9]{1,18}", t)]
        if wrong:
            raise forms.ValidationError(f'output ids are whole numbers, not "{wrong[0][:40]}"')
        if len(tokens) > MAX_LISTED:
            raise forms.ValidationError(f"{len(tokens)} ids: at most {MAX_LISTED} at a time")
        ids = [int(t) for t in tokens]
        missing = output_ids_missing(project=self.project, output_ids=ids)
        if missing:
            shown = ", ".join(str(i) for i in missing[:10])
            raise forms.ValidationError(f"no output of this project has id {shown}")
        return ids

    def choice(self) -> OutputChoice:
        """Return the valid form's choice of outputs."""
        data = self.cleaned_data
        return OutputChoice(
            version_ids=tuple(v.pk for v in data.get("prompt_versions") or ()),
            model_names=tuple(data.get("models") or ()),
            output_ids=tuple(data.get("output_ids") or ()),
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.require_choice and not self.errors and not self.choice():
            raise forms.ValidationError(
                "Choose the outputs: tick a prompt version or a model, or list output ids."
            )
        return data


def initial_choice(query: QueryDict) -> dict[str, Any]:
    """Return the builder's initial choice from a link: ``?output=1&output=2``, or filters.

    ``?prompt_version=<id>`` and ``?model=<name>`` tick those boxes; what does not fit the
    form is shown as the form's own error once the lead submits it.
    """
    initial: dict[str, Any] = {}
    if outputs := query.getlist("output"):
        initial["output_ids"] = " ".join(outputs)
    if versions := [v for v in query.getlist("prompt_version") if v.isdigit()]:
        initial["prompt_versions"] = versions
    if models := query.getlist("model"):
        initial["models"] = models
    return initial


class DesignFields(forms.Form):
    """The settings a queue is created with and a lead may change later."""

    guidelines = TextBoxField(
        widget=forms.Textarea(attrs={"rows": 6}), required=False, help_text="Markdown."
    )
    overlap = forms.IntegerField(
        min_value=1, max_value=50, initial=3, help_text="Distinct reviewers per item."
    )
    max_overlap = forms.IntegerField(
        min_value=1,
        max_value=50,
        required=False,
        help_text="Adaptive overlap: items whose ratings disagree get more reviewers, up to this.",
    )
    disagreement_threshold = forms.IntegerField(
        min_value=1,
        max_value=column_range(Queue, "disagreement_threshold")[1],
        required=False,
        initial=2,
        help_text="A spread of this many points on any criterion makes an item contested.",
    )
    lease_minutes = forms.IntegerField(
        min_value=1,
        max_value=MAX_LEASE_SECONDS // 60,
        initial=15,
        help_text="An unfinished item returns to the pool after.",
    )
    gold_every = forms.IntegerField(
        min_value=2,
        max_value=column_range(Queue, "gold_every")[1],
        initial=DEFAULT_GOLD_EVERY,
        required=False,
        label="Gold rate: one item in",
        help_text="About one item in this many is a gold item, while any are unseen.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("gold_every") is None:
            data["gold_every"] = DEFAULT_GOLD_EVERY
        top, overlap = data.get("max_overlap"), data.get("overlap")
        if top is not None and overlap is not None and top < overlap:
            self.add_error("max_overlap", f"{top} is below the overlap {overlap}")
        return data


class QueueSettingsForm(DesignFields):
    """A queue's settings after creation (its name, guidelines, overlap, lease, gold rate)."""

    name = forms.CharField(max_length=200)
    field_order = ["name"]

    def changes(self, queue: Queue) -> dict[str, Any]:
        """Return the fields that differ from ``queue``, as ``queue_update`` takes them."""
        data = dict(self.cleaned_data)
        data["lease_seconds"] = data.pop("lease_minutes") * 60
        return {k: v for k, v in data.items() if getattr(queue, k) != v}

    @staticmethod
    def initial_of(queue: Queue) -> dict[str, Any]:
        fields = ("name", "guidelines", "overlap", "max_overlap", "disagreement_threshold")
        initial = {name: getattr(queue, name) for name in fields}
        return {
            **initial,
            "gold_every": queue.gold_every,
            "lease_minutes": queue.lease_seconds // 60,
        }


class QueueForm(DesignFields, OutputChoiceForm):
    """A new queue: its name, rubric, design and reviewers, and the outputs it holds."""

    name = forms.CharField(max_length=200)
    rubric_version = forms.ModelChoiceField(queryset=RubricVersion.objects.none())
    blind = forms.BooleanField(
        required=False, initial=True, help_text="Hide prompt version, model and others' ratings."
    )
    order = forms.ChoiceField(
        choices=QueueOrder.choices,
        initial=QueueOrder.RANDOM,
        required=False,
        help_text="Random keeps two answers to one input apart; interleaved alternates versions.",
    )
    seed = forms.IntegerField(
        min_value=0,
        max_value=MAX_SEED,
        required=False,
        help_text="Leave empty for a new one; the same seed gives the same order.",
    )
    reviewers = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    field_order = ["name", "rubric_version", *CHOICE_FIELDS, "order", "seed", "blind"]

    def head_fields(self) -> list[forms.BoundField]:
        return [self["name"], self["rubric_version"]]

    def design_fields(self) -> list[forms.BoundField]:
        taken = {"name", "rubric_version", *CHOICE_FIELDS}
        return [self[name] for name in self.fields if name not in taken]

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, project=project, **kwargs)
        versions = RubricVersion.objects.filter(rubric__project=project).select_related("rubric")
        rubric_field = self.fields["rubric_version"]
        assert isinstance(rubric_field, forms.ModelChoiceField)
        rubric_field.queryset = versions.order_by("rubric__name", "-number")
        rubric_field.initial = versions.order_by("rubric__name", "-number").first()
        reviewer_field = self.fields["reviewers"]
        assert isinstance(reviewer_field, forms.ModelMultipleChoiceField)
        members = Membership.objects.filter(project=project).values("user_id")
        reviewer_field.queryset = (
            get_user_model().objects.filter(pk__in=members).order_by("username")
        )


class QueueStateForm(forms.Form):
    """One of a queue's state actions, as a button posts it."""

    action = forms.ChoiceField(
        choices=[(a, a) for a in ("pause", "open", "close", "archive", "unarchive")]
    )
