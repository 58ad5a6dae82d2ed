"""Read what a judge comparison report needs into plain data: ratings, scores, verdicts, costs.

Human ratings and queues come through the door, ``annotate.selectors``; judge
scores are the latest per output and criterion over every run of a version, so a re-run
or a resumed run replaces nothing it should not.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
from django.db.models import Count, Q, Sum

from annotate.selectors import RatingFilter, RatingsSnapshot, queue_output_ids, ratings_snapshot
from llmops_core.llm.errors import PromptError
from llmops_core.llm.prompts import input_as_text
from llmops_core.metrics.judge_report.types import (
    ComparisonData,
    CostInfo,
    CriterionScale,
    HumanMatrix,
    OutputInfo,
    PairRow,
    VersionScores,
)
from llmops_core.models import (
    CallStatus,
    JudgeMode,
    JudgePairVerdict,
    JudgeRun,
    JudgeScore,
    JudgeVersion,
    LLMCall,
    ModelOutput,
    Project,
)
from llmops_core.services.judges.plans import RUN_KIND

CHUNK = 2000
EXCERPT = 400


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


def scope_output_ids(
    project: Project, queue_id: int | None, output_ids: Sequence[int] | None
) -> list[int]:
    """Return the outputs a report covers: a queue's, or the given ones, in id order."""
    if queue_id is not None:
        return queue_output_ids(project_id=project.pk, queue_id=queue_id)
    rows = ModelOutput.objects.filter(project=project, pk__in=list(output_ids or []))
    return list(rows.order_by("id").values_list("id", flat=True).distinct())


def read_ratings(
    project: Project, queue_id: int | None, scope: Sequence[int], rubric_version_id: int
) -> RatingsSnapshot:
    """Return the ratings of a queue (or of the scope's outputs) on one rubric version."""
    return ratings_snapshot(
        RatingFilter(
            project_id=project.pk,
            queue_ids=(queue_id,) if queue_id is not None else (),
            output_ids=() if queue_id is not None else tuple(scope),
            rubric_version_id=rubric_version_id,
        )
    )


def _humans(
    snap: RatingsSnapshot, criteria: list[CriterionScale], items: list[int]
) -> dict[str, HumanMatrix]:
    """Return reviewers x items score matrices per criterion (a later rating wins)."""
    column = {output: i for i, output in enumerate(items)}
    reviewers = sorted(set(snap.reviewer))
    row = {name: i for i, name in enumerate(reviewers)}
    matrices = {c.name: np.full((len(reviewers), len(items)), np.nan) for c in criteria}
    for output, reviewer, criterion, score in zip(
        snap.output, snap.reviewer, snap.criterion, snap.score, strict=True
    ):
        if criterion in matrices:
            matrices[criterion][row[reviewer], column[output]] = float(score)
    result = {}
    for name, matrix in matrices.items():
        keep = np.isfinite(matrix).any(axis=1)
        result[name] = HumanMatrix(
            [r for r, k in zip(reviewers, keep, strict=True) if k], matrix[keep]
        )
    return result


def _outputs(
    items: list[int], snap: RatingsSnapshot, queue_id: int | None
) -> dict[int, OutputInfo]:
    """Return display information of every rated output."""
    item_of = dict(zip(snap.output, snap.item, strict=True))
    found: dict[int, OutputInfo] = {}
    for ids in _chunks(items):
        for pk, external_id, value, text in ModelOutput.objects.filter(pk__in=ids).values_list(
            "pk", "external_id", "input", "output_text"
        ):
            try:
                shown = input_as_text(value)
            except PromptError:
                shown = str(value)
            found[pk] = OutputInfo(
                pk,
                external_id,
                len(text.split()),
                _excerpt(shown),
                _excerpt(text),
                item_of.get(pk),
                queue_id,
            )
    return found


def _cost(version_id: int, run_ids: list[int], mode: str) -> CostInfo:
    """Return what a version paid over all its runs (calls served from cache cost nothing)."""
    agg = LLMCall.objects.filter(
        run_kind=RUN_KIND, run_id__in=run_ids, status=CallStatus.OK
    ).aggregate(
        n=Count("id"),
        paid=Sum("cost"),
        unpriced=Count("id", filter=Q(cost__isnull=True)),
        sum_in=Sum("tokens_in"),
        sum_out=Sum("tokens_out"),
    )
    cost = agg["paid"]
    return CostInfo(
        paid_calls=agg["n"],
        cost=float(cost) if isinstance(cost, Decimal) else None,
        unpriced_calls=agg["unpriced"],
        tokens_in=agg["sum_in"] or 0,
        tokens_out=agg["sum_out"] or 0,
        calls_per_item=2 if mode == JudgeMode.PAIRWISE else 1,
    )


