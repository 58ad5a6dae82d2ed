"""Export writers at scale, in fresh interpreters: flat memory and reproducible bytes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from llmops_core.io.writers import ExportWriter

MEMORY_PROBE = """
import resource, sys, time
from datetime import UTC, datetime
from llmops_core.io.writers import write_export, writer_for

fmt, count, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
columns = [("external_id", "string"), ("score", "int"), ("mean", "float"), ("agreed", "bool"),
           ("rated_at", "timestamp"), ("metadata", "json"), ("messages", "messages")]
stamp = datetime(2024, 5, 1, tzinfo=UTC)

def batches():
    for start in range(0, count, 1000):
        yield [{"external_id": f"out-{i}", "score": i % 5, "mean": i / 7, "agreed": i % 2 == 0,
                "rated_at": stamp, "metadata": {"run": i, "tag": "x" * 40},
                "messages": [{"role": "user", "content": f"question {i} " + "y" * 60}]}
               for i in range(start, min(start + 1000, count))]

began = time.perf_counter()
with open(path, "wb") as handle:
    result = write_export(writer_for(fmt), handle, columns, batches())
elapsed = time.perf_counter() - began
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(peak, result.rows, result.bytes, elapsed, result.sha256)
"""


def run_probe(fmt: str, count: int, path: Path, hash_seed: str = "0") -> list[str]:
    """Write rows in a fresh interpreter; return peak RSS (KiB), rows, bytes, seconds, sha256."""
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, fmt, str(count), str(path)],
        cwd=root,
        env={**os.environ, "PYTHONHASHSEED": hash_seed},
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    fields = done.stdout.split()
    assert int(fields[1]) == count
    return fields


def test_fresh_processes_write_identical_bytes(
    writer_class: type[ExportWriter], tmp_path: Path
) -> None:
    """Interpreters with different hash seeds write the same file (25,000 rows, 3 row groups)."""
    first = run_probe(writer_class.format, 25_000, tmp_path / "a", hash_seed="1")
    second = run_probe(writer_class.format, 25_000, tmp_path / "b", hash_seed="2")
    assert first[4] == second[4]
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()


@pytest.mark.slow
def test_memory_stays_flat_as_rows_grow(writer_class: type[ExportWriter], tmp_path: Path) -> None:
    """Peak RSS writing 300,000 rows is within 16 MiB of writing 100,000 rows."""
    small = int(run_probe(writer_class.format, 100_000, tmp_path / "small")[0])
    large = int(run_probe(writer_class.format, 300_000, tmp_path / "large")[0])
    assert large - small < 16 * 1024, (small, large)
