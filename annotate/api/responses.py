"""What the annotation endpoints answer, written down: the contract ``static/js/rate.js`` reads.

These serializers document responses in the OpenAPI schema (``extend_schema(responses=...)``);
the payloads themselves are built by ``annotate.serializers`` and the views. The schema tests
(``tests/security/test_api_fuzz.py``, ``tests/annotate/test_api_schema.py``) check that what the
endpoints send conforms to what is written here.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

S = serializers.Serializer[Any]


def _scores(help_text: str = "Score per criterion name.") -> serializers.DictField:
    return serializers.DictField(child=serializers.IntegerField(), help_text=help_text)


class InputMessageSerializer(S):
    role = serializers.CharField()
    html = serializers.CharField(help_text="The message as sanitised HTML (Markdown rendered).")


class ItemInputSerializer(S):
    """An item's input as the rating page shows it: chat messages, variables, or text."""

    messages = InputMessageSerializer(many=True)
    variables = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField(), min_length=2, max_length=2),
        help_text="[name, value] pairs, values as plain text for the page to escape.",
    )
    html = serializers.CharField(help_text="A text input as sanitised HTML; empty otherwise.")


class OutputContextSerializer(S):
    """What produced an output; only in payloads that may reveal it (not blind, or a lead)."""

    prompt = serializers.CharField(allow_null=True)
    prompt_version = serializers.IntegerField(allow_null=True)
    model = serializers.CharField(allow_null=True)
    external_id = serializers.CharField()


class AnnotationValuesSerializer(S):
    """An annotation's values: scores, comment and flags."""

    scores = _scores()
    comment = serializers.CharField(allow_blank=True)
    flags = serializers.ListField(child=serializers.CharField())


class ItemRatingSerializer(S):
    """One reviewer's annotation of an item, as leads, adjudicators and open queues see it."""

    annotation = serializers.IntegerField()
    reviewer = serializers.CharField()
    rubric_version = serializers.IntegerField(help_text="The rubric version's number.")
    rubric_version_id = serializers.IntegerField()
    scores = _scores()
    comment = serializers.CharField(allow_blank=True)
    flags = serializers.ListField(child=serializers.CharField())
    active_ms = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class RatingItemSerializer(S):
    """An item to rate: its input, its output as sanitised HTML, and the reviewer's lease."""

    item = serializers.IntegerField()
    assignment = serializers.IntegerField(allow_null=True, help_text="The lease; null if none.")
    expires_at = serializers.DateTimeField(allow_null=True, help_text="When the lease ends.")
    input = ItemInputSerializer()
    output_html = serializers.CharField()
    previous = AnnotationValuesSerializer(
        allow_null=True, help_text="After an undo: what was submitted, to fill the form again."
    )
    context = OutputContextSerializer(  # type: ignore[assignment]  # a field named "context"
        required=False, help_text="Only when not blind."
    )
    others = ItemRatingSerializer(
        many=True, required=False, help_text="Other reviewers' ratings; only when not blind."
    )


class ClaimSerializer(S):
    """The next item, or why there is none."""

    next = RatingItemSerializer(allow_null=True)
    reason = serializers.CharField(
        allow_blank=True, help_text="Why there is no next item: done, quota, paused, closed, busy."
    )
    message = serializers.CharField(allow_blank=True, help_text="The reason, in words.")


class ProgressSerializer(S):
    """The queue's progress and the reviewer's."""

    complete = serializers.IntegerField(help_text="Items with all their reviews.")
    items = serializers.IntegerField()
    reviews = serializers.IntegerField()
    mine = serializers.IntegerField(help_text="Items you rated in this queue.")
    quota = serializers.IntegerField(allow_null=True)


class ProgressTodaySerializer(ProgressSerializer):
    today = serializers.IntegerField(help_text="Items you rated since midnight.")


