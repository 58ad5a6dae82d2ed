"""Benchmark report pages with charts: the first view (charts drawn) against the second (cached).

Run ``python -m bench.reports`` (``--quick``: one round instead of three). Production settings
(``DEBUG=0``, static files collected, the database cache table of ``CACHE_URL=db://`` unless
``CACHE_URL`` says otherwise) on a throwaway database (a SQLite file under ``var/bench/`` or,
when ``DATABASE_URL`` points at PostgreSQL, ``llmops_bench_reports``). The demo project is
seeded (``seed_demo``) and its version reports computed; a judge comparison report is computed
from seeded random data (400 items, 3 reviewers, 3 criteria, two judge versions), since a real
judge run needs an LLM endpoint.

A view is what a browser fetches for the page: its HTML, then every chart image on it, in one
process through the whole Django stack (a signed-in lead, Django's test client). Each round
clears the cache, then times the first view (every chart drawn) and the second (every chart
read from the cache); then clears it again, draws the charts as the worker does when it
computes a report (``services.charts.report_charts_draw``) and times the first view after that.
Pages: the version comparison (``compare``), a version scorecard (``scorecard``) and the judge
report (``judge``). The last line printed is one JSON object with the median milliseconds per
page and view, and whether those views are under 300 ms.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import secrets
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench.support import BenchDatabase

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = BenchDatabase("reports")
TARGET_MS = 300
IMAGE = re.compile(r'<img[^>]+src="([^"]+/charts/[^"]+)"')


def configure(var_dir: Path) -> None:
    """Set a production-like environment for this process."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "llmops_core.settings",
            "DEBUG": "0",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "testserver",
            "SECURE_SSL_REDIRECT": "0",
            "VAR_DIR": str(var_dir),
            "MEDIA_ROOT": str(var_dir / "media"),
            "LOG_LEVEL": "WARNING",
            "CELERY_QUEUE": "bench-reports",
            "CACHE_URL": os.environ.get("CACHE_URL") or "db://",
        }
    )


def judge_results(seed: int = 3) -> dict[str, Any]:
    """Return a judge comparison report's results over seeded random ratings."""
    import numpy as np

    from llmops_core.metrics.judge_report.build import build_report
    from llmops_core.metrics.judge_report.types import (
        ComparisonData,
        CostInfo,
        CriterionScale,
        HumanMatrix,
        OutputInfo,
        VersionScores,
    )

    rng = np.random.default_rng(seed)
    items, names = 400, ["fluency", "relevance", "factual_accuracy"]
    outputs = list(range(1, items + 1))
    truth = {n: rng.integers(1, 6, items) for n in names}
    humans = {}
    for name in names:
        scores = np.clip(truth[name] + rng.normal(0, 0.8, (3, items)).round(), 1, 5)
        scores[rng.random(scores.shape) < 0.2] = np.nan
        humans[name] = HumanMatrix(["alice", "bob", "carol"], scores)

    def version(number: int, noise: float, subject: bool) -> VersionScores:
        return VersionScores(
            version_id=number,
            judge="support-judge",
            number=number,
            model="demo-model",
            mode="pointwise",
            is_subject=subject,
            scores={
                n: {
                    o: (int(s), f"reason {o}")
                    for o, s in zip(
                        outputs,
                        np.clip(truth[n] + rng.normal(0, noise, items).round(), 1, 5),
                        strict=True,
                    )
                }
                for n in names
            },
            cost=CostInfo(paid_calls=items * len(names), cost=0.2 * number),
        )

    data = ComparisonData(
        criteria=[CriterionScale(n, 1, 5) for n in names],
        items=outputs,
        humans=humans,
        outputs={
            o: OutputInfo(o, f"ext-{o}", int(rng.integers(20, 300)), "question", "answer")
            for o in outputs
        },
        versions=[version(1, 1.2, False), version(2, 0.6, True)],
        n_ratings=int(sum(np.isfinite(h.scores).sum() for h in humans.values())),
    )
    return build_report(data, draws=200, seed=seed)


