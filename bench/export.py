"""Benchmark exports: a million ratings through the job's own pipeline, time and peak memory.

Run ``python -m bench.export`` (1,000,000 ratings) or ``--quick`` (100,000). The data is built by
bulk insert in a separate bench database: a SQLite file under ``var/bench/`` by default, or,
when ``DATABASE_URL`` points at PostgreSQL, a database ``llmops_bench_export`` on that server,
created and dropped by this script. Every item has three reviewers (from twelve) and three
criteria; outputs come in pairs (two prompt versions, one input). A tenth of the items sit in a
queue of their own, so the same database also gives an export a tenth of the size.

Each export runs in a fresh child process (``export_write``, exactly what the Celery job runs:
exports above EXPORT_PARALLEL_MIN_RATINGS are split across EXPORT_WORKERS forked processes), so
its peak resident memory is its own: a thread samples the RSS of it and its children every
10 ms (``cpu_seconds`` counts the main process only). The small
export's peak shows that memory does not grow with the size. The last line printed is one JSON
object: per format ``rows``, ``seconds``, ``rows_per_s``, ``peak_rss_mb`` (and
``baseline_rss_mb``, the process before the export, and ``cpu_seconds``: on a busy machine
wall time exceeds CPU time), then the same under ``small``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.support import BenchDatabase

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = BenchDatabase("export")
FULL, QUICK = 1_000_000, 100_000
REVIEWERS, PER_ITEM, BATCH = 12, 3, 20_000
FORMATS = ("jsonl", "csv", "parquet")
TEXT = (
    "Thanks for reaching out. Open Settings, then Data, then Export, and choose CSV. "
    "Large exports are emailed to you as a download link within a few minutes."
)


def setup_django() -> None:
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "llmops_core.settings")
    import django

    django.setup()


def _chunks(count: int, size: int) -> Iterator[range]:
    for start in range(0, count, size):
        yield range(start, min(start + size, count))


def build(n_ratings: int) -> dict[str, Any]:
    """Insert a project whose queues hold ``n_ratings`` ratings in all; return its ids."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from annotate.models import Annotation
    from annotate.services.queues import queue_create
    from llmops_core.models import Criterion
    from llmops_core.services.projects import project_create
    from llmops_core.services.prompts import prompt_template_create, prompt_version_create

    project = project_create(name="Export bench", slug="bench")
    rubric = project.rubrics.get(name="default").versions.get(number=1)
    criteria = list(Criterion.objects.filter(rubric_version=rubric).order_by("position"))
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"reviewer{i}") for i in range(REVIEWERS)
    )
    template = prompt_template_create(project=project, name="support-reply")
    versions = [
        prompt_version_create(
            template=template,
            template_text=f"v{n}: {{{{ question }}}}",
            system_message="Help with {{ product }}.",
            model_name="demo-model",
        )[0]
        for n in (1, 2)
    ]
    queues = [
        queue_create(project=project, name=name, rubric_version=rubric, overlap=PER_ITEM)
        for name in ("small", "rest")
    ]
    items = -(-n_ratings // (PER_ITEM * len(criteria)))
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with transaction.atomic():
        for chunk in _chunks(items, BATCH):
            _insert(
                chunk,
                project=project,
                versions=versions,
                criteria=criteria,
                users=users,
                queue_of=lambda k: queues[0] if k < items // 10 else queues[1],
            )
        Annotation.objects.update(created_at=start, updated_at=start + timedelta(minutes=1))
    return {
        "project": project.pk,
        "small_queue": queues[0].pk,
        "ratings": items * PER_ITEM * len(criteria),
        "small_ratings": items // 10 * PER_ITEM * len(criteria),
    }


def _insert(
    chunk: range,
    *,
    project: Any,
    versions: list[Any],
    criteria: list[Any],
    users: list[Any],
    queue_of: Any,
) -> None:
    """Insert one chunk of outputs with their queue items, annotations and ratings."""
    from django.db import connection

    from annotate.models import Annotation, QueueItem
    from llmops_core.hashing import content_hash
    from llmops_core.models import ModelOutput

    rubric = criteria[0].rubric_version_id
    inputs = [
        {"question": f"How do I export report {k // 2}?", "product": "Acme Notes"} for k in chunk
    ]
    outputs = ModelOutput.objects.bulk_create(
        ModelOutput(
            project=project,
            external_id=f"out-{k}",
            input=value,
            input_hash=content_hash(value),
            output_text=f"{TEXT} ({k})",
            model_name="demo-model",
            prompt_version=versions[k % 2],
        )
        for k, value in zip(chunk, inputs, strict=True)
    )
    items = QueueItem.objects.bulk_create(
        QueueItem(
            queue=queue_of(k),
            output=output,
            position=k,
            target_reviews=PER_ITEM,
            done_count=PER_ITEM,
        )
        for k, output in zip(chunk, outputs, strict=True)
    )
    annotations = Annotation.objects.bulk_create(
        Annotation(
            item=item,
            reviewer=users[(k + r * 5) % REVIEWERS],
            rubric_version_id=rubric,
            active_ms=15_000 + (k * 7 + r) % 9000,
            comment="Invented statistic." if (k + r) % 50 == 0 else "",
            flags=["broken"] if (k + r) % 97 == 0 else [],
            client_token=uuid.UUID(int=k * PER_ITEM + r + 1),
        )
        for k, item in zip(chunk, items, strict=True)
        for r in range(PER_ITEM)
    )
    rows = [(a.pk, c.pk, 1 + (a.pk * 7 + c.pk * 3) % 5) for a in annotations for c in criteria]
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO annotate_rating (annotation_id, criterion_id, score) VALUES (%s, %s, %s)",
            rows,
        )


