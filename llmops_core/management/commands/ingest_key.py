"""``python manage.py ingest_key PROJECT [--name N]``: create an ingest key pair, print it once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from llmops_core.errors import DomainError
from llmops_core.models import Project
from llmops_core.services.ingest_keys import ingest_key_create


class Command(BaseCommand):
    help = (
        "Create an ingest key pair for a project (OpenTelemetry traces in) and print "
        "'public_key=… secret_key=…' on one line; the secret is not shown again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("project", help="Project slug.")
        parser.add_argument("--name", default="", help='A name for the pair (default "default").')

    def handle(self, *args: Any, **options: Any) -> None:
        project = Project.objects.filter(slug=options["project"]).first()
        if project is None:
            raise CommandError(f'no project "{options["project"]}"')
        try:
            key, secret = ingest_key_create(project=project, name=options["name"])
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"public_key={key.public_key} secret_key={secret}")
