"""The door into the annotation app: the named reads that ``llmops_core`` may call.

``llmops_core`` imports only from this package (an import-linter contract holds it to that),
and never queries annotate's tables itself, not even through reverse relations such as
``Project.queues`` or ``ModelOutput.queue_items`` (``tests/test_door.py`` holds it to that).
Everything listed here hands back plain data: dataclasses, named tuples, dicts, lists and
numbers, never a model instance or a queryset. Inside ``annotate``, code imports the submodule
that owns a read:

* ``queues``: queues and their items, as rows for pages, reports and judge runs;
* ``ratings``: ratings as plain rows, snapshots and fingerprints, gold and adjudicated scores;
* ``exports``: annotation tables streamed for exports;
* ``preferences``: blind side-by-side preferences;
* ``outputs``: which outputs are rated or queued, and each output's queues and labels;
* ``designs``: the calibration queues of a prompt version and their inclusion probabilities;
* ``calibration``: human ratings on one criterion as arrays, beside a judge's scores.
"""

from annotate.selectors.calibration import HumanRatings, human_ratings
from annotate.selectors.designs import CalibrationDesign, calibration_designs
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
from annotate.selectors.outputs import (
    OutputLabel,
    OutputQueueRow,
    output_ids_queued,
    output_ids_rated,
    output_label_counts,
    output_labels,
    output_queues,
)
from annotate.selectors.preferences import preference_fingerprint, preference_outcomes
from annotate.selectors.queues import (
    ItemRatings,
    QueueCard,
    QueueRow,
    item_ratings_for_user,
    queue_cards_for_user,
    queue_output_counts,
    queue_output_ids,
    queue_row,
    queue_rows_for_user,
)
from annotate.selectors.ratings import (
    RatingFilter,
    RatingsSnapshot,
    adjudicated_scores,
    flag_and_skip_counts,
    gold_scores,
    rating_counts_by_rubric_version,
    rating_fingerprint,
    rating_rows,
    ratings_snapshot,
)

__all__ = [
    "AnnotationRow",
    "CalibrationDesign",
    "HumanRatings",
    "ItemRatings",
    "OutputFlags",
    "OutputLabel",
    "OutputQueueRow",
    "PairwisePreferenceRow",
    "QueueCard",
    "QueueRow",
    "RatingFilter",
    "RatingRow",
    "RatingsSnapshot",
    "adjudicated_scores",
    "calibration_designs",
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
    "human_ratings",
    "item_ratings_for_user",
    "output_ids_queued",
    "output_ids_rated",
    "output_label_counts",
    "output_labels",
    "output_queues",
    "preference_fingerprint",
    "preference_outcomes",
    "queue_cards_for_user",
    "queue_output_counts",
    "queue_output_ids",
    "queue_row",
    "queue_rows_for_user",
    "rating_counts_by_rubric_version",
    "rating_fingerprint",
    "rating_rows",
    "ratings_snapshot",
]
