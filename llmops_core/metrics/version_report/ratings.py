"""The ratings a version report reads, the evidence a comparison rests on, per-criterion seeds."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, Protocol


class VersionRatingRows(Protocol):
    """Ratings of prompt versions' outputs in long format, one entry per rating.

    ``annotate.selectors.RatingsSnapshot`` is one; ``scales`` maps a criterion to its
    (min, max), ``sha256`` fingerprints exactly what was read.
    """

    @property
    def annotation(self) -> Sequence[int]: ...
    @property
    def item(self) -> Sequence[int]: ...
    @property
    def output(self) -> Sequence[int]: ...
    @property
    def version(self) -> Sequence[int | None]: ...
    @property
    def reviewer_id(self) -> Sequence[int]: ...
    @property
    def criterion(self) -> Sequence[str]: ...
    @property
    def score(self) -> Sequence[int]: ...
    @property
    def scales(self) -> Mapping[str, tuple[int, int]]: ...
    @property
    def rubric_version_id(self) -> int | None: ...
    @property
    def sha256(self) -> str: ...
    @property
    def n_ratings(self) -> int: ...

    def reviewers(self) -> dict[int, str]:
        """Return {reviewer id: username} of everyone behind these ratings."""


def criterion_seed(name: str) -> int:
    """Return a stable per-criterion seed offset, so adding a criterion changes no other CI."""
    return int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)


def ratings_evidence(ratings: VersionRatingRows) -> dict[str, Any]:
    """Return exactly which ratings a comparison rests on: annotations, reviewers, a hash."""
    return {
        "n_ratings": ratings.n_ratings,
        "ratings_sha256": ratings.sha256,
        "rubric_version_id": ratings.rubric_version_id,
        "annotation_ids": sorted(set(ratings.annotation)),
        "reviewers": [
            {"id": pk, "username": name} for pk, name in sorted(ratings.reviewers().items())
        ],
    }
