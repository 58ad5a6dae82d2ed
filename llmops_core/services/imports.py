"""Import model outputs: one service behind the API, the CLI and the upload form.

By default a file with any bad row imports nothing: a first pass validates every row (reporting
each bad one), a second pass inserts in batches. With ``partial`` one pass inserts the good rows
and reports the bad ones. Rows whose ``external_id`` already exists in the project are counted as
existing and left untouched, so a re-import is idempotent. Memory stays flat: rows stream in and
are written in batches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from llmops_core.hashing import canonical_json, content_hash
from llmops_core.io.imports import ImportRow, RowError
from llmops_core.models import (
    ModelOutput,
    OutputSource,
    OutputStatus,
    Project,
    PromptLabel,
    PromptTemplate,
    PromptVersion,
)

RowSource = Callable[[], Iterable["ImportRow | list[RowError]"]]
MAX_KEPT_ERRORS = 1000


@dataclass
class ImportResult:
    rows_seen: int = 0
    rows_created: int = 0
    rows_existing: int = 0
    rows_failed: int = 0
    errors: list[RowError] = field(default_factory=list)
    rejected: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "rows_seen": self.rows_seen,
            "rows_created": self.rows_created,
            "rows_existing": self.rows_existing,
            "rows_failed": self.rows_failed,
            "rejected": self.rejected,
            "errors": [str(e) for e in self.errors],
            "errors_truncated": self.rows_failed > 0 and len(self.errors) < self.rows_failed,
        }


class PromptResolver:
    """Resolve ``prompt`` / ``prompt_version`` fields to versions, caching per template."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._templates: dict[str, dict[int, PromptVersion] | None] = {}
        self._default: dict[str, PromptVersion | None] = {}

    def _load(self, name: str) -> dict[int, PromptVersion] | None:
        if name not in self._templates:
            template = PromptTemplate.objects.filter(project=self.project, name=name).first()
            if template is None:
                self._templates[name] = None
            else:
                versions = {v.number: v for v in template.versions.all()}
                self._templates[name] = versions
                label = PromptLabel.objects.filter(template=template, name="production").first()
                latest = versions[max(versions)] if versions else None
                self._default[name] = versions.get(label.version.number) if label else latest
        return self._templates[name]

    def resolve(self, row: ImportRow) -> PromptVersion | list[RowError] | None:
        """Return the row's prompt version (None if it names none) or its errors."""
        if not row.prompt:
            return None
        versions = self._load(row.prompt)
        if versions is None:
            return [RowError(row.row, "prompt", f'no prompt "{row.prompt}" in this project')]
        if row.prompt_version is None:
            default = self._default.get(row.prompt)
            if default is None:
                return [
                    RowError(row.row, "prompt_version", f'prompt "{row.prompt}" has no versions')
                ]
            return default
        version = versions.get(row.prompt_version)
        if version is None:
            return [
                RowError(
                    row.row,
                    "prompt_version",
                    f'prompt "{row.prompt}" has no version {row.prompt_version}',
                )
            ]
        return version


def _checked(
    rows: Iterable[ImportRow | list[RowError]], resolver: PromptResolver
) -> Iterator[tuple[ImportRow, PromptVersion | None] | list[RowError]]:
    for item in rows:
        if isinstance(item, list):
            yield item
            continue
        resolved = resolver.resolve(item)
        yield resolved if isinstance(resolved, list) else (item, resolved)


OUTPUT_COLUMNS = (
    "project_id",
    "external_id",
    "prompt_version_id",
    "input",
    "input_hash",
    "output_text",
    "model_name",
    "latency_ms",
    "tokens_in",
    "tokens_out",
    "cost",
    "metadata",
    "created_at",
    # The span fields (not null, defaults only in Django): what an output not from a span has.
    "source",
    "trace_id",
    "span_id",
    "parent_span_id",
    "session_id",
    "end_user_id",
    "status",
    "error_type",
    "error_message",
    "tags",
    "prompt_ref_name",
)
JSON_COLUMNS = frozenset({"input", "metadata", "tags"})
_NOT_A_SPAN = (
    OutputSource.IMPORT.value,
    "",
    "",
    "",
    "",
    "",
    OutputStatus.OK.value,
    "",
    "",
    "[]",
    "",
)