def _scores(version_ids: list[int], scope: list[int]) -> dict[int, dict[str, dict[int, Any]]]:
    """Return version -> criterion -> output -> (score, rationale), the latest run winning."""
    found: dict[int, dict[str, dict[int, Any]]] = defaultdict(lambda: defaultdict(dict))
    for ids in _chunks(scope):
        rows = (
            JudgeScore.objects.filter(run__judge_version_id__in=version_ids, output_id__in=ids)
            .order_by("run_id", "id")
            .values_list(
                "run__judge_version_id", "criterion__name", "output_id", "score", "rationale"
            )
        )
        for version, criterion, output, score, rationale in rows:
            found[version][criterion][output] = (score, rationale)
    return found


def _pairs(version_ids: list[int], scope: list[int]) -> dict[int, dict[str, list[PairRow]]]:
    """Return version -> criterion -> verdict rows, the latest run winning per pair."""
    latest: dict[tuple[int, str, int, int], PairRow] = {}
    for ids in _chunks(scope):
        rows = (
            JudgePairVerdict.objects.filter(
                run__judge_version_id__in=version_ids, output_a_id__in=ids
            )
            .order_by("run_id", "id")
            .values_list(
                "run__judge_version_id",
                "criterion__name",
                "output_a_id",
                "output_b_id",
                "verdict_ab",
                "verdict_ba",
                "final",
                "rationale",
            )
        )
        for version, criterion, a, b, ab, ba, final, rationale in rows:
            latest[(version, criterion, a, b)] = PairRow(a, b, ab, ba, final, rationale)
    found: dict[int, dict[str, list[PairRow]]] = defaultdict(lambda: defaultdict(list))
    for (version, criterion, _, _), row in sorted(latest.items()):
        found[version][criterion].append(row)
    return found


def _versions(project: Project, subject: JudgeVersion, scope: list[int]) -> list[VersionScores]:
    """Return every version on the subject's rubric version that judged outputs in scope."""
    candidates = list(
        JudgeVersion.objects.filter(
            config__project=project, rubric_version_id=subject.rubric_version_id
        )
        .select_related("config")
        .order_by("config__name", "number")
    )
    ids = [v.pk for v in candidates]
    runs: dict[int, list[int]] = defaultdict(list)
    for version_id, run_id in (
        JudgeRun.objects.filter(judge_version_id__in=ids)
        .order_by("id")
        .values_list("judge_version_id", "id")
    ):
        runs[version_id].append(run_id)
    scores, pairs = _scores(ids, scope), _pairs(ids, scope)
    result = []
    for v in candidates:
        if v.pk != subject.pk and v.pk not in scores and v.pk not in pairs:
            continue
        result.append(
            VersionScores(
                version_id=v.pk,
                judge=v.config.name,
                number=v.number,
                model=v.model_name,
                mode=v.mode,
                is_subject=v.pk == subject.pk,
                run_ids=runs.get(v.pk, []),
                scores={k: dict(d) for k, d in scores.get(v.pk, {}).items()},
                pairs={k: list(d) for k, d in pairs.get(v.pk, {}).items()},
                cost=_cost(v.pk, runs.get(v.pk, []), v.mode),
            )
        )
    return result


def comparison_data(
    *,
    project: Project,
    version: JudgeVersion,
    queue_id: int | None,
    output_ids: Sequence[int] | None = None,
) -> tuple[ComparisonData, str]:
    """Return the report's data and the SHA-256 of the ratings it read."""
    criteria = [
        CriterionScale(name, low, high)
        for name, low, high in version.rubric_version.criteria.order_by(
            "position", "id"
        ).values_list("name", "scale_min", "scale_max")
    ]
    scope = scope_output_ids(project, queue_id, output_ids)
    snap = read_ratings(project, queue_id, scope, version.rubric_version_id)
    items = sorted(set(snap.output))
    data = ComparisonData(
        criteria=criteria,
        items=items,
        humans=_humans(snap, criteria, items),
        outputs=_outputs(items, snap, queue_id),
        versions=_versions(project, version, scope),
        n_ratings=snap.n_ratings,
    )
    return data, snap.sha256