class SubmittedSerializer(S):
    id = serializers.IntegerField(help_text="The stored annotation.")
    item = serializers.IntegerField()
    created = serializers.BooleanField(help_text="False when the client token was seen before.")


class SubmitResultSerializer(ClaimSerializer):
    """The stored annotation, the next item in the same round trip, and the progress."""

    annotation = SubmittedSerializer()
    progress = ProgressSerializer()


class UndoResultSerializer(ClaimSerializer):
    """The item taken back (``next``, with ``previous`` filled in) and the progress."""

    progress = ProgressSerializer()


class LeaseSerializer(S):
    assignment = serializers.IntegerField()
    expires_at = serializers.DateTimeField()


class ReleasedSerializer(S):
    released = serializers.IntegerField(help_text="Leases given back.")


class AnnotationDetailSerializer(S):
    """One's own annotation with its item, for the edit form."""

    annotation = serializers.IntegerField()
    rubric_version = serializers.IntegerField(help_text="The rubric version's id.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    scores = _scores()
    comment = serializers.CharField(allow_blank=True)
    flags = serializers.ListField(child=serializers.CharField())
    active_ms = serializers.IntegerField()
    item = RatingItemSerializer()


class RevisionSerializer(S):
    changed_by = serializers.CharField()
    changed_at = serializers.DateTimeField()
    before = AnnotationValuesSerializer()
    after = AnnotationValuesSerializer()


class ReviewerRowSerializer(S):
    """One reviewer's progress and quality in a queue."""

    username = serializers.CharField()
    quota = serializers.IntegerField(allow_null=True)
    done = serializers.IntegerField()
    done_today = serializers.IntegerField()
    skipped = serializers.IntegerField()
    flagged = serializers.IntegerField()
    mean_active_s = serializers.FloatField(allow_null=True)
    gold_checked = serializers.IntegerField()
    gold_exact = serializers.FloatField(
        allow_null=True, help_text="Share of gold criteria scored exactly right."
    )
    gold_within_one = serializers.FloatField(allow_null=True)


class PinsChangedSerializer(S):
    changed = serializers.IntegerField(help_text="Items pinned or unpinned.")


class ItemsAddedSerializer(S):
    added = serializers.IntegerField(help_text="Outputs added (those already queued are skipped).")
    item_count = serializers.IntegerField()


class RatingCriterionSerializer(S):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    min = serializers.IntegerField()
    max = serializers.IntegerField()
    anchors = serializers.DictField(
        child=serializers.CharField(allow_blank=True), help_text="Anchor text per level."
    )


class RatingRubricSerializer(S):
    """A rubric version with its criteria, scales and anchors."""

    id = serializers.IntegerField()
    number = serializers.IntegerField()
    name = serializers.CharField()
    criteria = RatingCriterionSerializer(many=True)


class AdjudicationSerializer(S):
    scores = _scores()
    note = serializers.CharField(allow_blank=True)
    adjudicator = serializers.CharField()
    updated_at = serializers.DateTimeField()


class ItemReviewSerializer(S):
    """An item with every rating side by side, gold scores and adjudication."""

    item = RatingItemSerializer()
    position = serializers.IntegerField()
    is_gold = serializers.BooleanField()
    gold_scores = serializers.DictField(help_text="Known scores of a gold item, per criterion.")
    contested = serializers.BooleanField()
    done_count = serializers.IntegerField()
    target_reviews = serializers.IntegerField()
    rubric = RatingRubricSerializer()
    ratings = ItemRatingSerializer(many=True)
    suggested = _scores(help_text="The median score per criterion, to start from.")
    adjudication = AdjudicationSerializer(allow_null=True)


class AdjudicationNextResultSerializer(S):
    next = ItemReviewSerializer(allow_null=True)
    remaining = serializers.IntegerField(help_text="Items waiting for adjudication.")


class AdjudicatedSerializer(S):
    item = serializers.IntegerField()
    scores = _scores()
    note = serializers.CharField(allow_blank=True)
    adjudicator = serializers.CharField()
