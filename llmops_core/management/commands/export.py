"""``python manage.py export --project SLUG --kind KIND --format FORMAT --out PATH [filters]``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from llmops_core.errors import DomainError
from llmops_core.models import ExportFormat, ExportKind, Project
from llmops_core.services.exports import export_spec_build, export_to_path


class Command(BaseCommand):
    help = (
        "Export labelled data (raw ratings, per-output consensus, preference pairs or an SFT "
        "set) to JSONL, CSV or Parquet, with its datasheet beside it as PATH.datasheet.json "
        "and PATH.datasheet.md. Prints the row count and the file's SHA-256."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", required=True, help="Project slug.")
        parser.add_argument("--kind", required=True, choices=ExportKind.values)
        parser.add_argument("--format", required=True, choices=ExportFormat.values)
        parser.add_argument("--out", required=True, type=Path, help="File to write.")
        parser.add_argument(
            "--queue",
            type=int,
            action="append",
            default=[],
            metavar="ID",
            help="Only this queue (repeat for several).",
        )
        parser.add_argument(
            "--prompt-version",
            type=int,
            nargs="+",
            action="extend",
            default=[],
            metavar="ID",
            help="Only these prompt version ids.",
        )
        parser.add_argument("--since", metavar="DATE", help="Ratings from this ISO date/time.")
        parser.add_argument(
            "--until",
            metavar="DATE",
            help="Ratings until this ISO date (inclusive) or time (exclusive).",
        )
        parser.add_argument(
            "--min-ratings", type=int, metavar="N", help="Outputs rated by at least N reviewers."
        )
        parser.add_argument(
            "--min-agreement",
            type=float,
            metavar="X",
            help="Outputs whose agreement is at least X (0-1).",
        )
        parser.add_argument(
            "--exclude-flagged", action="store_true", help="Leave out outputs a reviewer flagged."
        )
        parser.add_argument(
            "--min-margin",
            type=float,
            metavar="X",
            help="Preference pairs: smallest score gap (default 0.5).",
        )
        parser.add_argument(
            "--rule",
            metavar="RULE",
            help='Score rule: "mean" (default), "all" or "criterion:NAME".',
        )
        parser.add_argument(
            "--sft-threshold",
            type=float,
            metavar="X",
            help="SFT: smallest score to include (default 4).",
        )
        parser.add_argument(
            "--real-names",
            action="store_true",
            help="Real reviewer usernames instead of pseudonyms.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        project = Project.objects.filter(slug=options["project"].lower()).first()
        if project is None:
            raise CommandError(f'no project "{options["project"]}"')
        filters = {
            "queue_ids": options["queue"],
            "prompt_version_ids": options["prompt_version"],
            "since": options["since"],
            "until": options["until"],
            "min_ratings": options["min_ratings"],
            "min_agreement": options["min_agreement"],
            "exclude_flagged": options["exclude_flagged"],
            "rule": options["rule"],
            "min_margin": options["min_margin"],
            "sft_threshold": options["sft_threshold"],
        }
        out: Path = options["out"]
        try:
            # Whoever runs manage.py has the database itself, so real names are theirs to ask.
            spec = export_spec_build(
                project=project,
                kind=options["kind"],
                fmt=options["format"],
                filters=filters,
                real_names=options["real_names"],
                role=None,
            )
            outcome, _ = export_to_path(spec, out)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(f"{out}: {exc.strerror or exc}") from exc
        result = outcome.result
        self.stdout.write(f"rows: {result.rows}")
        self.stdout.write(f"sha256: {result.sha256}")
        self.stdout.write(f"file: {out} ({result.bytes} bytes)")
        self.stdout.write(f"datasheet: {out}.datasheet.json, {out}.datasheet.md")
