"""Failed-login counters, in the database so that every web process counts the same failures."""

from __future__ import annotations

from django.db import models


class LoginFailureCounter(models.Model):
    """Failed logins of one account (``user:<name>``) or address (``ip:<addr>``) in a window.

    Written by one upsert per failure (``services.login_limits``); a row past ``expires_at``
    counts as zero and is deleted by the next failure anywhere.
    """

    key = models.CharField(max_length=200, primary_key=True)
    failures = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.failures} until {self.expires_at:%Y-%m-%d %H:%M:%S}"
