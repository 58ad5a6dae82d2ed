"""The startup benchmark's workload and memory sampler: pages, jobs and charts of the demo project.

``run_workload`` drives a running gunicorn and Celery worker over HTTP as a lead would: every
page of the demo project, then an agreement report, a Parquet export, a judge run with its
judge-versus-human report and a scorecard (each requested through the API and polled to its
end), then the pages and charts of what they produced. ``TreeSampler`` sums the memory of every
process under the given roots while it runs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import psutil

from bench.load_traffic import Api

SLUG = "demo"
TERMINAL = {"succeeded", "failed", "cancelled"}
JOB_TIMEOUT_S = 300.0
GetPage = Callable[[int, str, str], int]


class TreeSampler(threading.Thread):
    """Sample the summed RSS and PSS of every process under ``roots`` every ``interval`` s."""

    def __init__(self, roots: list[int], interval: float = 0.2) -> None:
        super().__init__(name="tree-sampler", daemon=True)
        self.roots = roots
        self.interval = interval
        self.done = threading.Event()
        self.peak_rss = self.peak_pss = 0.0
        self.last: dict[str, Any] = {}
        self.at_peak: list[dict[str, Any]] = []
        self.pids: set[int] = set()

    def sample(self) -> tuple[float, float, list[dict[str, Any]]]:
        """Return the tree's RSS and PSS in MB and each process's figures."""
        rows = []
        for root in self.roots:
            try:
                top = psutil.Process(root)
                processes = [top, *top.children(recursive=True)]
            except psutil.NoSuchProcess:
                continue
            for process in processes:
                try:
                    memory = process.memory_full_info()
                    command = " ".join(process.cmdline()[1:4])
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                rows.append(
                    {
                        "pid": process.pid,
                        "parent": process.ppid(),
                        "command": command,
                        "rss_mb": round(memory.rss / 2**20, 1),
                        "pss_mb": round(memory.pss / 2**20, 1),
                    }
                )
        self.pids.update(row["pid"] for row in rows)
        rss = sum(row["rss_mb"] for row in rows)
        pss = sum(row["pss_mb"] for row in rows)
        return rss, pss, rows

    def run(self) -> None:
        while not self.done.is_set():
            rss, pss, rows = self.sample()
            if rss > self.peak_rss:
                self.peak_rss, self.at_peak = rss, rows
            self.peak_pss = max(self.peak_pss, pss)
            self.done.wait(self.interval)

    def stop(self) -> None:
        self.done.set()
        self.join()
        rss, pss, rows = self.sample()
        for row in rows:
            row["heavy"] = _mapped_libraries(row["pid"])
        self.last = {"rss": rss, "pss": pss, "rows": rows}

    def figures(self) -> dict[str, Any]:
        return {
            "tree_rss_mb": round(self.last["rss"], 1),
            "tree_pss_mb": round(self.last["pss"], 1),
            "tree_rss_peak_mb": round(self.peak_rss, 1),
            "tree_pss_peak_mb": round(self.peak_pss, 1),
            "tree_processes_seen": len(self.pids),
            "tree_processes_at_peak": self.at_peak,
            "tree_processes_after": self.last["rows"],
        }


def _mapped_libraries(pid: int) -> list[str]:
    """Return the heavy libraries whose compiled extensions a process has mapped (loaded)."""
    from bench.process_imports import HEAVY_MODULES

    wanted = {*HEAVY_MODULES, "pydantic_core"}  # pydantic_core: what openai loads
    try:
        paths = {m.path for m in psutil.Process(pid).memory_maps(grouped=True)}
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return []
    found = set()
    for path in paths:
        parts = path.split("/site-packages/")
        if len(parts) == 2 and parts[1].split("/")[0] in wanted:
            found.add(parts[1].split("/")[0])
    return sorted(found)


def _pages_before() -> list[str]:
    """Return the demo project's pages a lead opens: lists, queues, versions."""
    from django.urls import reverse

    from annotate.models import Queue
    from llmops_core.models import PromptVersion

    project = {"project_slug": SLUG}
    names = ["project", "report-list", "export-list", "judge-list", "project-dashboard"]
    names += ["dataset-list", "release-gate", "audit-log"]
    pages = ["/", reverse("tokens"), *(reverse(name, kwargs=project) for name in names)]
    for queue in Queue.objects.filter(project__slug=SLUG).order_by("pk"):
        pages.append(reverse("queue-detail", kwargs={**project, "pk": queue.pk}))
    for version in PromptVersion.objects.filter(template__project__slug=SLUG).select_related(
        "template"
    ):
        kwargs = {**project, "name": version.template.name}
        pages.append(reverse("version-scorecard", kwargs={**kwargs, "number": version.number}))
        pages.append(reverse("prompt-history", kwargs=kwargs))
    return list(dict.fromkeys(pages))


