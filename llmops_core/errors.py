"""Domain errors raised by services; views and the API turn them into messages."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule of the domain was broken; the message says what and where."""

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.extra = extra


class NotAllowed(DomainError):
    """The user's role does not allow this action."""


class ImportRejected(DomainError):
    """An import file had bad rows and nothing was imported."""
