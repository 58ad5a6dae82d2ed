"""Streaming at scale: a million-row JSONL file is read with flat memory."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import psutil
import pytest

from llmops_core.io.imports import ImportRow, iter_jsonl

LINE = b'{"external_id":"out-%d","output":"answer","input":{"q":"question"},"tokens_in":%d}\n'


def write_jsonl(path: Path, rows: int) -> None:
    """Write rows numbered from 1, in chunks, without holding the file in memory."""
    with path.open("wb") as handle:
        for start in range(1, rows + 1, 50_000):
            stop = min(start + 50_000, rows + 1)
            handle.write(b"".join(LINE % (i, i % 1000) for i in range(start, stop)))


@pytest.mark.slow
def test_a_million_rows_stream_with_flat_memory(tmp_path: Path) -> None:
    """Resident memory after 1,000,000 rows is within 8 MiB of what it was after 100,000."""
    path = tmp_path / "million.jsonl"
    write_jsonl(path, 1_000_000)
    process = psutil.Process()
    rss_after: dict[int, int] = {}
    count = 0
    began = time.perf_counter()
    with path.open("rb") as handle:
        for result in iter_jsonl(handle):
            assert isinstance(result, ImportRow)
            count += 1
            if count % 100_000 == 0:
                rss_after[count] = process.memory_info().rss
    elapsed = time.perf_counter() - began
    assert count == 1_000_000 and result.row == 1_000_000
    growth = max(rss_after.values()) - rss_after[100_000]
    assert growth < 8 * 2**20, f"RSS grew {growth / 2**20:.1f} MiB"
    print(f"\n{count / elapsed:,.0f} rows/s, RSS growth {growth / 2**20:.2f} MiB")


@pytest.mark.slow
def test_traced_peak_stays_small_and_independent_of_row_count(tmp_path: Path) -> None:
    """tracemalloc's peak while reading is a few KiB, for 20,000 rows as for 200,000."""
    peaks = []
    for rows in (20_000, 200_000):
        path = tmp_path / f"{rows}.jsonl"
        write_jsonl(path, rows)
        tracemalloc.start()
        try:
            with path.open("rb") as handle:
                count = sum(1 for _ in iter_jsonl(handle))
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        assert count == rows
    assert max(peaks) < 20 * 2**20
    assert peaks[1] < peaks[0] + 256 * 1024, peaks
