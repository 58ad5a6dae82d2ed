"""``python manage.py import_outputs FILE --project SLUG [--partial] [--create-prompts] [--async]``.

Bad rows are printed to stderr once the file is read, repeats of one error as row ranges.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from llmops_core.errors import DomainError
from llmops_core.models import Project
from llmops_core.services.import_jobs import import_job_create, import_job_enqueue, import_job_run


class Command(BaseCommand):
    help = "Import model outputs from a JSONL or CSV file into a project."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--project", required=True, help="Project slug.")
        parser.add_argument(
            "--partial", action="store_true", help="Import the good rows and report the bad ones."
        )
        parser.add_argument(
            "--create-prompts",
            action="store_true",
            help="Create the prompt templates and versions that rows name but the project lacks.",
        )
        parser.add_argument(
            "--format",
            choices=["jsonl", "csv"],
            default=None,
            help="Default: from the file name and content.",
        )
        parser.add_argument(
            "--async",
            dest="run_async",
            action="store_true",
            help="Queue the import for a Celery worker and print the job id.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        project = Project.objects.filter(slug=options["project"].lower()).first()
        if project is None:
            raise CommandError(f'no project "{options["project"]}"')
        with path.open("rb") as handle:
            try:
                job = import_job_create(
                    project=project,
                    created_by=None,
                    content=handle,
                    filename=path.name,
                    partial=options["partial"],
                    create_prompts=options["create_prompts"],
                    source="cli",
                    fmt=options["format"],
                    keep_file=options["run_async"],
                )
            except DomainError as exc:
                raise CommandError(str(exc)) from exc
        if options["run_async"]:
            import_job_enqueue(job=job)
            self.stdout.write(f"queued import job {job.pk}")
            return
        try:
            result = import_job_run(
                job=job, opener=lambda: path.open("rb"), size=path.stat().st_size
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        for message in result.error_groups.messages():
            self.stderr.write(message)
        for message in result.skip_groups.messages():
            self.stderr.write(f"skipped {message}")
        for name in result.prompts_created:
            self.stdout.write(f"created prompt {name}")
        summary = (
            f"{result.rows_seen} rows: {result.rows_created} created, "
            f"{result.rows_existing} already present, {result.rows_skipped} skipped, "
            f"{result.rows_failed} bad"
        )
        if result.rejected:
            hint = ""
            if result.prompts_missing:
                names = ", ".join(result.prompts_missing)
                hint = f"; the project lacks {names}: --create-prompts creates them"
            raise CommandError(f"rejected, nothing imported ({summary}){hint}")
        self.stdout.write(summary)