ROWS_PER_STATEMENT = 1000  # 24 parameters a row stays far below SQLite's and PostgreSQL's limits


def _insert_sql(rows: int) -> str:
    table = connection.ops.quote_name(ModelOutput._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in OUTPUT_COLUMNS)
    json_slot = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    group = "(" + ", ".join(json_slot if c in JSON_COLUMNS else "%s" for c in OUTPUT_COLUMNS) + ")"
    # Table and column names come from the model, values are parameters: nothing user-made here.
    return (
        f"INSERT INTO {table} ({cols}) VALUES {', '.join([group] * rows)} "  # noqa: S608
        "ON CONFLICT (project_id, external_id) DO NOTHING"
    )


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
        *_NOT_A_SPAN,
    )


def _insert_batch(
    project: Project, batch: list[tuple[ImportRow, PromptVersion | None]], result: ImportResult
) -> None:
    """Insert a batch with multi-row statements; rows whose external_id exists are left alone.

    The ORM's bulk_create spends most of its time building model instances and compiling each
    value; this is the import's hot loop, so it sends plain multi-row INSERT statements.
    """
    unique: dict[str, tuple[ImportRow, PromptVersion | None]] = {}
    for row, version in batch:
        unique.setdefault(row.external_id, (row, version))
    created_at = connection.ops.adapt_datetimefield_value(timezone.now())
    with transaction.atomic():
        existing = ModelOutput.objects.filter(project=project, external_id__in=list(unique)).count()
        values = (
            [_row_values(project, row, version, created_at) for row, version in unique.values()]
            if existing < len(unique)
            else []
        )
        with connection.cursor() as cursor:
            for start in range(0, len(values), ROWS_PER_STATEMENT):
                chunk = values[start : start + ROWS_PER_STATEMENT]
                params: list[Any] = [v for row in chunk for v in row]
                cursor.execute(_insert_sql(len(chunk)), params)
    created = len(unique) - existing
    result.rows_created += created
    result.rows_existing += len(batch) - created


def _note_error(
    errors: list[RowError], result: ImportResult, on_error: Callable[[RowError], None] | None
) -> None:
    result.rows_failed += 1
    for error in errors:
        if len(result.errors) < MAX_KEPT_ERRORS:
            result.errors.append(error)
        if on_error is not None:
            on_error(error)


def outputs_import(
    *,
    project: Project,
    source: RowSource,
    partial: bool = False,
    on_error: Callable[[RowError], None] | None = None,
    on_progress: Callable[[str, ImportResult], None] | None = None,
    batch_size: int | None = None,
) -> ImportResult:
    """Import the rows ``source()`` yields into ``project`` and return the counts and errors.

    ``source`` is called once per pass, so it must return a fresh iterator each time.
    ``on_progress(phase, result)`` is called after every batch, phase "validate" or "insert".
    """
    batch_size = batch_size or settings.IMPORT_BATCH_SIZE
    resolver = PromptResolver(project)
    result = ImportResult()
    if not partial:
        for item in _checked(source(), resolver):
            result.rows_seen += 1
            if isinstance(item, list):
                _note_error(item, result, on_error)
            if on_progress is not None and result.rows_seen % batch_size == 0:
                on_progress("validate", result)
        if result.rows_failed:
            result.rejected = True
            return result
        result.rows_seen = 0
    batch: list[tuple[ImportRow, PromptVersion | None]] = []
    for item in _checked(source(), resolver):
        result.rows_seen += 1
        if isinstance(item, list):
            _note_error(item, result, on_error)
            continue
        batch.append(item)
        if len(batch) >= batch_size:
            _insert_batch(project, batch, result)
            batch = []
            if on_progress is not None:
                on_progress("insert", result)
    if batch:
        _insert_batch(project, batch, result)
    return result
