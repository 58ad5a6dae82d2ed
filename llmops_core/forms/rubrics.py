"""The rubric page's form: a rubric's criteria, edited as rows, saved as a new rubric version.

A criterion's anchors are written one level per line ("3: Understandable, with errors"); every
level of its scale needs an anchor and no line may name a level outside it. Criterion names are
unique within the rubric (ignoring case) and slug-safe: they become column names in exports.
"""

from __future__ import annotations

import re
from typing import Any, cast

from django import forms
from django.core.validators import validate_slug
from django.forms import BaseFormSet, formset_factory

from llmops_core.models import Criterion, RubricVersion
from llmops_core.models.ranges import column_range
from llmops_core.services.rubrics import CriterionSpec

MAX_CRITERIA = 20
# Wide enough for any sensible scale, small enough that every level gets written down.
MAX_LEVELS = 11
_LINE = re.compile(r"\s*([+-]?\d{1,6})\s*[:.=)-]\s*(.*)")


def anchors_text(criterion: Criterion) -> str:
    """Return a criterion's anchors as the form shows them: one "level: text" per line."""
    return "\n".join(f"{level}: {criterion.anchor(level)}" for level in criterion.levels)


def anchors_parse(text: str, low: int, high: int) -> dict[str, str]:
    """Return {level: text} from "level: text" lines, or raise ValidationError naming the line."""
    anchors: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _LINE.fullmatch(line)
        if match is None:
            raise forms.ValidationError(
                f'line {number}: write "level: text", e.g. "{low}: poor"', code="line"
            )
        level, words = int(match[1]), match[2].strip()
        if not low <= level <= high:
            raise forms.ValidationError(f"line {number}: level {level} is outside {low}-{high}")
        if str(level) in anchors:
            raise forms.ValidationError(f"line {number}: level {level} is given twice")
        if not words:
            raise forms.ValidationError(f"line {number}: level {level} has no text")
        anchors[str(level)] = words
    missing = [str(level) for level in range(low, high + 1) if str(level) not in anchors]
    if missing:
        raise forms.ValidationError(
            f"every level needs an anchor; missing: {', '.join(missing)}", code="missing"
        )
    return anchors


class CriterionForm(forms.Form):
    name = forms.CharField(
        max_length=64,
        required=False,
        validators=[validate_slug],
        help_text="Letters, digits, - and _ only.",
    )
    description = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    scale_min = forms.IntegerField(initial=1, required=False, label="From")
    scale_max = forms.IntegerField(initial=5, required=False, label="To")
    anchors = forms.CharField(
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "true"}),
        help_text='One line per level: "1: Unreadable".',
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("name"):
            if any(data.get(f) for f in ("description", "anchors")):
                self.add_error("name", "a criterion needs a name (or clear its row)")
            return data
        low, high = data.get("scale_min"), data.get("scale_max")
        if low is None or high is None:
            self.add_error("scale_max" if low is not None else "scale_min", "give the scale")
            return data
        bounds = column_range(Criterion, "scale_min")
        if not bounds[0] <= low < high <= bounds[1]:
            self.add_error("scale_max", f"the scale {low}-{high} must run upwards")
            return data
        if high - low + 1 > MAX_LEVELS:
            self.add_error("scale_max", f"at most {MAX_LEVELS} levels, each with an anchor")
            return data
        try:
            data["anchor_map"] = anchors_parse(data.get("anchors") or "", low, high)
        except forms.ValidationError as exc:
            self.add_error("anchors", exc)
        return data

    def spec(self) -> CriterionSpec | None:
        data = self.cleaned_data
        if not data.get("name"):
            return None
        return CriterionSpec(
            name=data["name"],
            description=(data.get("description") or "").replace("\r\n", "\n"),
            anchors=data["anchor_map"],
            scale_min=data["scale_min"],
            scale_max=data["scale_max"],
        )


class BaseCriteriaFormSet(BaseFormSet[CriterionForm]):
    """The rubric's criteria; ``specs`` holds them once ``is_valid()`` returned True."""

    specs: list[CriterionSpec]

    def clean(self) -> None:
        self.specs = []
        if any(self.errors):
            raise forms.ValidationError(self._summary())
        seen: dict[str, int] = {}
        for number, form in enumerate(self.forms, start=1):
            if form.cleaned_data.get("DELETE"):
                continue
            spec = form.spec()
            if spec is None:
                continue
            first = seen.setdefault(spec.name.lower(), number)
            if first != number:
                form.add_error("name", f'"{spec.name}" is also the name of criterion {first}')
            self.specs.append(spec)
        if any(self.errors):
            raise forms.ValidationError(self._summary())
        if not self.specs:
            raise forms.ValidationError("a rubric needs at least one criterion")

    def _summary(self) -> list[str]:
        """Return every row error as 'Criterion 2 ("tone"), anchors: ...'."""
        lines = []
        for number, form in enumerate(self.forms, start=1):
            name = form.data.get(form.add_prefix("name"), "") if form.is_bound else ""
            who = f'Criterion {number} ("{name}")' if name else f"Criterion {number}"
            for field, errors in form.errors.items():
                where = who + (
                    f", {form.fields[field].label or field}" if field in form.fields else ""
                )
                lines += [f"{where}: {error}" for error in errors]
        return lines


CriteriaFormSet = cast(
    type[BaseCriteriaFormSet],
    formset_factory(
        CriterionForm,
        formset=BaseCriteriaFormSet,
        extra=1,
        can_delete=True,
        max_num=MAX_CRITERIA,
        validate_max=True,
        absolute_max=MAX_CRITERIA + 1,
    ),
)


class RubricNoteForm(forms.Form):
    note = forms.CharField(
        required=False, max_length=300, help_text="What changed, for the version's history."
    )


def criteria_formset(data: Any, *, version: RubricVersion | None) -> BaseCriteriaFormSet:
    """Return the criteria rows of ``version`` (bound to ``data`` when posted)."""
    initial = [
        {
            "name": c.name,
            "description": c.description,
            "scale_min": c.scale_min,
            "scale_max": c.scale_max,
            "anchors": anchors_text(c),
        }
        for c in (version.criteria.all() if version is not None else [])
    ]
    return CriteriaFormSet(data, initial=initial, prefix="criteria")
