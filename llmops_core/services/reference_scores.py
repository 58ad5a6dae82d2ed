"""Reference metrics of a prompt version's outputs: score, store per output, summarise.

An output's reference is the one imported with it, else its dataset row's. Scores are computed
by ``metrics.reference`` and kept in ``ReferenceScore`` (one row per output and metric) with the
fingerprint of the texts they came from, so recomputing a scorecard scores only outputs that
are new or whose text or reference changed. Writes are bulk upserts on (output, metric), so a
task run twice, or two at once, leaves one row per output and metric.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q

from llmops_core.metrics.reference import (
    METRICS,
    Score,
    Scorer,
    basis_hash,
    has_reference,
    reference_summary,
)
from llmops_core.models import ModelOutput, ReferenceScore

WRITE_BATCH = 2000


def _stored(version_id: int) -> tuple[dict[int, tuple[str, list[Score]]], set[int]]:
    """Return {output id: (basis hash, scores)} of the version's complete stored score sets,
    and the ids of every output with a stored score."""
    stored: dict[int, dict[str, tuple[str, Score]]] = {}
    rows = ReferenceScore.objects.filter(output__prompt_version_id=version_id).values_list(
        "output_id", "metric", "score", "reason", "basis_hash"
    )
    for output_id, metric, value, reason, digest in rows.iterator(chunk_size=WRITE_BATCH):
        stored.setdefault(output_id, {})[metric] = (digest, Score(metric, value, reason))
    complete = {}
    for output_id, by_metric in stored.items():
        digests = {digest for digest, _ in by_metric.values()}
        if set(by_metric) == set(METRICS) and len(digests) == 1:
            complete[output_id] = (digests.pop(), [by_metric[m][1] for m in METRICS])
    return complete, set(stored)


def _write(fresh: dict[int, tuple[str, list[Score]]], dropped: set[int]) -> None:
    """Upsert the fresh scores and delete those of outputs that lost their reference."""
    rows = [
        ReferenceScore(
            output_id=output_id,
            metric=score.metric,
            score=score.value,
            reason=score.reason,
            basis_hash=digest,
        )
        for output_id, (digest, scores) in fresh.items()
        for score in scores
    ]
    with transaction.atomic():
        gone = sorted(dropped)
        for start in range(0, len(gone), WRITE_BATCH):
            ReferenceScore.objects.filter(output_id__in=gone[start : start + WRITE_BATCH]).delete()
        ReferenceScore.objects.bulk_create(
            rows,
            batch_size=WRITE_BATCH,
            update_conflicts=True,
            unique_fields=["output", "metric"],
            update_fields=["score", "reason", "basis_hash", "computed_at"],
        )


def reference_scores_update(
    *, version_id: int
) -> tuple[int, dict[int, list[Score]], list[tuple[str, str]]]:
    """Score the version's outputs that have a reference, storing what is new or changed.

    Return the number of the version's outputs, {output id: scores} of those with a reference,
    and their (output text, reference) pairs in output order.
    """
    stored, stored_ids = _stored(version_id)
    outputs = (
        ModelOutput.objects.filter(prompt_version_id=version_id)
        .order_by("id")
        .values_list("id", "output_text", "reference", "dataset_row__reference")
    )
    scorer: Scorer | None = None
    n_outputs = 0
    scores: dict[int, list[Score]] = {}
    pairs: list[tuple[str, str]] = []
    fresh: dict[int, tuple[str, list[Score]]] = {}
    for output_id, text, own, row_reference in outputs.iterator(chunk_size=WRITE_BATCH):
        n_outputs += 1
        reference = own if has_reference(own) else row_reference
        if not has_reference(reference):
            continue
        digest = basis_hash(text, reference)
        kept = stored.get(output_id)
        if kept is not None and kept[0] == digest:
            scores[output_id] = kept[1]
        else:
            scorer = scorer or Scorer()
            scores[output_id] = scorer.score(text, reference)
            fresh[output_id] = (digest, scores[output_id])
        pairs.append((text, reference))
    dropped = stored_ids - set(scores)
    if fresh or dropped:
        _write(fresh, dropped)
    return n_outputs, scores, pairs


def version_has_references(*, version_id: int) -> bool:
    """Return whether any output of the version has a reference (its own or its row's)."""
    blank = Q(reference="") & (Q(dataset_row__isnull=True) | Q(dataset_row__reference=""))
    return ModelOutput.objects.filter(prompt_version_id=version_id).exclude(blank).exists()


def version_reference_metrics(*, version_id: int, draws: int, seed: int) -> dict[str, Any]:
    """Bring the version's stored reference scores up to date and return its summary."""
    n_outputs, scores, pairs = reference_scores_update(version_id=version_id)
    return reference_summary(
        n_outputs=n_outputs, scores=scores, pairs=pairs, draws=draws, seed=seed
    )
