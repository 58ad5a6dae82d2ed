"""The release gate's rules as a form: one row per rule, checked against the project's rubric.

Rows are turned into rule objects and handed to ``services.gate_rules.gate_rules_check``, the
validator the API and the service use too; each problem it finds is put on its row and field.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.forms import BaseFormSet, formset_factory

from llmops_core.services.gate_rules import (
    BASIS_LABELS,
    JUDGE_ASSISTED,
    REFERENCE_LABELS,
    RULE_FIELDS,
    RULE_LABELS,
    Scales,
    gate_rules_check,
)

MAX_RULES = 30
# Fields whose value on a row without a rule means the rule was forgotten, not the row unused.
FILLED = ("criterion", "value", "items", "reviewers")
EXTRA_ROWS = 2
FIELD_LABELS = {
    "rule": "rule",
    "criterion": "criterion",
    "value": "value",
    "metric": "metric",
    "include_judge": "judge scores too",
    "basis": "estimate",
    "items": "outputs",
    "reviewers": "reviewers",
}


class GateRuleForm(forms.Form):
    """One rule: its kind and the fields that kind reads (the others are ignored)."""

    rule = forms.ChoiceField(
        required=False, choices=[("", "(no rule)"), *RULE_LABELS.items()], label="Rule"
    )
    criterion = forms.CharField(required=False, max_length=64, widget=forms.Select)
    value = forms.FloatField(
        required=False,
        help_text="Minimum mean: a score on the criterion's scale. "
        "Judge agreement: kappa from -1 to 1, within-1 from 0 to 1.",
    )
    metric = forms.ChoiceField(
        required=False,
        choices=[
            ("", "kappa"),
            ("quadratic_kappa", "kappa"),
            ("within_1", "within 1"),
            *REFERENCE_LABELS.items(),
        ],
        help_text="Judge agreement: quadratic-weighted kappa (the default), or the share of "
        "scores within 1. Against references: BLEU or chrF (0-100), a ROUGE F (0-1).",
    )
    include_judge = forms.BooleanField(required=False, label="Judge scores too")
    basis = forms.ChoiceField(
        required=False,
        label="Estimate",
        choices=[("", BASIS_LABELS["human_only"]), (JUDGE_ASSISTED, BASIS_LABELS[JUDGE_ASSISTED])],
        help_text="Minimum mean and no regression: human ratings alone (the default), or the "
        "judge-assisted PPI++ estimate from the scorecard and comparison.",
    )
    items = forms.IntegerField(required=False, label="Outputs")
    reviewers = forms.IntegerField(required=False)

    def __init__(self, *args: Any, scales: Scales, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = str(
            self.initial.get("criterion") or self.data.get(self.add_prefix("criterion")) or ""
        )
        choices = [("", "(criterion)")] + [
            (name, f"{name} ({low}-{high})") for name, (low, high) in sorted(scales.items())
        ]
        if current and current not in scales:
            choices.append((current, f"{current} (not in the rubric)"))
        widget = self.fields["criterion"].widget
        assert isinstance(widget, forms.Select)
        widget.choices = choices

    def rule_object(self) -> dict[str, Any] | None:
        """Return the row as a rule object (only its kind's fields), or None for a blank row."""
        data = self.cleaned_data
        kind = data.get("rule")
        if not kind:
            return None
        rule: dict[str, Any] = {"rule": kind}
        for name in RULE_FIELDS[kind]:
            value = data.get(name)
            if name == "include_judge":
                if value:
                    rule[name] = True
            elif value not in (None, ""):
                rule[name] = value
        return rule


class BaseGateRulesFormSet(BaseFormSet[GateRuleForm]):
    """The rows; ``rules`` holds the checked rules once ``is_valid()`` returned True."""

    def __init__(self, *args: Any, scales: Scales, **kwargs: Any) -> None:
        self.scales = scales
        self.rules: list[dict[str, Any]] = []
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {"scales": self.scales}

    def clean(self) -> None:
        if any(self.errors):
            raise forms.ValidationError(self._summary())
        rows = [
            (number, form, form.rule_object())
            for number, form in enumerate(self.forms, start=1)
            if not form.cleaned_data.get("DELETE")
        ]
        for _, form, rule in rows:
            if rule is None and any(
                form.cleaned_data.get(f) not in (None, "", False) for f in FILLED
            ):
                form.add_error("rule", "choose a rule for this row, or clear it")
        if any(self.errors):
            raise forms.ValidationError(self._summary())
        rows = [(number, form, rule) for number, form, rule in rows if rule is not None]
        cleaned, problems = gate_rules_check([r for _, _, r in rows], scales=self.scales)
        for problem in problems:
            _, form, _ = rows[problem.index - 1]
            field = problem.field if problem.field in form.fields else None
            form.add_error(field, problem.problem)
        if problems:
            raise forms.ValidationError(self._summary())
        self.rules = cleaned

    def _summary(self) -> list[str]:
        """Return every row error as 'Row 2, value: 9 is outside fluency's scale 1-5'."""
        lines = []
        for number, form in enumerate(self.forms, start=1):
            for field, errors in form.errors.items():
                where = f"Row {number}" + (
                    f", {FIELD_LABELS.get(field, field)}" if field != "__all__" else ""
                )
                lines += [f"{where}: {error}" for error in errors]
        return lines


GateRulesFormSet = cast(
    type[BaseGateRulesFormSet],
    formset_factory(
        GateRuleForm,
        formset=BaseGateRulesFormSet,
        extra=EXTRA_ROWS,
        can_delete=True,
        max_num=MAX_RULES,
        validate_max=True,
        absolute_max=MAX_RULES + EXTRA_ROWS,
    ),
)


def gate_rules_formset(
    data: Any, *, rules: list[dict[str, Any]], scales: Scales
) -> BaseGateRulesFormSet:
    """Return the rows form for ``rules`` (bound to ``data`` when posted)."""
    initial = [{name: value for name, value in rule.items()} for rule in rules]
    return GateRulesFormSet(data, initial=initial, prefix="rules", scales=scales)
