"""The routing rule form of the pages: the rule's fields, the filter as JSON text."""

from __future__ import annotations

import json
from typing import Any

from django import forms

from annotate.models import Queue
from llmops_core.forms.jsonfields import json_from_text
from llmops_core.forms.outputs import PARAMS
from llmops_core.models import JudgeMode, JudgeVersion, Project, RoutingRule

FILTER_KEYS = ", ".join((*PARAMS, "tag", "metadata", "status", "length_min", "length_max"))


class RoutingRuleForm(forms.Form):
    name = forms.CharField(max_length=120)
    filter = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=(
            'A JSON object, e.g. {"prompt_version_id": [12], "tag": ["vip"], '
            f'"metadata": ["region=eu"], "length_min": 200}}. Keys: {FILTER_KEYS}. '
            "Empty: every new output."
        ),
    )
    rate_percent = forms.DecimalField(
        label="Rate (%)",
        required=False,
        max_digits=6,
        decimal_places=3,
        help_text="Share of matching outputs drawn; empty: all.",
    )
    day_cap = forms.IntegerField(
        label="Per-day cap",
        required=False,
        min_value=1,
        help_text="At most this many a day. Under a cap, inclusion probabilities are not "
        "known exactly and are recorded as empty.",
    )
    queue = forms.ChoiceField(label="Send to queue", required=False)
    judge_version = forms.ChoiceField(label="Send to judge", required=False)
    judge_day_budget = forms.DecimalField(
        label="Judge budget per day ($)",
        required=False,
        max_digits=10,
        decimal_places=2,
        help_text="Judging stops for the day once its calls cost this much; empty: no cap.",
    )

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        queues = Queue.objects.filter(project=project, archived_at__isnull=True).order_by("name")
        judges = JudgeVersion.objects.filter(
            config__project=project, mode=JudgeMode.POINTWISE
        ).order_by("config__name", "-number")
        queue_field, judge_field = self.fields["queue"], self.fields["judge_version"]
        assert isinstance(queue_field, forms.ChoiceField)
        assert isinstance(judge_field, forms.ChoiceField)
        queue_field.choices = [("", "—")] + [
            (str(pk), name) for pk, name in queues.values_list("pk", "name")[:500]
        ]
        judge_field.choices = [("", "—")] + [
            (str(pk), f"{name} v{number}")
            for pk, name, number in judges.values_list("pk", "config__name", "number")[:500]
        ]

    def clean_filter(self) -> Any:
        text = (self.cleaned_data.get("filter") or "").strip()
        return json_from_text(text) if text else {}

    def service_data(self) -> dict[str, Any]:
        """Return the fields as the routing services take them."""
        return {k: self.cleaned_data.get(k) for k in self.fields}


def routing_rule_initial(rule: RoutingRule) -> dict[str, Any]:
    """Return the form's initial values for editing ``rule``."""
    return {
        "name": rule.name,
        "filter": json.dumps(rule.filter, indent=1) if rule.filter else "",
        "rate_percent": rule.rate_percent,
        "day_cap": rule.day_cap,
        "queue": str(rule.queue_id or ""),
        "judge_version": str(rule.judge_version_id or ""),
        "judge_day_budget": rule.judge_day_budget,
    }
