"""The demo's judge: a local endpoint and a quality judge with a plain and a stricter version.

Idempotent and offline: it creates rows only, never calls the endpoint and never runs a judge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from llmops_core.models import JudgeConfig, JudgeVersion, LLMEndpoint, Project, RubricVersion
from llmops_core.services.judges.configs import judge_create, judge_version_create
from llmops_core.services.judges.endpoints import endpoint_create, endpoint_key_env_allowed

DEMO_ENDPOINT = "demo-local"
DEMO_JUDGE = "quality-judge"
DEMO_MODEL = "demo-judge"
STRICT_INSTRUCTIONS = (
    "Be strict. A score of 5 is rare and needs a flawless answer. Any hedging, padding or "
    "claim you cannot verify costs at least one point on factuality. Judge only what the "
    "response says, never how long it is."
)


@dataclass(frozen=True)
class JudgeDemo:
    endpoint: LLMEndpoint
    judge: JudgeConfig
    versions: list[JudgeVersion]


def _default_rubric_version(project: Project) -> RubricVersion:
    """Return the newest version of the project's default rubric."""
    versions = RubricVersion.objects.filter(rubric__project=project)
    found = versions.filter(rubric__name="default").order_by("-number").first()
    found = found or versions.order_by("-id").first()
    assert found is not None, "every project has a rubric"
    return found


@transaction.atomic
def judge_demo_seed(project: Project) -> JudgeDemo:
    """Create (or find) the demo endpoint and the quality judge's two versions."""
    endpoint = LLMEndpoint.objects.filter(project=project, name=DEMO_ENDPOINT).first()
    if endpoint is None:
        endpoint = endpoint_create(
            project=project,
            name=DEMO_ENDPOINT,
            base_url=settings.OPENAI_BASE_URL,
            # The site's key, only where the operator lets it go to the site's base URL.
            api_key_env=(
                "OPENAI_API_KEY"
                if endpoint_key_env_allowed("OPENAI_API_KEY", settings.OPENAI_BASE_URL)
                else ""
            ),
            concurrency=16,
            timeout_seconds=30,
        )
    judge = JudgeConfig.objects.filter(project=project, name=DEMO_JUDGE).first()
    if judge is None:
        judge = judge_create(
            project=project,
            name=DEMO_JUDGE,
            description="Scores fluency, relevance and factuality on the default rubric.",
        )
    rubric_version = _default_rubric_version(project)
    common: dict[str, Any] = {
        "judge": judge,
        "model_name": DEMO_MODEL,
        "rubric_version": rubric_version,
        "endpoint": endpoint,
        "parameters": {"temperature": 0},
    }
    plain, _ = judge_version_create(**common)
    strict, _ = judge_version_create(**common, system_message=STRICT_INSTRUCTIONS)
    return JudgeDemo(endpoint=endpoint, judge=judge, versions=[plain, strict])
