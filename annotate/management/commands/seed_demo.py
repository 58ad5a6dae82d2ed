"""``python manage.py seed_demo``: fill the demo project and print the logins."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from annotate.services.demo import demo_seed


class Command(BaseCommand):
    help = "Create the demo project 'demo' with users, prompts, outputs and a queue (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        summary = demo_seed()
        project = summary.project
        self.stdout.write(
            f"Demo project '{project.slug}': {project.outputs.count()} outputs "
            f"({summary.outputs_created} new), {summary.queue_items_added} queue items added, "
            f"{summary.ratings_created} demo annotations made."
        )
        self.stdout.write("Demo logins (demo only):")
        for username, password in summary.users:
            self.stdout.write(f"  {username} / {password}")
