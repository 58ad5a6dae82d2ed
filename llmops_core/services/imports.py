"""Import model outputs: one service behind the API, the CLI and the upload form.

By default a file with any bad row imports nothing: a first pass validates every row (reporting
each bad one), a second pass inserts in batches. With ``partial`` one pass inserts the good rows
and reports the bad ones. Rows whose ``external_id`` already exists in the project are counted as
existing and left untouched, so a re-import is idempotent. An ``external_id`` that repeats one
earlier in the same file is a row error naming both rows; with ``partial`` the first wins and
the repeat is skipped with that reason. Memory stays flat: rows stream in and are written in
batches, and the ids already read are kept as 8-byte digests (``io.seen``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from llmops_core.hashing import canonical_json, content_hash
from llmops_core.io import jsontext
from llmops_core.io.errors import ErrorGroup, ErrorGroups
from llmops_core.io.imports import ImportRow, RowError
from llmops_core.io.seen import SeenIds
from llmops_core.models import (
    OutputSource,
    OutputStatus,
    Project,
    PromptVersion,
)
from llmops_core.services.import_links import import_links_insert
from llmops_core.services.import_prompts import MissingVersion, PromptResolver
from llmops_core.services.monitoring import rollups_add
from llmops_core.services.output_rows import output_rows_insert
from llmops_core.services.routing import routing_schedule

RowSource = Callable[[], Iterable["ImportRow | list[RowError]"]]
MAX_KEPT_ERRORS = 1000
Resolved = PromptVersion | MissingVersion | None


def _groups() -> ErrorGroups:
    return ErrorGroups(MAX_KEPT_ERRORS)


@dataclass
class ImportResult:
    rows_seen: int = 0
    rows_created: int = 0
    rows_existing: int = 0
    rows_failed: int = 0
    rows_skipped: int = 0
    error_groups: ErrorGroups = field(default_factory=_groups)
    skip_groups: ErrorGroups = field(default_factory=_groups)
    prompts_created: list[str] = field(default_factory=list)
    prompts_missing: list[str] = field(default_factory=list)
    rejected: bool = False

    @property
    def errors(self) -> list[ErrorGroup]:
        """Return the bad rows, one entry per distinct error, in row order."""
        return self.error_groups.groups()

    @property
    def skipped(self) -> list[ErrorGroup]:
        """Return the rows left out on purpose, and why, in row order."""
        return self.skip_groups.groups()

    def as_dict(self) -> dict[str, object]:
        return {
            "rows_seen": self.rows_seen,
            "rows_created": self.rows_created,
            "rows_existing": self.rows_existing,
            "rows_failed": self.rows_failed,
            "rows_skipped": self.rows_skipped,
            "rejected": self.rejected,
            "errors": self.error_groups.messages(),
            "error_groups": [group.to_dict() for group in self.errors],
            "skipped": self.skip_groups.messages(),
            "prompts_created": list(self.prompts_created),
            "prompts_missing": list(self.prompts_missing),
            "errors_truncated": bool(self.error_groups.dropped or self.skip_groups.dropped),
        }


@dataclass(frozen=True, slots=True)
class _Skip:
    """A row left out on purpose, with the reason."""

    error: RowError


def _checked(
    rows: Iterable[ImportRow | list[RowError]], resolver: PromptResolver, *, partial: bool
) -> Iterator[tuple[ImportRow, Resolved] | list[RowError] | _Skip]:
    seen = SeenIds()
    for item in rows:
        if isinstance(item, list):
            yield item
            continue
        resolved = resolver.resolve(item)
        if isinstance(resolved, list):
            yield resolved
            continue
        first = seen.first_row(item.external_id, item.row)
        if first is None:
            yield item, resolved
            continue
        repeat = RowError(
            item.row, "external_id", f"{jsontext.show(item.external_id)} repeats row {first}"
        )
        yield _Skip(repeat) if partial else [repeat]


# The span columns of output_rows.COLUMNS, for an output that did not come from a span.
_NO_SPAN = ("", "", "", "", "", None, None, OutputStatus.OK.value, "", "", "[]", "", None)


def _row_values(
    project: Project, row: ImportRow, version: PromptVersion | None, created_at: object
) -> tuple[object, ...]:
    cost = None
    if row.cost is not None:
        cost = connection.ops.adapt_decimalfield_value(row.cost, 14, 8)
    return (
        project.pk,
        row.external_id,
        version.pk if version else None,
        canonical_json(row.input),
        content_hash(row.input),
        row.output,
        row.model or (version.model_name if version else ""),
        row.latency_ms,
        row.tokens_in,
        row.tokens_out,
        cost,
        canonical_json(row.metadata or {}),
        created_at,
        OutputSource.IMPORT.value,
        *_NO_SPAN,
        row.reference or "",
    )


def _insert_batch(
    project: Project,
    batch: list[tuple[ImportRow, Resolved]],
    result: ImportResult,
    resolver: PromptResolver,
    job_id: int | None,
) -> None:
    """Insert a batch with multi-row statements; rows whose external_id exists are left alone.

    Prompt versions the batch needs but the project lacks are created in the same transaction.
    """
    created_at = connection.ops.adapt_datetimefield_value(timezone.now())
    with transaction.atomic():
        made: dict[tuple[str, int | None], PromptVersion] = {}
        values = []
        for row, resolved in batch:
            version: PromptVersion | None
            if isinstance(resolved, MissingVersion):
                key = (resolved.name, resolved.number)
                if key not in made:
                    made[key] = resolver.create_missing(resolved)
                version = made[key]
            else:
                version = resolved
            values.append(_row_values(project, row, version, created_at))
        created_ids = output_rows_insert(values)
        rollups_add(project_id=project.pk, output_ids=created_ids)
        routing_schedule(project_id=project.pk, output_ids=created_ids)
        if job_id is not None:
            import_links_insert(
                job_id=job_id,
                project_id=project.pk,
                rows=[(row.row, row.external_id) for row, _ in batch],
                created=created_ids,
            )
    result.rows_created += len(created_ids)
    result.rows_existing += len(batch) - len(created_ids)


def _note_error(
    errors: list[RowError], result: ImportResult, on_error: Callable[[RowError], None] | None
) -> None:
    result.rows_failed += 1
    for error in errors:
        result.error_groups.add(error)
        if on_error is not None:
            on_error(error)


def _note_skip(skip: _Skip, result: ImportResult) -> None:
    result.rows_skipped += 1
    result.skip_groups.add(skip.error)


def outputs_import(
    *,
    project: Project,
    source: RowSource,
    partial: bool = False,
    create_prompts: bool = False,
    job_id: int | None = None,
    on_error: Callable[[RowError], None] | None = None,
    on_progress: Callable[[str, ImportResult], None] | None = None,
    batch_size: int | None = None,
) -> ImportResult:
    """Import the rows ``source()`` yields into ``project`` and return the counts and errors.

    ``source`` is called once per pass, so it must return a fresh iterator each time.
    ``create_prompts`` creates the prompt templates and versions rows name but the project
    lacks (``services.import_prompts``). With ``job_id`` each row's output is recorded on that
    import job. ``on_progress(phase, result)`` is called after every batch, phase "validate"
    or "insert".
    """
    batch_size = batch_size or settings.IMPORT_BATCH_SIZE
    resolver = PromptResolver(project, create=create_prompts)
    result = ImportResult()
    if not partial:
        for item in _checked(source(), resolver, partial=False):
            result.rows_seen += 1
            if isinstance(item, list):
                _note_error(item, result, on_error)
            if on_progress is not None and result.rows_seen % batch_size == 0:
                on_progress("validate", result)
        if result.rows_failed:
            result.rejected = True
            result.prompts_missing = list(resolver.missing)
            return result
        result.rows_seen = 0
    batch: list[tuple[ImportRow, Resolved]] = []
    for item in _checked(source(), resolver, partial=partial):
        result.rows_seen += 1
        if isinstance(item, list):
            _note_error(item, result, on_error)
            continue
        if isinstance(item, _Skip):
            _note_skip(item, result)
            continue
        batch.append(item)
        if len(batch) >= batch_size:
            _insert_batch(project, batch, result, resolver, job_id)
            batch = []
            if on_progress is not None:
                on_progress("insert", result)
    if batch:
        _insert_batch(project, batch, result, resolver, job_id)
    result.prompts_created = list(resolver.created)
    result.prompts_missing = list(resolver.missing)
    return result
