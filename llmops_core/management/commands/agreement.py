"""Compute the agreement report of a long-format ratings CSV, without touching the database."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from llmops_core.metrics.longformat import parse_scale, read_ratings_csv
from llmops_core.metrics.report import agreement_report
from llmops_core.metrics.report_text import render_report


class Command(BaseCommand):
    """Print inter-rater agreement for RATINGS.csv (header item,reviewer,criterion,score)."""

    help = (
        "Compute inter-rater agreement (Krippendorff's alpha, kappas, Gwet, ICC, per-reviewer "
        "and per-item tables, judge vs humans) from a CSV with header "
        "item,reviewer,criterion,score. An optional timestamp column adds weekly trends."
    )
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Declare the command-line arguments."""
        parser.add_argument("ratings", type=Path, help="long-format ratings CSV")
        parser.add_argument("--scale", help='declared scale: a range "1-5" or a list "1,2,3,4,6"')
        parser.add_argument(
            "--judge", help="reviewer name of the LLM judge (kept out of human metrics)"
        )
        parser.add_argument(
            "--json", action="store_true", help="print the report as one JSON object"
        )
        parser.add_argument(
            "--draws", type=int, default=1000, help="bootstrap draws (default 1000)"
        )
        parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")

    def handle(self, *args: Any, **options: Any) -> None:
        """Read the CSV, build the report and print it."""
        if options["draws"] < 0:
            raise CommandError("--draws must be zero or more")
        try:
            scale = parse_scale(options["scale"]) if options["scale"] else None
            with options["ratings"].open(newline="", encoding="utf-8-sig") as stream:
                ratings, timestamps = read_ratings_csv(stream)
            report = agreement_report(
                ratings,
                scale=scale,
                judge=options["judge"],
                bootstrap_draws=options["draws"],
                seed=options["seed"],
                timestamps=timestamps,
            )
        except OSError as exc:
            raise CommandError(f"{options['ratings']}: {exc.strerror or exc}") from exc
        except ValueError as exc:
            raise CommandError(f"{options['ratings']}: {exc}") from exc
        if options["json"]:
            self.stdout.write(json.dumps(report, allow_nan=False))
        else:
            self.stdout.write(render_report(report))
