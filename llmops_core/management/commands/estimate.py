"""Judge-assisted estimates (PPI++) of a long-format ratings CSV, without touching the database."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from llmops_core.metrics.longformat import parse_scale
from llmops_core.metrics.ppi.ratings import estimate_ratings, read_estimate_csv
from llmops_core.metrics.ppi.text import render_estimates


class Command(BaseCommand):
    """Print human-only, judge-only and PPI++ means for RATINGS.csv."""

    help = (
        "Estimate each criterion's mean from human ratings and an LLM judge's scores: "
        "human-only, judge-only and PPI++ (prediction-powered, power-tuned) with CLT "
        "intervals. Reads a CSV with header item,reviewer,criterion,score; the judge is the "
        "reviewer named by --judge. An optional version column splits the estimates per "
        "version; --weights names a column of inclusion probabilities (active sampling)."
    )
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Declare the command-line arguments."""
        parser.add_argument("ratings", type=Path, help="long-format ratings CSV")
        parser.add_argument("--judge", required=True, help="reviewer name of the LLM judge")
        parser.add_argument("--scale", help='declared scale: a range "1-5" or a list "1,2,3,4,6"')
        parser.add_argument(
            "--weights",
            metavar="COLUMN",
            help="column holding each output's inclusion probability (active sampling)",
        )
        parser.add_argument(
            "--confidence", type=float, default=0.95, help="interval level (default 0.95)"
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        """Read the CSV, estimate and print."""
        if not 0 < options["confidence"] < 1:
            raise CommandError("--confidence must be between 0 and 1, e.g. 0.95")
        try:
            scale = parse_scale(options["scale"]) if options["scale"] else None
            with options["ratings"].open(newline="", encoding="utf-8-sig") as stream:
                data = read_estimate_csv(stream, weights=options["weights"])
            report = estimate_ratings(
                data, judge=options["judge"], scale=scale, confidence=options["confidence"]
            )
        except OSError as exc:
            raise CommandError(f"{options['ratings']}: {exc.strerror or exc}") from exc
        except ValueError as exc:
            raise CommandError(f"{options['ratings']}: {exc}") from exc
        if options["json"]:
            self.stdout.write(json.dumps(report, allow_nan=False))
        else:
            self.stdout.write(render_estimates(report), ending="")
