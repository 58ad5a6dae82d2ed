"""Read a JSON Lines file of outputs (the import format plus optional scores) into drift signals."""

from __future__ import annotations

import json
import math
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from typing import IO, Any, Final

from llmops_core.io import jsontext
from llmops_core.io.errors import FileError, RowError
from llmops_core.io.imports import detect_format
from llmops_core.io.lines import LineSource, RecordTooLong
from llmops_core.io.records import DEFAULT_LIMITS, ImportRow, Input, RecordValidator
from llmops_core.metrics.drift.signal import SCORE_PREFIX

SCORES_FIELD: Final = "scores"
MAX_CRITERION: Final = 120
MAX_REPORTED_ERRORS: Final = 10


class RowsError(FileError):
    """Some rows of the file are bad; the message lists the first few, by row and field."""

    def __init__(self, errors: list[RowError], bad_rows: int) -> None:
        self.errors = errors
        shown = errors[:MAX_REPORTED_ERRORS]
        rows_shown = len({error.row for error in shown})
        tail = f" ({bad_rows} bad rows in all)" if bad_rows > rows_shown else ""
        super().__init__("; ".join(str(error) for error in shown) + tail)


@dataclass
class Outputs:
    """Per-signal values read from one file: lengths for every row, the rest where given."""

    rows: int = 0
    signals: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def add(self, row: ImportRow, scores: dict[str, float]) -> None:
        """Add one row's signals."""
        self.rows += 1
        self.signals["output_length"].append(len(row.output))
        self.signals["input_length"].append(input_length(row.input))
        if row.latency_ms is not None:
            self.signals["latency_ms"].append(row.latency_ms)
        if row.cost is not None:
            self.signals["cost"].append(float(row.cost))
        for criterion, score in scores.items():
            self.signals[SCORE_PREFIX + criterion].append(score)


def input_length(value: Input) -> int:
    """Return the characters of an input: the text, every message's content, or every variable.

    A variable that is not a string counts as its compact JSON text.
    """
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list):
        return sum(len(message["content"]) for message in value)
    return sum(
        len(v) if isinstance(v, str) else len(json.dumps(v, separators=(",", ":")))
        for v in value.values()
    )


def _parse_scores(raw: Any, row: int) -> tuple[dict[str, float], list[RowError]]:
    if raw is None:
        return {}, []
    if not isinstance(raw, dict):
        return {}, [RowError(row, SCORES_FIELD, f"{jsontext.show(raw)} is not an object")]
    scores: dict[str, float] = {}
    errors: list[RowError] = []
    for criterion, value in raw.items():
        where = f"{SCORES_FIELD}.{jsontext.show(criterion)[1:-1]}"
        if not criterion.strip() or len(criterion) > MAX_CRITERION:
            reason = f"a criterion name must be 1 to {MAX_CRITERION} characters"
            errors.append(RowError(row, where, reason))
        elif any(unicodedata.category(char) in ("Cc", "Cs") for char in criterion):
            reason = "a criterion name must not hold control characters"
            errors.append(RowError(row, where, reason))
        elif value is None:
            continue  # not scored on this criterion
        elif isinstance(value, bool) or not isinstance(value, int | float):
            errors.append(RowError(row, where, f"{jsontext.show(value)} is not a number"))
        elif not math.isfinite(value) or abs(value) > 1e15:
            errors.append(RowError(row, where, f"{value} is too large"))
        else:
            scores[criterion] = float(value)
    return scores, errors


def _read_row(
    line: bytes, row: int, validator: RecordValidator
) -> tuple[ImportRow, dict[str, float]] | list[RowError]:
    try:
        raw = jsontext.loads(line.decode("utf-8"), max_depth=DEFAULT_LIMITS.max_depth)
    except UnicodeDecodeError as exc:
        return [RowError(row, None, f"not valid UTF-8 (byte {exc.start + 1} of the line)")]
    except jsontext.JsonError as exc:
        return [RowError(row, None, f"invalid JSON: {exc}")]
    if not isinstance(raw, dict):
        return [RowError(row, None, f"expected a JSON object, got {jsontext.show(raw)}")]
    scores, errors = _parse_scores(raw.pop(SCORES_FIELD, None), row)
    result = validator.validate(raw, row)
    if isinstance(result, list) or errors:
        return (result if isinstance(result, list) else []) + errors
    return result, scores


def read_outputs(fileobj: IO[bytes], filename: str) -> Outputs:
    """Read every row of a JSON Lines file; raise RowsError listing bad rows, FileError if none.

    Rows are line numbers, as in imports. An external_id seen twice is an error, so an
    output is never counted twice.
    """
    lines = LineSource(fileobj)
    validator = RecordValidator()
    outputs = Outputs()
    errors: list[RowError] = []
    bad_rows = 0
    seen: dict[str, int] = {}
    checked = False
    while True:
        try:
            line = lines.next_line()
        except RecordTooLong as exc:
            errors.append(RowError(lines.line_number, None, str(exc)))
            del errors[MAX_REPORTED_ERRORS:]
            bad_rows += 1
            continue
        if line is None:
            break
        if not line.strip():
            continue
        if not checked:
            _check_format(filename, line)
            checked = True
        result = _read_row(line, lines.line_number, validator)
        if isinstance(result, tuple) and result[0].external_id in seen:
            first = seen[result[0].external_id]
            reason = f"{jsontext.show(result[0].external_id)} repeats row {first}"
            result = [RowError(lines.line_number, "external_id", reason)]
        if isinstance(result, list):
            errors.extend(result[: MAX_REPORTED_ERRORS - len(errors)])
            bad_rows += 1
        else:
            seen[result[0].external_id] = lines.line_number
            outputs.add(*result)
    if bad_rows:
        raise RowsError(errors, bad_rows)
    if not outputs.rows:
        raise FileError("file is empty")
    return outputs


def _check_format(filename: str, first_line: bytes) -> None:
    fmt = detect_format(filename, first_line)
    if fmt != "jsonl":
        raise FileError(
            f"drift reads JSON Lines (one output object per line), and this looks like {fmt}"
        )
