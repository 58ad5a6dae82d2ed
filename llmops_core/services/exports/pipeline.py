"""The export pipeline: ratings stream from the database in blocks, rows stream into a writer.

Memory holds one block of outputs (a few thousand ratings) and one batch of rows at a time;
the job, the CLI, the streaming endpoint and the benchmark all run through ``ExportRun``.
"""

from __future__ import annotations

import copy
import dataclasses
import io
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

from llmops_core.io.writers import Column, WriteResult, writer_for
from llmops_core.selectors.exports import (
    OutputRatings,
    export_output_blocks,
    export_outputs,
    export_pairwise_preference_rows,
    export_rating_count,
)
from llmops_core.selectors.feedback import feedback_for_outputs
from llmops_core.services.exports.consensus import OutputSummary, summarise_block
from llmops_core.services.exports.context import ExportContext, export_context
from llmops_core.services.exports.preferences import pair_row, pairwise_pairs, score_gap_pairs
from llmops_core.services.exports.shapes import columns_for, consensus_row, raw_label_rows, sft_row
from llmops_core.services.exports.spec import ExportSpec
from llmops_core.services.exports.stats import ExportStats

Progress = Callable[[float], None]
BLOCK_RATINGS = 5000
BATCH_ROWS = 2000


class ExportRun:
    """One run of an export: its lookups, columns, rows and the figures gathered on the way."""

    def __init__(self, spec: ExportSpec, *, block_ratings: int = BLOCK_RATINGS) -> None:
        self.spec = spec
        self.context: ExportContext = export_context(spec)
        self.columns: list[Column] = columns_for(self.context)
        self.stats = ExportStats(scales=self.context.scales)
        self.block_ratings = block_ratings
        self._total: int | None = None

    def for_range(self, low: int | None, high: int | None) -> ExportRun:
        """Return a run of this export restricted to outputs with ids in [low, high)."""
        part = copy.copy(self)
        flt = dataclasses.replace(self.context.rating_filter, output_id_min=low, output_id_max=high)
        part.context = dataclasses.replace(self.context, rating_filter=flt, render_fallbacks=0)
        part.stats = ExportStats(scales=self.context.scales)
        part._total = None
        return part

    def total_ratings(self) -> int:
        """Return how many ratings the export reads (one COUNT, remembered for the run).

        Deciding on parallel parts, splitting into them and reporting progress all need it.
        """
        if self._total is None:
            self._total = export_rating_count(self.context.rating_filter)
        return self._total

    def rows(self, on_progress: Progress | None = None) -> Iterator[dict[str, Any]]:
        """Yield the export's rows in their final order; ``on_progress`` gets 0..1 per block."""
        kept = self._outputs(on_progress)
        kind, context = self.spec.kind, self.context
        if kind == "ratings":
            for summary in kept:
                yield from raw_label_rows(summary, context)
        elif kind == "consensus":
            for summary in kept:
                yield consensus_row(summary, context)
        elif kind == "sft":
            for summary in kept:
                row = sft_row(summary, context)
                if row is not None:
                    yield row
        else:
            yield from self._pairs(kept)

    def batches(
        self, on_progress: Progress | None = None, size: int = BATCH_ROWS
    ) -> Iterator[list[dict[str, Any]]]:
        """Yield the rows in lists of ``size``."""
        rows = self.rows(on_progress)
        while batch := list(_take(rows, size)):
            yield batch

    def write(self, fileobj: IO[bytes], on_progress: Progress | None = None) -> WriteResult:
        """Write the export to a binary file and return the writer's result."""
        writer = writer_for(self.spec.format)(fileobj, self.columns)
        with writer:
            for batch in self.batches(on_progress):
                writer.write_batch(batch)
        return writer.close()

    def stream(self) -> Iterator[bytes]:
        """Yield the export's bytes batch by batch (for a streaming HTTP response)."""
        buffer = io.BytesIO()
        writer = writer_for(self.spec.format)(buffer, self.columns)
        writer.open()
        for batch in self.batches():
            writer.write_batch(batch)
            yield _drain(buffer)
        writer.close()
        yield _drain(buffer)

    def _outputs(self, on_progress: Progress | None) -> Iterator[OutputSummary]:
        """Yield the summarised outputs that pass the filters, block by block."""
        total = self.total_ratings() if on_progress is not None else 0
        context = self.context
        blocks = export_output_blocks(
            context.rating_filter,
            by_input=self.spec.kind == "preferences",
            real_names=self.spec.real_names,
            block_ratings=self.block_ratings,
        )
        for block in blocks:
            summaries = summarise_block(
                block,
                criteria=context.criterion_names,
                criteria_by_id=context.criteria_by_id,
                scales=context.scales,
                versions=context.versions,
            )
            feedback = feedback_for_outputs(output_ids=[s.output_id for s in summaries])
            for summary in summaries:
                summary.feedback = feedback.get(summary.output_id, [])
            self.stats.read(summaries)
            kept = [summary for summary in summaries if self._passes(summary)]
            self.stats.keep(kept, context.criteria_by_id)
            yield from kept
            if on_progress is not None:
                on_progress(min(self.stats.ratings_read / total, 1.0) if total else 1.0)

    def _passes(self, summary: OutputSummary) -> bool:
        """Return whether an output passes the output filters, counting why not."""
        filters = self.spec.filters
        reason = None
        if filters.exclude_flagged and summary.flag_count:
            reason = "flagged"
        elif filters.min_ratings is not None and summary.n_reviewers < filters.min_ratings:
            reason = "min_ratings"
        elif filters.min_agreement is not None and (
            summary.agreement is None or summary.agreement < filters.min_agreement
        ):
            reason = "min_agreement"
        if reason is not None:
            self.stats.excluded[reason] += 1
        return reason is None

    def _pairs(self, kept: Iterator[OutputSummary]) -> Iterator[dict[str, Any]]:
        filters = self.spec.filters
        for pair in score_gap_pairs(kept, rule=filters.rule, min_margin=filters.min_margin):
            self.stats.notes["pairs_score_gap"] += 1
            yield pair_row(pair, self.context)
        rows = export_pairwise_preference_rows(self.context.rating_filter)
        for pair in pairwise_pairs(rows, lookup=self._lookup, rule=filters.rule):
            self.stats.notes["pairs_pairwise"] += 1
            yield pair_row(pair, self.context)

    def _lookup(self, ids: Sequence[int]) -> dict[int, OutputSummary]:
        """Return summaries (without ratings) of the outputs pairwise preferences name.

        The selector applies the rating filters to the preferences themselves; the output
        filters (reviewers, agreement, flags) describe ratings and do not apply to them.
        """
        versions = self.context.versions
        return {
            oid: OutputSummary(
                source=OutputRatings(output=info, ratings=[]),
                version=versions.get(info.prompt_version_id or 0),
                criteria={},
                n_reviewers=0,
                agreement=None,
                disagreement=None,
            )
            for oid, info in export_outputs(output_ids=ids).items()
        }


def _take(rows: Iterator[dict[str, Any]], size: int) -> Iterator[dict[str, Any]]:
    for _, row in zip(range(size), rows, strict=False):
        yield row


def _drain(buffer: io.BytesIO) -> bytes:
    data = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return data
