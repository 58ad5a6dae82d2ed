"""Parallel exports: split the ratings into ranges of outputs, write each part in a forked
process, and append the parts in order.

Rows are written in output order and a part is a half-open range of output ids, so the parts
laid end to end are exactly the rows of the whole export: JSON Lines and CSV parts are their
rows' bytes, and a Parquet part is an Arrow stream the Parquet writer appends, whose row groups
do not depend on where the parts begin. The file is therefore byte-identical to a one-process
export, and the datasheet's figures (sums over outputs) are merged exactly.

The first range runs in the calling process; the others run in children made by ``os.fork``,
which share the parent's loaded lookups and open their own database connections (the parent
closes its connections before forking, which is why an export inside an open transaction never
goes parallel). The parts are written in a folder under ``EXPORT_PARTS_DIR``, removed when the
export ends. A child that finds its parent gone (the worker was killed) stops at its next block
and removes its files and, last one out, the folder; ``export_parts_sweep`` removes what is
left when every process was killed at once.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
import signal
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import connection, connections

from llmops_core.io.writers import WriteResult, writer_for
from llmops_core.selectors.exports import export_output_boundaries
from llmops_core.services.exports.pipeline import ExportRun, Progress

PARALLEL_KINDS = frozenset({"ratings", "consensus", "sft"})  # preferences pair across outputs


def export_parts_for(run: ExportRun) -> int:
    """Return how many parallel parts an export should use (1: write it in this process)."""
    workers = settings.EXPORT_WORKERS
    if (
        workers < 2
        or run.spec.kind not in PARALLEL_KINDS
        or not hasattr(os, "fork")
        or connection.in_atomic_block
    ):
        return 1
    total = run.total_ratings()
    if total < settings.EXPORT_PARALLEL_MIN_RATINGS:
        return 1
    return max(1, min(workers, total // max(settings.EXPORT_PARALLEL_MIN_RATINGS // 2, 1)))


class _Orphaned(Exception):
    """The export process that forked this part is gone (its worker was killed)."""


@dataclass
class _Child:
    pid: int
    path: Path

    def wait(self) -> tuple[int, object, int]:
        """Wait for the child; return its rows, stats and prompt-render fallbacks."""
        _, status = os.waitpid(self.pid, 0)
        self.pid = 0
        error = self.path.with_suffix(".error")
        if error.exists():
            raise RuntimeError(f"an export part failed:\n{error.read_text(encoding='utf-8')}")
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"an export part ended with status {status}")
        with self.path.with_suffix(".stats").open("rb") as handle:
            return pickle.load(handle)  # noqa: S301 - written by our own child just now

    def kill(self) -> None:
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            self.pid = 0


def export_write_parts(
    run: ExportRun, fileobj: IO[bytes], *, parts: int, on_progress: Progress | None = None
) -> WriteResult:
    """Write ``run`` into ``fileobj`` in up to ``parts`` parallel parts; merge their stats."""
    total = run.total_ratings()
    bounds = export_output_boundaries(run.context.rating_filter, parts=parts, total=total)
    ranges = list(zip([None, *bounds], [*bounds, None], strict=True))
    writer_class = writer_for(run.spec.format)
    connections.close_all()  # a forked child must never use the parent's connections
    root = Path(settings.EXPORT_PARTS_DIR)
    root.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="export-parts-", dir=root))
    children: list[_Child] = []
    try:
        children = [
            _fork(
                run.for_range(low, high), writer_class.part_writer_class(), folder / f"part-{index}"
            )
            for index, (low, high) in enumerate(ranges[1:], start=1)
        ]
        try:
            first = run.for_range(*ranges[0])
            scaled = None if on_progress is None else _scaled(on_progress, 0.95)
            writer = writer_class(fileobj, run.columns)
            with writer:
                for batch in first.batches(scaled):
                    writer.write_batch(batch)
                run.stats = first.stats
                run.context.render_fallbacks = first.context.render_fallbacks
                for child in children:
                    rows, stats, fallbacks = child.wait()
                    with child.path.open("rb") as part:
                        writer.append_part(part, rows)
                    run.stats.merge(stats)  # type: ignore[arg-type]
                    run.context.render_fallbacks += fallbacks
        finally:
            for child in children:
                child.kill()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return writer.close()


def export_parts_sweep(*, max_age: float | None = None, now: float | None = None) -> list[str]:
    """Remove parts folders nothing has written to for ``max_age`` seconds; return their names.

    A parallel export removes its folder when it ends, and orphaned parts remove their own
    files; a folder is only left behind when every process of an export was killed at once.
    """
    root = Path(settings.EXPORT_PARTS_DIR)
    if not root.is_dir():
        return []
    age = settings.EXPORT_PARTS_MAX_AGE_SECONDS if max_age is None else max_age
    cutoff = (time.time() if now is None else now) - age
    removed = []
    for folder in sorted(root.glob("export-parts-*")):
        try:
            stamps = [folder.stat().st_mtime, *(f.stat().st_mtime for f in folder.iterdir())]
        except FileNotFoundError:
            continue  # its export just ended and removed it
        if max(stamps) < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
    return removed


def _remove_own_files(path: Path) -> None:
    """Remove a part's files and, if it is now empty, its folder (an orphan cleaning up)."""
    for leftover in (path, path.with_suffix(".stats"), path.with_suffix(".error")):
        leftover.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # another part's files are still there: last one out
        path.parent.rmdir()


def _scaled(on_progress: Progress, factor: float) -> Progress:
    return lambda fraction: on_progress(fraction * factor)


def _fork(part: ExportRun, writer_class: type, path: Path) -> _Child:
    parent = os.getpid()
    pid = os.fork()
    if pid:
        return _Child(pid, path)
    code = 1  # the child: write the part, report, and leave without running any cleanup
    try:
        with path.open("wb") as handle:
            writer = writer_class(handle, part.columns, part=True)
            with writer:
                for batch in part.batches():
                    if os.getppid() != parent:
                        raise _Orphaned
                    writer.write_batch(batch)
        with path.with_suffix(".stats").open("wb") as handle:
            pickle.dump((writer.rows, part.stats, part.context.render_fallbacks), handle)
        code = 0
    except _Orphaned:
        _remove_own_files(path)  # nobody will read the part or remove the folder
    except BaseException:  # everything reaches the parent as text
        path.with_suffix(".error").write_text(traceback.format_exc(), encoding="utf-8")
    finally:
        try:
            connections.close_all()
        finally:
            os._exit(code)
    raise AssertionError("unreachable")  # pragma: no cover
