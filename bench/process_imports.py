"""What a web process and a Celery worker import when they start, before any work.

Run ``python -m bench.process_imports`` in a fresh process (nothing else imported first). It
loads ``llmops_core.wsgi`` (``django.setup()``), resolves every URL of the URL conf to its view,
and imports every module of the view and API packages: everything a web worker imports before
it has drawn a chart, written an export or called a model. With ``--worker`` it loads what
``celery -A llmops_core worker`` loads before its first task instead (the app, Django, every
task module). It prints one JSON object: ``rss_mb`` (resident memory at that point),
``setup_rss_mb`` (after ``django.setup()`` alone), ``seconds``, ``modules`` (how many are
loaded), ``imported`` (how many view/API or task modules it imported) and ``heavy``: each heavy
library found in ``sys.modules``, with the chain of our own code that first imported it
(``a:12 < b:30`` reads "line 12 of a, imported by line 30 of b").

``tests/test_lean_processes.py`` runs it to hold the rule in CI; ``bench.startup`` reports it.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.abc
import json
import os
import pkgutil
import sys
import time
from collections.abc import Iterator, Sequence
from types import FrameType, ModuleType
from typing import Any

# Libraries that belong to the worker (statistics, charts, exports, model calls), never to a
# process that only serves pages. numpy is not among them: small, and used by plain selectors.
HEAVY_MODULES = (
    "scipy",
    "matplotlib",
    "PIL",
    "pandas",
    "pyarrow",
    "sklearn",
    "statsmodels",
    "pingouin",
    "krippendorff",
    "datasets",
    "openai",
    "sacrebleu",
    "rouge_score",
)
RSS_LIMIT_MB = 150
# Every module of these packages is imported, routed or not (helpers the views share included).
VIEW_PACKAGES = ("llmops_core.views", "llmops_core.api", "annotate.views", "annotate.api")
OURS = ("llmops_core", "annotate")


class _ImportWitness(importlib.abc.MetaPathFinder):
    """Record, for each heavy top-level package, which of our modules first imported it."""

    def __init__(self, watched: Sequence[str]) -> None:
        self.watched = set(watched)
        self.chains: dict[str, str] = {}

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        if fullname in self.watched and fullname not in self.chains:
            self.chains[fullname] = _our_chain(sys._getframe(1))
        return None  # only watching: the ordinary finders do the importing


def _our_chain(frame: FrameType | None) -> str:
    """Return the module-level import lines of our code on the stack, innermost first."""
    links = []
    while frame is not None:
        module = str(frame.f_globals.get("__name__", ""))
        if module.split(".")[0] in OURS:
            where = "" if frame.f_code.co_name == "<module>" else f" in {frame.f_code.co_name}()"
            links.append(f"{module}:{frame.f_lineno}{where}")
        frame = frame.f_back
    return " < ".join(links) or "(outside our code)"


def rss_mb(pid: int | None = None) -> float:
    """Return the resident memory of a process (this one by default) in MB."""
    import psutil

    return round(psutil.Process(pid).memory_info().rss / 2**20, 1)


def _url_views() -> Iterator[ModuleType]:
    """Resolve every URL pattern of the URL conf and yield the modules of their views."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(resolver: URLResolver) -> Iterator[URLPattern]:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern)
            else:
                yield pattern

    for pattern in walk(get_resolver()):
        view = pattern.callback
        owner = getattr(view, "view_class", None) or getattr(view, "cls", None) or view
        yield sys.modules[owner.__module__]


def _package_modules() -> Iterator[ModuleType]:
    """Import every module of the view and API packages."""
    for name in VIEW_PACKAGES:
        package = importlib.import_module(name)
        yield package
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{name}."):
            yield importlib.import_module(info.name)


def _web() -> tuple[float, set[str]]:
    """Load the app as gunicorn does, then every view; return the RSS after setup and the views."""
    importlib.import_module("llmops_core.wsgi")
    setup_rss = rss_mb()
    views = {module.__name__ for module in _url_views()}
    views |= {module.__name__ for module in _package_modules()}
    return setup_rss, views


def _worker() -> tuple[float, set[str]]:
    """Load what a Celery worker loads before its first task; return the RSS and task modules."""
    import django

    from llmops_core.celery import app

    django.setup()
    setup_rss = rss_mb()
    app.loader.import_default_modules()  # the worker's autodiscovery of every tasks module
    app.finalize()
    modules = {task.__module__ for task in app.tasks.values()}
    return setup_rss, {name for name in modules if name.split(".")[0] in OURS}


def probe(*, worker: bool = False) -> dict[str, Any]:
    """Start a web (or, with ``worker``, a Celery worker) process's imports; return its state."""
    witness = _ImportWitness(HEAVY_MODULES)
    sys.meta_path.insert(0, witness)
    started = time.perf_counter()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "llmops_core.settings")
    setup_rss, imported = _worker() if worker else _web()
    seconds = time.perf_counter() - started
    sys.meta_path.remove(witness)
    heavy = {name: witness.chains.get(name, "?") for name in HEAVY_MODULES if name in sys.modules}
    return {
        "process": "celery worker" if worker else "web",
        "rss_mb": rss_mb(),
        "setup_rss_mb": setup_rss,
        "seconds": round(seconds, 2),
        "modules": len(sys.modules),
        "imported": len(imported),
        "heavy": heavy,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--worker", action="store_true", help="a Celery worker, not a web one")
    args = parser.parse_args(argv)
    print(json.dumps(probe(worker=args.worker)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
