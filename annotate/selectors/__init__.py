"""The door into the annotation app: the named reads that ``llmops_core`` may call.

``llmops_core`` imports only from this package (an import-linter contract holds it to that);
inside ``annotate``, code imports the submodule that owns a read:

* ``queues``: queues, items and reviewers for the rating and queue pages;
* ``ratings``: ratings as plain rows and snapshots, for reports, judge comparisons, scorecards;
* ``exports``: annotation tables streamed for exports;
* ``preferences``: blind side-by-side preferences.
"""

from annotate.selectors.exports import (
    AnnotationRow,
    OutputFlags,
    PairwisePreferenceRow,
    RatingRow,
    export_annotation_rows,
    export_flags_by_output,
    export_output_boundaries,
    export_pairwise_preference_rows,
    export_queue_rows,
    export_rating_count,
    export_rating_rows,
    export_rubric_version_ids,
)
from annotate.selectors.preferences import preference_fingerprint, preference_outcomes
from annotate.selectors.queues import (
    item_for_rating,
    item_ratings,
    queue_cards_for_user,
    queue_list_for_user,
)
from annotate.selectors.ratings import (
    RatingFilter,
    RatingsSnapshot,
    adjudicated_scores,
    flag_and_skip_counts,
    gold_scores,
    rating_queryset,
    rating_rows,
    ratings_snapshot,
)

__all__ = [
    "AnnotationRow",
    "OutputFlags",
    "PairwisePreferenceRow",
    "RatingFilter",
    "RatingRow",
    "RatingsSnapshot",
    "adjudicated_scores",
    "export_annotation_rows",
    "export_flags_by_output",
    "export_output_boundaries",
    "export_pairwise_preference_rows",
    "export_queue_rows",
    "export_rating_count",
    "export_rating_rows",
    "export_rubric_version_ids",
    "flag_and_skip_counts",
    "gold_scores",
    "item_for_rating",
    "item_ratings",
    "preference_fingerprint",
    "preference_outcomes",
    "queue_cards_for_user",
    "queue_list_for_user",
    "rating_queryset",
    "rating_rows",
    "ratings_snapshot",
]