def seed() -> dict[str, tuple[str, int]]:
    """Migrate, collect static files, seed the demo and its reports; return each page's URL and
    the id of the report whose charts it shows."""
    from django.core.management import call_command
    from django.urls import reverse

    from llmops_core.models import JobStatus, Project, Report, ReportKind
    from llmops_core.services.comparisons import version_report_compute

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("seed_demo", stdout=io.StringIO())
    kinds = (ReportKind.SCORECARD, ReportKind.VERSION_COMPARISON)
    for pk in Report.objects.filter(kind__in=kinds, status=JobStatus.PENDING).values_list(
        "pk", flat=True
    ):
        version_report_compute(report_id=pk)
    done = Report.objects.filter(status=JobStatus.SUCCEEDED).select_related(
        "subject_version__template", "baseline_version"
    )
    comparison = done.filter(kind=ReportKind.VERSION_COMPARISON).order_by("pk").first()
    scorecard = done.filter(kind=ReportKind.SCORECARD).order_by("pk").first()
    if comparison is None or scorecard is None:
        raise RuntimeError("seed_demo made no finished comparison or scorecard")
    project = Project.objects.get(slug="demo")
    judge = Report.objects.create(
        project=project,
        kind=ReportKind.JUDGE_COMPARISON,
        title="Judge vs humans (bench)",
        status=JobStatus.SUCCEEDED,
        progress=1.0,
        snapshot_hash="bench",
        results=judge_results(),
    )
    candidate, baseline = comparison.subject_version, comparison.baseline_version
    assert candidate is not None and baseline is not None
    template = candidate.template.name
    card = scorecard.subject_version
    assert card is not None
    compare = reverse("version-compare", args=["demo", template])
    query = f"?candidate={candidate.number}&baseline={baseline.number}"
    return {
        "compare": (compare + query, comparison.pk),
        "scorecard": (
            reverse("version-scorecard", args=["demo", card.template.name, card.number]),
            scorecard.pk,
        ),
        "judge": (reverse("judge-report", args=["demo", judge.pk]), judge.pk),
    }


def view(client: Any, url: str) -> tuple[float, int]:
    """Return the milliseconds to fetch the page and every chart on it, and how many charts."""
    started = time.perf_counter()
    page = client.get(url)
    if page.status_code != 200:
        raise RuntimeError(f"{url}: {page.status_code}")
    charts = IMAGE.findall(page.content.decode())
    for src in charts:
        response = client.get(src.replace("&amp;", "&"))
        if response.status_code != 200:
            raise RuntimeError(f"{src}: {response.status_code}")
    return (time.perf_counter() - started) * 1000, len(charts)


def measure(pages: dict[str, tuple[str, int]], rounds: int) -> dict[str, Any]:
    """Time every page's views, ``rounds`` times; return the medians.

    ``first``: on an empty cache (every chart drawn on request); ``second``: right after;
    ``worker``: on an empty cache after ``report_charts_draw`` (what the worker does when a
    report is computed), i.e. the first view of a newly computed report.
    """
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.test import Client

    from llmops_core.services.charts import report_charts_draw

    client = Client()
    client.force_login(get_user_model().objects.get(username="lead"))
    view(client, pages["compare"][0])  # warm imports (matplotlib, templates) before timing
    views = ("first", "second", "worker")
    timings: dict[str, dict[str, list[float]]] = {p: {v: [] for v in views} for p in pages}
    charts: dict[str, int] = {}
    for _ in range(rounds):
        for name, (url, report_id) in pages.items():
            cache.clear()
            first, charts[name] = view(client, url)
            timings[name]["first"].append(first)
            timings[name]["second"].append(view(client, url)[0])
            cache.clear()
            report_charts_draw(report_id=report_id)
            timings[name]["worker"].append(view(client, url)[0])
    figures: dict[str, Any] = {}
    for name, times in timings.items():
        figures[f"{name}_charts"] = charts[name]
        for which in views:
            figures[f"{name}_{which}_ms"] = round(statistics.median(times[which]), 1)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round instead of three")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args(argv)
    configure(ROOT / "var" / "bench" / "reports")
    sys.path.insert(0, str(ROOT))
    BENCH_DB.create()
    import django

    django.setup()
    try:
        pages = seed()
        figures = measure(pages, 1 if args.quick else 3)
    finally:
        if not args.keep:
            BENCH_DB.drop()
    figures = {
        "benchmark": "reports",
        "db": os.environ["DATABASE_URL"].split(":", 1)[0],
        "cache": os.environ["CACHE_URL"],
        **figures,
        "second_view_under_300_ms": all(figures[f"{name}_second_ms"] < TARGET_MS for name in pages),
        "first_view_after_worker_under_300_ms": all(
            figures[f"{name}_worker_ms"] < TARGET_MS for name in pages
        ),
    }
    for name in pages:
        print(
            f"{name}: {figures[f'{name}_charts']} charts, first view "
            f"{figures[f'{name}_first_ms']} ms, second view {figures[f'{name}_second_ms']} ms, "
            f"first view after the worker drew the charts {figures[f'{name}_worker_ms']} ms"
        )
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
