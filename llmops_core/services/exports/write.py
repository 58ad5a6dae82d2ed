"""Write an export into a file: in this process, or in parallel parts for a large one.

``pipeline`` streams one run's rows; ``shards`` splits a large run into forked parts. This
module decides between them, so neither has to know the other's caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from llmops_core.io.writers import WriteResult
from llmops_core.services.exports.pipeline import BLOCK_RATINGS, ExportRun, Progress
from llmops_core.services.exports.shards import export_parts_for, export_write_parts
from llmops_core.services.exports.spec import ExportSpec


@dataclass(frozen=True)
class ExportOutcome:
    """A finished export: what was written and the run that wrote it (for the datasheet)."""

    result: WriteResult
    run: ExportRun


def export_write(
    spec: ExportSpec,
    fileobj: IO[bytes],
    *,
    on_progress: Progress | None = None,
    block_ratings: int = BLOCK_RATINGS,
    parts: int | None = None,
) -> ExportOutcome:
    """Run the export ``spec`` into ``fileobj`` and return the outcome.

    A large export is split into ``parts`` ranges of outputs written by forked processes
    (see ``shards``); ``parts`` None decides from the settings and the export's size. The
    bytes are the same either way.
    """
    run = ExportRun(spec, block_ratings=block_ratings)
    count = export_parts_for(run) if parts is None else parts
    if count > 1:
        return ExportOutcome(
            export_write_parts(run, fileobj, parts=count, on_progress=on_progress), run
        )
    return ExportOutcome(run.write(fileobj, on_progress), run)
