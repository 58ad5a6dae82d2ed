"""``python manage.py rollups_rebuild PROJECT``: recompute a project's monitoring roll-ups."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from llmops_core.models import Project
from llmops_core.services.monitoring import rollups_rebuild


class Command(BaseCommand):
    help = (
        "Recompute a project's monitoring roll-ups from its model outputs (for outputs stored "
        "before roll-ups existed, or linked to a prompt version later). Safe to run twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("project", help="Project slug.")

    def handle(self, *args: Any, **options: Any) -> None:
        project = Project.objects.filter(slug=options["project"].lower()).first()
        if project is None:
            raise CommandError(f'no project "{options["project"]}"')
        counted = rollups_rebuild(project_id=project.pk)
        self.stdout.write(f"{project.slug}: {counted} outputs rolled up")