def measure(kind: str, fmt: str, project_id: int, queue_id: int | None) -> dict[str, Any]:
    """Run one export as the job does; return rows, seconds, parts and peak RSS (all processes).

    ``export_write`` is the job's own call: a large export is split into parts written by
    forked processes (EXPORT_WORKERS, EXPORT_PARALLEL_MIN_RATINGS), so the memory figure is
    the peak of the sum over this process and its children.
    """
    import psutil
    from django.conf import settings

    from llmops_core.services.exports import ExportRun, ExportSpec, export_write
    from llmops_core.services.exports.shards import export_parts_for
    from llmops_core.services.exports.spec import ExportFilters

    process = psutil.Process()
    filters = ExportFilters(queue_ids=(queue_id,) if queue_id else ())
    spec = ExportSpec(project_id=project_id, kind=kind, format=fmt, filters=filters)
    parts = export_parts_for(ExportRun(spec))
    baseline = process.memory_info().rss
    peak = [baseline]
    done = threading.Event()

    def total_rss() -> int:
        rss = process.memory_info().rss
        for child in process.children(recursive=True):
            with contextlib.suppress(psutil.Error):  # a child may have just exited
                rss += child.memory_info().rss
        return rss

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], total_rss())
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    path = ROOT / "var" / "bench" / f"export-{kind}.{fmt}"
    began, cpu = time.perf_counter(), time.process_time()
    with path.open("wb") as handle:
        result = export_write(spec, handle, on_progress=lambda _: None).result
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    path.unlink()  # the files run to hundreds of megabytes; the figures are what we keep
    done.set()
    sampler.join()
    return {
        "rows": result.rows,
        "seconds": round(seconds, 2),
        "rows_per_s": round(result.rows / seconds),
        "peak_rss_mb": round(peak[0] / 2**20, 1),
        "baseline_rss_mb": round(baseline / 2**20, 1),
        "cpu_seconds": round(cpu, 2),
        "parts": parts,
        "workers": settings.EXPORT_WORKERS,
        "bytes": result.bytes,
    }


def run_child(kind: str, fmt: str, project_id: int, queue_id: int | None) -> dict[str, Any]:
    """Measure one export in a fresh process, so earlier work does not inflate its memory."""
    command = [
        sys.executable,
        "-m",
        "bench.export",
        "--measure",
        kind,
        fmt,
        str(project_id),
        str(queue_id or 0),
    ]
    done = subprocess.run(
        command, cwd=ROOT, env=os.environ, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """Build the data, run every export, print the figures, the JSON summary last."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100,000 ratings instead of 1M")
    parser.add_argument(
        "--measure", nargs=4, metavar=("KIND", "FORMAT", "PROJECT", "QUEUE"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.measure:
        setup_django()
        kind, fmt, project, queue = args.measure
        print(json.dumps(measure(kind, fmt, int(project), int(queue) or None)))
        return
    BENCH_DB.create()
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    try:
        call_command("migrate", verbosity=0)
        began = time.perf_counter()
        data = build(QUICK if args.quick else FULL)
        figures: dict[str, Any] = {
            "database": connection.vendor,
            "ratings": data["ratings"],
            "build_seconds": round(time.perf_counter() - began, 1),
        }
        print(
            f"built {data['ratings']:,} ratings on {connection.vendor} in "
            f"{figures['build_seconds']} s"
        )
        connection.close()
        small: dict[str, Any] = {"ratings": data["small_ratings"]}
        for fmt in FORMATS:
            figures[fmt] = run_child("ratings", fmt, data["project"], None)
            small[fmt] = run_child("ratings", fmt, data["project"], data["small_queue"])
            for label, row in (("all", figures[fmt]), ("tenth", small[fmt])):
                print(
                    f"ratings {fmt:<8} {label:<6} {row['rows']:>9,} rows in "
                    f"{row['seconds']:>6.2f} s ({row['rows_per_s']:>7,}/s, {row['parts']} "
                    f"part(s), CPU "
                    f"{row['cpu_seconds']} s), peak RSS {row['peak_rss_mb']} MB (before "
                    f"export {row['baseline_rss_mb']} MB)"
                )
        figures["consensus_jsonl"] = run_child("consensus", "jsonl", data["project"], None)
        print(f"consensus jsonl {figures['consensus_jsonl']}")
        figures["small"] = small
    finally:
        BENCH_DB.drop()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
