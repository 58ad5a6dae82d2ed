"""Heartbeats: when a background component last proved it was working, for the health check."""

from __future__ import annotations

from django.db import models


class Heartbeat(models.Model):
    """The last time ``name`` (e.g. ``worker``: a worker ran beat's heartbeat task) was alive."""

    name = models.CharField(max_length=100, primary_key=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.beat_at:%Y-%m-%d %H:%M:%S}"
