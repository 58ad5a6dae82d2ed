"""Compare two JSON Lines files of outputs for drift, without touching the database."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from llmops_core.metrics.drift import (
    DEFAULT_ALPHA,
    DEFAULT_DRAWS,
    Outputs,
    compare_windows,
    read_outputs,
    render_report,
)


class Command(BaseCommand):
    """Print which signals drifted between BEFORE.jsonl and AFTER.jsonl."""

    help = (
        "Compare two JSON Lines files of outputs in the import format (each row may add a "
        '"scores" object of criterion to number): output and input length, latency, cost '
        "(Kolmogorov-Smirnov) and scores per criterion (chi-square), with Benjamini-Hochberg "
        "across the signals and effect sizes with bootstrap CIs."
    )
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Declare the command-line arguments."""
        parser.add_argument("before", type=Path, help="outputs of the earlier window (JSONL)")
        parser.add_argument("after", type=Path, help="outputs of the later window (JSONL)")
        parser.add_argument(
            "--json", action="store_true", help="print the report as one JSON object"
        )
        parser.add_argument(
            "--alpha",
            type=float,
            default=DEFAULT_ALPHA,
            help=f"false discovery rate (default {DEFAULT_ALPHA})",
        )
        parser.add_argument(
            "--draws",
            type=int,
            default=DEFAULT_DRAWS,
            help=f"bootstrap draws (default {DEFAULT_DRAWS})",
        )
        parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")

    def handle(self, *args: Any, **options: Any) -> None:
        """Read both files, compare them and print the report."""
        if not 0 < options["alpha"] < 1:
            raise CommandError("--alpha must be between 0 and 1")
        if not 0 <= options["draws"] <= 100_000:
            raise CommandError("--draws must be between 0 and 100000")
        before, after = _read(options["before"]), _read(options["after"])
        report = compare_windows(
            before.signals,
            after.signals,
            alpha=options["alpha"],
            draws=options["draws"],
            seed=options["seed"],
        )
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), allow_nan=False))
        else:
            self.stdout.write(render_report(report))


def _read(path: Path) -> Outputs:
    try:
        with path.open("rb") as stream:
            return read_outputs(stream, path.name)
    except OSError as exc:
        raise CommandError(f"{path}: {exc.strerror or exc}") from exc
    except ValueError as exc:  # FileError and RowsError: the file or some rows are bad
        raise CommandError(f"{path}: {exc}") from exc
