"""Datasets of inputs (variables or chat messages): read a file, store a content-hashed version.

A dataset is versioned by name: uploading different rows under the same name makes the next
version, uploading the same rows again returns the existing one. A row's input is what a prompt
version is rendered with: an object of variables, a list of chat messages, or plain text.

Files: JSON Lines (one object per line: the variables; or ``{"messages": [...]}``; or
``{"input": ...}``; or ``{"input": ..., "reference": "..."}``, a reference answer the outputs
for that input are scored against) and CSV (a header of variable names, one row per input).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.db.models import Max

from llmops_core.demo import demo_inputs
from llmops_core.errors import DomainError
from llmops_core.hashing import content_hash
from llmops_core.io.jsontext import unstorable_text
from llmops_core.llm.errors import PromptError
from llmops_core.llm.prompts import validate_messages
from llmops_core.models import Dataset, DatasetRow, Project, ReleaseGate, ReportKind
from llmops_core.selectors.prompts import (
    label_version,
)
from llmops_core.selectors.versions import (
    version_report_latest,
    versions_with_outputs,
)
from llmops_core.services.audit import audit_record

MAX_ROWS = 50_000
MAX_ERRORS = 20
NAME = re.compile(r"^[-a-zA-Z0-9_]{1,120}$")
DEMO_DATASET = "support-questions"
DEMO_GATE_RULES: list[dict[str, Any]] = [
    {"rule": "no_significant_regression"},
    {"rule": "min_mean", "criterion": "factuality", "value": 3.5},
    {"rule": "min_judge_agreement", "value": 0.6},
    {"rule": "min_rated_items", "items": 20, "reviewers": 2},
]


def dataset_input(value: Any, where: str) -> Any:
    """Return one row's input checked: text, an object of variables, or chat messages."""
    found = unstorable_text(value)
    if found is not None:
        path, problem = found
        field = f', field "{path}"' if path else ""
        raise DomainError(f"{where}{field}: {problem}, which text cannot hold; remove it")
    if isinstance(value, Mapping):
        if set(value) == {"messages"}:
            value = value["messages"]
        elif set(value) == {"input"}:
            value = value["input"]
    if isinstance(value, str):
        if not value.strip():
            raise DomainError(f"{where}: the input is empty")
        return value
    if isinstance(value, list):
        try:
            return validate_messages(value)
        except PromptError as exc:
            raise DomainError(f"{where}: {exc}") from exc
    if isinstance(value, Mapping):
        if not value or not all(isinstance(k, str) and k for k in value):
            raise DomainError(f"{where}: variables need non-empty names")
        return dict(value)
    raise DomainError(f"{where}: an input is text, an object of variables or a list of messages")


def dataset_entry(value: Any, where: str) -> tuple[Any, str]:
    """Return one row's checked input and its reference answer ("" when it has none)."""
    if not (isinstance(value, Mapping) and set(value) == {"input", "reference"}):
        return dataset_input(value, where), ""
    reference = value["reference"]
    if reference is not None and not isinstance(reference, str):
        raise DomainError(f'{where}, field "reference": a reference answer is text')
    found = unstorable_text(reference) if reference else None
    if found is not None:
        raise DomainError(f'{where}, field "reference": {found[1]}, which text cannot hold')
    return dataset_input(value["input"], where), reference or ""


