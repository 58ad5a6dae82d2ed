"""The run kinds the machinery knows: judge runs and generation runs, registered here once."""

from __future__ import annotations

from typing import Final

from llmops_core.models import GenerationRun, JudgeRun
from llmops_core.selectors.judges import RUN_KIND as JUDGE_RUN_KIND
from llmops_core.services.jobs import JobKind
from llmops_core.services.llm_runs.types import RunKind

GENERATION_RUN_KIND: Final = "generation"  # LLMCall.run_kind of generation runs

JUDGE_RUNS: Final = RunKind(name=JUDGE_RUN_KIND, model=JudgeRun, job=JobKind.JUDGE_RUN_STEP)
GENERATION_RUNS: Final = RunKind(
    name=GENERATION_RUN_KIND, model=GenerationRun, job=JobKind.GENERATION_RUN_STEP
)
RUN_KINDS: Final = (JUDGE_RUNS, GENERATION_RUNS)
