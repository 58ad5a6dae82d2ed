"""Forms of the judge pages: endpoints, judges and versions, runs. Shapes only; services decide."""

from __future__ import annotations

import json
from typing import Any

from django import forms

from llmops_core.forms.jsonfields import json_from_text
from llmops_core.forms.text import TextBoxField
from llmops_core.models import JudgeMode, JudgeVersion, LLMEndpoint, PromptVersion, RubricVersion
from llmops_core.services.judges.configs import RESPONSE_FORMATS


class EndpointForm(forms.Form):
    name = forms.SlugField(max_length=64)
    base_url = forms.URLField(
        max_length=500,
        assume_scheme="https",
        label="Base URL",
        help_text="An OpenAI-compatible base URL, e.g. https://api.openai.com/v1, with no "
        "query string. Private and local addresses only where the operator allows them.",
    )
    api_key = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        label="API key",
        help_text="Stored encrypted and never shown again (only its last four characters).",
    )
    api_key_env = forms.CharField(
        required=False,
        max_length=100,
        label="Or read the key from this server environment variable",
        help_text="Only a variable the operator bound to this base URL (LLM_KEY_ENVS); "
        "by default OPENAI_API_KEY, for the site's default base URL.",
    )
    concurrency = forms.IntegerField(
        min_value=1, max_value=256, initial=16, help_text="Calls in flight per worker."
    )
    timeout_seconds = forms.IntegerField(min_value=1, max_value=600, initial=60)


class EndpointChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        endpoint: LLMEndpoint = obj
        return f"{endpoint.name} ({endpoint.base_url})"


class RubricVersionChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        version: RubricVersion = obj
        return f"{version.rubric.name} v{version.number}"


class JudgeVersionForm(forms.Form):
    """The content of a judge version; saving unchanged content returns the existing version."""

    model_name = forms.CharField(max_length=200, initial="demo-judge")
    mode = forms.ChoiceField(choices=JudgeMode.choices, initial=JudgeMode.POINTWISE)
    response_format = forms.ChoiceField(
        choices=[(f, f) for f in RESPONSE_FORMATS],
        initial="json_schema",
        help_text="json_schema for endpoints with structured outputs; json_object otherwise.",
    )
    temperature = forms.FloatField(min_value=0, max_value=2, initial=0, required=False)
    parameters = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Other parameters (JSON)",
        help_text='e.g. {"max_tokens": 400, "seed": 7}',
    )
    rubric_version = RubricVersionChoiceField(queryset=RubricVersion.objects.none())
    endpoint = EndpointChoiceField(
        queryset=LLMEndpoint.objects.none(),
        required=False,
        empty_label="Site default (OPENAI_BASE_URL)",
    )
    system_message = TextBoxField(
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Instructions",
        help_text="Added to the system message; the rubric's criteria, "
        "their anchors and the reply format are always included.",
    )
    prompt_template = TextBoxField(
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="User prompt template",
        help_text="Empty: the built-in template. Use {{ input }}, {{ output }} "
        "(pairwise: {{ output_a }}, {{ output_b }}) and {{ criteria }}.",
    )

    def __init__(self, *args: Any, rubric_versions: Any, endpoints: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rubric_version"].queryset = rubric_versions  # type: ignore[attr-defined]
        self.fields["endpoint"].queryset = endpoints  # type: ignore[attr-defined]

    def clean_parameters(self) -> dict[str, Any]:
        text = (self.cleaned_data.get("parameters") or "").strip()
        if not text:
            return {}
        value = json_from_text(text)
        if not isinstance(value, dict):
            raise forms.ValidationError('give a JSON object, e.g. {"max_tokens": 400}')
        return value

    def version_fields(self) -> dict[str, Any]:
        """Return ``judge_version_create`` keywords from the cleaned data."""
        data = self.cleaned_data
        parameters = dict(data["parameters"])
        if data.get("temperature") is not None:
            parameters["temperature"] = data["temperature"]
        return {
            "model_name": data["model_name"],
            "mode": data["mode"],
            "response_format": data["response_format"],
            "parameters": parameters,
            "rubric_version": data["rubric_version"],
            "endpoint": data["endpoint"],
            "system_message": data["system_message"],
            "prompt_template": data["prompt_template"],
        }

    @staticmethod
    def initial_from(version: JudgeVersion) -> dict[str, Any]:
        """Return the form's initial values from an existing version (to edit into a new one)."""
        parameters = dict(version.parameters)
        temperature = parameters.pop("temperature", None)
        return {
            "model_name": version.model_name,
            "mode": version.mode,
            "response_format": version.response_format,
            "temperature": temperature,
            "parameters": json.dumps(parameters) if parameters else "",
            "rubric_version": version.rubric_version_id,
            "endpoint": version.endpoint_id,
            "system_message": version.system_message,
            "prompt_template": version.prompt_template,
        }


class JudgeForm(forms.Form):
    name = forms.SlugField(max_length=120)
    description = TextBoxField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class PromptVersionChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        version: PromptVersion = obj
        return f"{version.template.name} v{version.number}"


class JudgeRunForm(forms.Form):
    """Run a judge version on a queue; pairwise versions compare two prompt versions in it."""

    judge_version = forms.TypedChoiceField(coerce=int, label="Judge version")
    queue = forms.TypedChoiceField(coerce=int, label="Queue")
    prompt_version_a = PromptVersionChoiceField(
        queryset=PromptVersion.objects.none(), required=False, label="Pairwise: prompt version A"
    )
    prompt_version_b = PromptVersionChoiceField(
        queryset=PromptVersion.objects.none(), required=False, label="Pairwise: prompt version B"
    )
    budget = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=6,
        label="Budget cap",
        help_text="Optional: stop the run once its calls have cost this much.",
    )

    def __init__(
        self,
        *args: Any,
        versions: list[tuple[int, str]],
        queues: list[tuple[int, str]],
        prompt_versions: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["judge_version"].choices = versions  # type: ignore[attr-defined]
        self.fields["queue"].choices = queues  # type: ignore[attr-defined]
        for name in ("prompt_version_a", "prompt_version_b"):
            self.fields[name].queryset = prompt_versions  # type: ignore[attr-defined]