def _jsonl(text: str) -> Iterable[tuple[int, Any]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, DomainError(f"row {number}: not JSON ({exc.msg})")


def _csv(text: str) -> Iterable[tuple[int, Any]]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header or any(not name.strip() for name in header):
        raise DomainError("CSV: the first line must name every column (the variables)")
    for number, cells in enumerate(reader, start=2):
        if len(cells) != len(header):
            yield (
                number,
                DomainError(f"row {number}: {len(cells)} cells, the header has {len(header)}"),
            )
        else:
            yield number, dict(zip((h.strip() for h in header), cells, strict=True))


def dataset_parse(*, content: bytes, filename: str) -> list[Any]:
    """Return the inputs of a JSONL or CSV file, or raise naming the first bad rows."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DomainError(f"the file is not UTF-8 text (byte {exc.start})") from exc
    reader = _csv if filename.lower().endswith(".csv") else _jsonl
    rows, errors = [], []
    for number, value in reader(text):
        try:
            if isinstance(value, DomainError):
                raise value
            checked, reference = dataset_entry(value, f"row {number}")
            rows.append({"input": checked, "reference": reference} if reference else checked)
        except DomainError as exc:
            errors.append(str(exc))
        if len(errors) >= MAX_ERRORS or len(rows) > MAX_ROWS:
            break
    if errors:
        raise DomainError("; ".join(errors), errors=errors)
    if not rows:
        raise DomainError("the file holds no inputs")
    if len(rows) > MAX_ROWS:
        raise DomainError(f"a dataset holds at most {MAX_ROWS} inputs")
    return rows


@transaction.atomic
def dataset_create(
    *,
    project: Project,
    name: str,
    inputs: list[Any],
    created_by: User | AnonymousUser | None = None,
) -> tuple[Dataset, bool]:
    """Store ``inputs`` as the next version of dataset ``name``; the same rows return the same."""
    if not NAME.match(name):
        raise DomainError(f'field "name": {name!r} must be 1-120 letters, digits, - or _')
    entries = [dataset_entry(value, f"row {i}") for i, value in enumerate(inputs, start=1)]
    if not entries:
        raise DomainError("a dataset needs at least one input")
    checked = [value for value, _ in entries]
    # Datasets without references keep the hash they always had.
    has_references = any(reference for _, reference in entries)
    digest = content_hash([list(e) for e in entries] if has_references else checked)
    Project.objects.select_for_update().filter(pk=project.pk).first()
    existing = Dataset.objects.filter(project=project, name=name, content_hash=digest).first()
    if existing is not None:
        return existing, False
    latest = Dataset.objects.filter(project=project, name=name).aggregate(v=Max("version"))["v"]
    dataset = Dataset.objects.create(
        project=project,
        name=name,
        version=(latest or 0) + 1,
        content_hash=digest,
        row_count=len(checked),
    )
    DatasetRow.objects.bulk_create(
        [
            DatasetRow(
                dataset=dataset,
                index=i,
                input=value,
                reference=reference,
                content_hash=content_hash(value),
            )
            for i, (value, reference) in enumerate(entries)
        ],
        batch_size=2000,
    )
    audit_record(
        actor=created_by,
        action="dataset.create",
        obj=dataset,
        project=project,
        after={
            "name": name,
            "version": dataset.version,
            "rows": len(checked),
            "content_hash": digest,
        },
    )
    return dataset, True


@transaction.atomic
def versions_demo_seed(*, project: Project) -> dict[str, Any]:
    """Give the demo project a release gate, the demo inputs as a dataset, and its reports.

    Idempotent. The gate is created only if the project has none, so an admin's edits survive
    a re-seed. The dataset holds the inputs the demo outputs were made from, so outputs generated
    from it pair with the imported ones by input hash. Scorecards of every version with outputs,
    and comparisons of every other version against production, are queued for the worker
    (nothing is queued twice while one is pending).
    """
    from llmops_core.services.comparisons import comparison_request
    from llmops_core.services.scorecards import scorecard_request

    gate, created = ReleaseGate.objects.get_or_create(
        project=project, defaults={"rules": DEMO_GATE_RULES}
    )
    inputs = [{"question": item.question, "product": item.product} for item in demo_inputs(60)]
    dataset, _ = dataset_create(project=project, name=DEMO_DATASET, inputs=inputs)
    requested = 0
    for version in versions_with_outputs().filter(template__project=project):
        if (
            version_report_latest(version=version, kind=ReportKind.SCORECARD, finished=False)
            is None
        ):
            requested += scorecard_request(version=version, trigger="demo")[1]
        production = label_version(template=version.template)
        if production is None or production.pk == version.pk:
            continue
        if (
            version_report_latest(
                version=version,
                kind=ReportKind.VERSION_COMPARISON,
                baseline=production,
                finished=False,
            )
            is None
        ):
            requested += comparison_request(candidate=version, baseline=production, trigger="demo")[
                1
            ]
    return {
        "gate_created": created,
        "gate": gate,
        "dataset": dataset,
        "reports_requested": requested,
    }
