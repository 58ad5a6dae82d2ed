"""The alert rule form: shapes and field types; the service checks the rules between fields."""

from __future__ import annotations

from typing import Any

from django import forms

from llmops_core.models import AlertRule, Direction, NoData, Project, PromptVersion
from llmops_core.services.alerts import METRICS, RuleInput, window_text
from llmops_core.services.alerts.metrics import metric_choices


class AlertRuleForm(forms.Form):
    """One rule. ``webhook_secret`` is write-only: blank keeps the stored one."""

    name = forms.CharField(max_length=120)
    metric = forms.ChoiceField(choices=[])
    window = forms.CharField(max_length=16, initial="1h", help_text="e.g. 30m, 1h, 24h, 7d")
    direction = forms.ChoiceField(choices=Direction.choices, initial=Direction.ABOVE)
    warning_threshold = forms.FloatField(required=False)
    alert_threshold = forms.FloatField()
    no_data = forms.ChoiceField(choices=NoData.choices, initial=NoData.KEEP, label="With no data")
    cooldown_seconds = forms.IntegerField(min_value=0, initial=3600, label="Cool-down (seconds)")
    prompt_version = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label="Only prompt version"
    )
    model_name = forms.CharField(required=False, max_length=200, label="Only model")
    criterion = forms.CharField(
        required=False, max_length=100, help_text="Needed by the score and agreement metrics."
    )
    webhook_url = forms.CharField(required=False, max_length=2000, label="Webhook URL")
    webhook_secret = forms.CharField(
        required=False,
        max_length=200,
        widget=forms.PasswordInput,
        help_text="16+ characters; blank keeps the current one (a new webhook gets one).",
    )
    emails = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One address per line or comma-separated.",
    )
    paused = forms.BooleanField(required=False)

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["metric"].choices = metric_choices()  # type: ignore[attr-defined]
        versions = PromptVersion.objects.filter(template__project=project).select_related(
            "template"
        )
        self.fields["prompt_version"].choices = [  # type: ignore[attr-defined]
            ("", "all"),
            *((v.pk, f"{v.template.name} v{v.number}") for v in versions.order_by("-id")[:500]),
        ]

    @staticmethod
    def initial_for(rule: AlertRule) -> dict[str, Any]:
        """Return the form's initial values for ``rule``."""
        return {
            "name": rule.name,
            "metric": rule.metric,
            "window": window_text(rule.window_seconds),
            "direction": rule.direction,
            "warning_threshold": rule.warning_threshold,
            "alert_threshold": rule.alert_threshold,
            "no_data": rule.no_data,
            "cooldown_seconds": rule.cooldown_seconds,
            "prompt_version": rule.prompt_version_id,
            "model_name": rule.model_name,
            "criterion": rule.criterion,
            "webhook_url": rule.webhook_url,
            "emails": "\n".join(rule.emails),
            "paused": rule.paused,
        }

    def rule_input(self) -> RuleInput:
        """Return the cleaned data as the service's input."""
        data = dict(self.cleaned_data)
        raw = data.pop("emails") or ""
        emails = [part.strip() for part in raw.replace(",", "\n").splitlines() if part.strip()]
        return RuleInput(prompt_version_id=data.pop("prompt_version"), emails=emails, **data)


def metric_help() -> list[dict[str, str]]:
    """Return every metric's name, unit and description, for the form page."""
    return [
        {"name": m.name, "unit": m.unit, "description": m.description}
        for m in sorted(METRICS.values(), key=lambda m: m.name)
    ]
