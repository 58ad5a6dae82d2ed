"""Fixtures of the export tests: a small rated project and a way to export it."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from llmops_core.models import Project, Role
from llmops_core.services.exports import ExportOutcome, export_spec_build, export_write
from tests.exports.builders import RatedProject, build_rated_project

# Hugging Face datasets reads these at import: local files only, never the Hub.
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

Export = Callable[..., tuple[Path, ExportOutcome]]


@pytest.fixture
def reviewers(make_member: Callable[..., Any]) -> list[Any]:
    return [make_member(Role.REVIEWER, f"rev{i}") for i in range(1, 4)]


@pytest.fixture
def admin(make_member: Callable[..., Any]) -> Any:
    return make_member(Role.ADMIN, "the-admin")


@pytest.fixture
def rated(project: Project, reviewers: list[Any], lead: Any) -> RatedProject:
    return build_rated_project(project, reviewers=reviewers, lead=lead)


@pytest.fixture
def export(rated: RatedProject, tmp_path: Path) -> Export:
    """Return a function that exports the rated project to a file and returns path and outcome."""
    counter = iter(range(10_000))

    def run(
        kind: str, fmt: str, *, real_names: bool = False, block_ratings: int = 5000, **filters: Any
    ) -> tuple[Path, ExportOutcome]:
        spec = export_spec_build(
            project=rated.project,
            kind=kind,
            fmt=fmt,
            filters=filters,
            real_names=real_names,
            role=None,
        )
        path = tmp_path / f"{kind}-{next(counter)}.{fmt}"
        with path.open("wb") as handle:
            outcome = export_write(spec, handle, block_ratings=block_ratings)
        return path, outcome

    return run
