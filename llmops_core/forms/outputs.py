"""The outputs filter as a form: query parameters (or a queue's ``filter`` object) in, an
``OutputFilter`` out, and errors that name the parameter (``judge_min: 7 is outside 1-5``).

One form for the outputs page, the outputs API and queue creation, so that a filter means the
same everywhere and a link from the page carries it to the queue form unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

from annotate.selectors import queue_rows_for_user
from llmops_core.models import Project
from llmops_core.selectors.feedback import FILTER_CHOICES
from llmops_core.selectors.outputs import (
    CriterionScale,
    OutputFilter,
    output_criterion_scales,
    output_model_names,
    output_template_names,
    output_version_choices,
)
from llmops_core.selectors.projects import import_job_list

NO_QUEUE = "none"
YES = {"yes", "true", "1", "on"}
NO = {"no", "false", "0", "off"}
# The query parameters of the filter, in the order the page shows them.
PARAMS = (
    "q",
    "prompt",
    "prompt_version_id",
    "model",
    "created_from",
    "created_to",
    "rated",
    "queue",
    "judge_criterion",
    "judge_min",
    "judge_max",
    "import_id",
    "feedback",
)
# Days a filter may name: far enough from the calendar's ends that a time zone shift or the
# day after stays a valid datetime.
EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(9000, 12, 31)
DATE = forms.DateInput(attrs={"type": "date"})
MULTI = forms.SelectMultiple(attrs={"size": 4})
FEEDBACK_CHOICES = [
    ("", "either"),
    ("any", "any feedback"),
    ("down", "thumbs down"),
    ("up", "thumbs up"),
    ("comment", "has a comment"),
    ("correction", "has a correction"),
]


def _multi(label: str, help_text: str, what: str) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        required=False,
        widget=MULTI,
        help_text=help_text,
        error_messages={"invalid_choice": f"%(value)s is not {what} of this project"},
    )


class OutputFilterForm(forms.Form):
    q = forms.CharField(
        label="Search", required=False, max_length=500, help_text="Input, output or external id."
    )
    prompt = _multi("Prompt templates", "Any version of these templates.", "a prompt template")
    prompt_version_id = _multi("Prompt versions", "Any of these.", "a prompt version")
    model = _multi("Models", "Any of these.", "a model of the outputs")
    created_from = forms.DateField(label="Created from", required=False, widget=DATE)
    created_to = forms.DateField(label="Created until (inclusive)", required=False, widget=DATE)
    rated = forms.CharField(
        label="Rated",
        required=False,
        widget=forms.Select(
            choices=[("", "either"), ("yes", "rated (at least one label)"), ("no", "not rated")]
        ),
    )
    queue = _multi("In queues", "In any of these (or in none).", "a queue")
    judge_criterion = forms.ChoiceField(
        label="Judge score on",
        required=False,
        help_text="The latest judge run's score of each output.",
        error_messages={"invalid_choice": "%(value)s is not a criterion of this project"},
    )
    judge_min = forms.IntegerField(label="Judge score from", required=False)
    judge_max = forms.IntegerField(label="Judge score to", required=False)
    import_id = forms.IntegerField(
        label="From import",
        required=False,
        min_value=1,
        help_text="The outputs the rows of this import (its number) stand for.",
    )

    feedback = forms.ChoiceField(
        label="End-user feedback",
        required=False,
        choices=FEEDBACK_CHOICES,
        help_text="Feedback the application sent about the output.",
        error_messages={"invalid_choice": f"%(value)s is not one of {', '.join(FILTER_CHOICES)}"},
    )

    def __init__(
        self, data: Mapping[str, Any] | None, *, project: Project, user: User, **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        self.project, self.user = project, user
        # Choices are read when a field is rendered or has a value to check, not before: an
        # API call filtering by model alone costs no query for versions, queues or criteria.
        self._set_choices("prompt", self._templates)
        self._set_choices("prompt_version_id", self._versions)
        self._set_choices("model", self._models)
        self._set_choices("queue", self._queues)
        self._set_choices("judge_criterion", self._criteria)

    def _set_choices(self, name: str, load: Callable[[], list[tuple[str, str]]]) -> None:
        """Give field ``name`` the choices ``load`` returns, read once and only if needed."""
        loaded: list[list[tuple[str, str]]] = []

        def choices() -> list[tuple[str, str]]:
            if not loaded:
                loaded.append(load())
            return loaded[0]

        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def _templates(self) -> list[tuple[str, str]]:
        return [(name, name) for name in output_template_names(project=self.project)]

    def _versions(self) -> list[tuple[str, str]]:
        return [(str(pk), label) for pk, label in output_version_choices(project=self.project)]

    def _models(self) -> list[tuple[str, str]]:
        return [(name, name) for name in output_model_names(project=self.project)]

    def _queues(self) -> list[tuple[str, str]]:
        queues = queue_rows_for_user(user=self.user, project=self.project, by_name=True)
        return [(NO_QUEUE, "(in no queue)")] + [(str(q.id), q.name) for q in queues]

    @cached_property
    def scales(self) -> dict[str, CriterionScale]:
        return output_criterion_scales(project=self.project)

    def _criteria(self) -> list[tuple[str, str]]:
        return [("", "—")] + [
            (c.name, f"{c.name} ({c.scale_min}-{c.scale_max})") for c in self.scales.values()
        ]

    def clean_rated(self) -> bool | None:
        raw = (self.cleaned_data.get("rated") or "").strip().lower()
        if raw in YES:
            return True
        if raw in NO:
            return False
        if raw in {"", "any", "either"}:
            return None
        raise forms.ValidationError(f"{raw!r} is not one of yes, no")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("created_from", "created_to"):
            day = data.get(name)
            if day is not None and not EARLIEST <= day <= LATEST:
                self.add_error(name, f"{day} is outside {EARLIEST} to {LATEST}")
                data[name] = None
        start, end = data.get("created_from"), data.get("created_to")
        if start and end and start > end:
            self.add_error("created_to", f"{end} is before created_from {start}")
        self._clean_judge(data)
        job = data.get("import_id")
        if job is not None and not import_job_list(project=self.project).filter(pk=job).exists():
            self.add_error("import_id", f"{job} is not an import of this project")
        return data

    def _clean_judge(self, data: dict[str, Any]) -> None:
        name = data.get("judge_criterion") or ""
        low, high = data.get("judge_min"), data.get("judge_max")
        if not name:
            for key, value in (("judge_min", low), ("judge_max", high)):
                if value is not None:
                    self.add_error(key, "give judge_criterion, the criterion it applies to")
            return
        scale_min, scale_max = self.scales[name].scale_min, self.scales[name].scale_max
        for key, value in (("judge_min", low), ("judge_max", high)):
            if value is not None and not scale_min <= value <= scale_max:
                self.add_error(key, f"{value} is outside {scale_min}-{scale_max}")
        if low is not None and high is not None and low > high:
            self.add_error("judge_max", f"{high} is below judge_min {low}")

    def to_filter(self) -> OutputFilter:
        """Return the filter the valid form describes."""
        data = self.cleaned_data
        queues = data.get("queue") or []
        name = data.get("judge_criterion") or ""
        return OutputFilter(
            q=data.get("q") or "",
            prompts=tuple(data.get("prompt") or ()),
            version_ids=tuple(int(v) for v in data.get("prompt_version_id") or ()),
            models=tuple(data.get("model") or ()),
            created_from=data.get("created_from"),
            created_to=data.get("created_to"),
            rated=data.get("rated"),
            queue_ids=tuple(int(q) for q in queues if q != NO_QUEUE),
            no_queue=NO_QUEUE in queues,
            judge_criterion=name,
            judge_min=data.get("judge_min"),
            judge_max=data.get("judge_max"),
            judge_criterion_ids=self.scales[name].ids if name else (),
            import_id=data.get("import_id"),
            feedback=data.get("feedback") or "",
        )

    def error_lines(self) -> list[str]:
        """Return each error as ``parameter: message``, in the order of the parameters."""
        order = {name: i for i, name in enumerate(PARAMS)}
        lines = []
        for name in sorted(self.errors, key=lambda n: order.get(n, len(order))):
            for message in self.errors[name]:
                lines.append(str(message) if name == "__all__" else f"{name}: {message}")
        return lines


def filter_query(query: QueryDict) -> QueryDict:
    """Return the filter's parameters in ``query``, empty values left out (for links)."""
    params = QueryDict(mutable=True)
    for name in PARAMS:
        values = [v for v in query.getlist(name) if v.strip() != ""]
        if values:
            params.setlist(name, values)
    return params


def filter_data_from_json(value: Any) -> MultiValueDict[str, str]:
    """Return a queue request's ``filter`` object as query parameters for the form.

    Raises ``ValueError`` naming the key that is not a filter parameter or has a value of the
    wrong shape (a list of plain values, or one plain value).
    """
    if not isinstance(value, dict):
        raise ValueError('give an object of filter parameters, such as {"model": ["m1"]}')
    data: MultiValueDict[str, str] = MultiValueDict()
    for key, raw in value.items():
        if key not in PARAMS:
            raise ValueError(f'"{key}" is not a filter parameter (one of {", ".join(PARAMS)})')
        items = raw if isinstance(raw, list) else [raw]
        for item in items:
            if item is None:
                continue
            if isinstance(item, bool):
                item = "yes" if item else "no"
            if not isinstance(item, str | int):
                raise ValueError(f'"{key}": give strings or numbers, not {type(item).__name__}')
            data.appendlist(key, str(item))
    return data