def _pages_after(jobs: dict[str, Any]) -> list[str]:
    """Return the pages and charts of the jobs the workload ran."""
    from django.urls import reverse

    from llmops_core.charts.agreement import CHARTS as AGREEMENT_CHARTS
    from llmops_core.charts.judge import charts_for
    from llmops_core.charts.versions import CHARTS as VERSION_CHARTS
    from llmops_core.models import Report

    project = {"project_slug": SLUG}
    pages = []
    report = jobs["agreement report"]["id"]
    pages.append(reverse("report-detail", kwargs={**project, "pk": report}))
    for name in AGREEMENT_CHARTS:
        kwargs = {**project, "pk": report, "name": name, "fmt": "svg"}
        pages.append(reverse("report-chart", kwargs=kwargs))
    pages.append(reverse("export-detail", kwargs={**project, "pk": jobs["export"]["id"]}))
    pages.append(reverse("judge-run", kwargs={**project, "pk": jobs["judge run"]["id"]}))
    judge_report = jobs["judge report"]["id"]
    pages.append(reverse("judge-report", kwargs={**project, "pk": judge_report}))
    for name in charts_for(Report.objects.get(pk=judge_report).results or {}):
        kwargs = {**project, "pk": judge_report, "name": name, "fmt": "svg"}
        pages.append(reverse("judge-report-chart", kwargs=kwargs))
    scorecard = jobs["scorecard"]["id"]
    for name, spec in VERSION_CHARTS.items():
        if spec.kind == "scorecard":
            kwargs = {**project, "pk": scorecard, "name": name, "fmt": "svg"}
            pages.append(reverse("version-report-chart", kwargs=kwargs))
    return pages


def _job(api: Api, create: str, body: Any, poll: str) -> dict[str, Any]:
    """POST ``body`` to ``create``, poll ``poll.format(id)`` to its end; return id and outcome."""
    started = time.monotonic()
    status, created = api.call("POST", create, body)
    if status not in (200, 201, 202) or not isinstance(created, dict):
        raise RuntimeError(f"POST {create} answered {status}: {created}")
    while True:
        status, job = api.call("GET", poll.format(created["id"]))
        if status != 200 or not isinstance(job, dict):
            raise RuntimeError(f"GET {poll.format(created['id'])} answered {status}: {job}")
        if job["status"] in TERMINAL:
            break
        if time.monotonic() - started > JOB_TIMEOUT_S:
            raise RuntimeError(f"{create} job {created['id']} still {job['status']}")
        time.sleep(0.25)
    outcome = {"id": created["id"], "status": job["status"]}
    outcome["seconds"] = round(time.monotonic() - started, 2)
    if job.get("error"):
        outcome["error"] = str(job["error"])[:300]
    return outcome


def _serve(port: int, pages: list[str], cookie: str, get_page: GetPage) -> dict[str, int]:
    """GET every page; return how many answered each status."""
    statuses: dict[str, int] = {}
    for page in pages:
        status = str(get_page(port, page, cookie))
        statuses[status] = statuses.get(status, 0) + 1
    return statuses


def run_workload(port: int, world: dict[str, Any], *, get_page: GetPage) -> dict[str, Any]:
    """Serve the pages, run the jobs through the worker, serve their pages; return a summary."""
    from annotate.models import Queue
    from llmops_core.models import JudgeVersion, PromptVersion

    api = Api(port, world["token"])
    base = f"/api/projects/{SLUG}"
    queue = Queue.objects.filter(project__slug=SLUG).order_by("pk").first()
    judge = JudgeVersion.objects.filter(config__project__slug=SLUG).order_by("pk").first()
    version = PromptVersion.objects.filter(template__project__slug=SLUG).order_by("pk").first()
    if queue is None or judge is None or version is None:
        raise RuntimeError("seed_demo made no queue, judge or prompt version")
    started = time.monotonic()
    before = _serve(port, _pages_before(), world["cookie"], get_page)
    jobs: dict[str, Any] = {}
    jobs["agreement report"] = _job(
        api, f"{base}/reports/", {"queue_id": queue.pk}, base + "/reports/{}/"
    )
    jobs["export"] = _job(
        api,
        f"{base}/exports/",
        {"kind": "ratings", "format": "parquet"},
        base + "/exports/{}/",
    )
    jobs["judge run"] = _job(
        api,
        f"{base}/judge-runs/",
        {"judge_version": judge.pk, "queue_id": queue.pk},
        base + "/judge-runs/{}/",
    )
    jobs["judge report"] = _job(
        api, f"{base}/judge-reports/", {"run": jobs["judge run"]["id"]}, base + "/judge-reports/{}/"
    )
    scorecard = f"{base}/prompts/{version.template.name}/versions/{version.number}/scorecard/"
    jobs["scorecard"] = _job(api, scorecard, None, base + "/version-reports/{}/")
    after = _serve(port, _pages_after(jobs), world["cookie"], get_page)
    api.close()
    return {
        "seconds": round(time.monotonic() - started, 1),
        "pages_before_jobs": before,
        "pages_after_jobs": after,
        "jobs": jobs,
    }
