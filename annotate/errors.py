"""Errors of the annotation app; each says what went wrong and where."""

from __future__ import annotations

from llmops_core.errors import DomainError, NotAllowed


class NotInQueue(NotAllowed):
    """The user is not a reviewer of the queue."""


class Conflict(DomainError):
    """The action clashes with the current state (answered with HTTP 409)."""


class QueueNotOpen(Conflict):
    """The queue is paused or closed for this action."""


class AlreadyRated(Conflict):
    """The reviewer already has an annotation on this item."""


class TokenReused(Conflict):
    """A client token was sent again for a different item."""


class LeaseLost(Conflict):
    """The reviewer's lease expired and the item's slots were given to others."""


class RubricChanged(Conflict):
    """The queue moved to another rubric version after the page was loaded."""


class NothingToUndo(Conflict):
    """There is no submission the reviewer may still undo."""
