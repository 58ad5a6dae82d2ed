"""Shapes of the annotation app's data: input serializers and the payloads the pages read.

Blind review lives here: an item payload carries the prompt version, the model and other
reviewers' ratings only when ``reveal`` is true (a queue that is not blind, or a lead's view).
Gold markers are never part of a reviewer's payload.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from annotate.models import (
    Annotation,
    Assignment,
    Flag,
    Queue,
    QueueItem,
    QueueOrder,
    QueueReviewer,
)
from annotate.rendering import input_view, render_markdown
from llmops_core.api.fields import TextBoxField, column_integer
from llmops_core.models import RubricVersion

MAX_HOLDING = 20
# A day, as on the queue form (its lease is given in minutes, up to 24 hours).
MAX_LEASE_SECONDS = 24 * 60 * 60


def rubric_payload(version: RubricVersion) -> dict[str, Any]:
    """Return a rubric version with its criteria, scales and anchors."""
    return {
        "id": version.pk,
        "number": version.number,
        "name": version.rubric.name,
        "criteria": [
            {
                "id": c.pk,
                "name": c.name,
                "description": c.description,
                "min": c.scale_min,
                "max": c.scale_max,
                "anchors": {str(level): c.anchor(level) for level in c.levels},
            }
            for c in version.criteria.all()
        ],
    }


def output_context(item: QueueItem) -> dict[str, Any]:
    """Return what produced an item's output: prompt, prompt version and model."""
    output = item.output
    version = output.prompt_version
    return {
        "prompt": version.template.name if version else None,
        "prompt_version": version.number if version else None,
        "model": output.model_name or None,
        "external_id": output.external_id,
    }


def item_payload(
    *,
    item: QueueItem,
    assignment: Assignment | None,
    reveal: bool,
    previous: dict[str, Any] | None = None,
    others: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Return an item as the rating page shows it: input, sanitised output, and the lease."""
    output = item.output
    data: dict[str, Any] = {
        "item": item.pk,
        "assignment": assignment.pk if assignment else None,
        "expires_at": assignment.expires_at.isoformat() if assignment else None,
        "input": input_view(output.input),
        "output_html": render_markdown(output.output_text),
        "previous": previous,
    }
    if reveal:
        data["context"] = output_context(item)
        data["others"] = others or []
    return data


def annotation_payload(annotation: Annotation, *, reveal: bool) -> dict[str, Any]:
    """Return one's own annotation with its item, for the edit form."""
    scores = {r.criterion.name: r.score for r in annotation.ratings.all()}
    return {
        "annotation": annotation.pk,
        "rubric_version": annotation.rubric_version_id,
        "created_at": annotation.created_at.isoformat(),
        "updated_at": annotation.updated_at.isoformat(),
        "scores": scores,
        "comment": annotation.comment,
        "flags": list(annotation.flags),
        "active_ms": annotation.active_ms,
        "item": item_payload(item=annotation.item, assignment=None, reveal=reveal),
    }


class HoldingSerializer(serializers.Serializer[Any]):
    holding = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        default=list,
        max_length=MAX_HOLDING,
        help_text="Items the page already shows or prefetched; the next item is another one.",
    )


class SubmitSerializer(HoldingSerializer):
    client_token = serializers.UUIDField(help_text="A fresh UUID per item; resend it on retry.")
    scores = serializers.DictField(child=serializers.IntegerField(), default=dict)
    comment = TextBoxField(allow_blank=True, default="", trim_whitespace=False)
    flags = serializers.ListField(child=serializers.ChoiceField(Flag.choices), default=list)
    active_ms = column_integer(Annotation, "active_ms", min_value=0, default=0)
    rubric_version = serializers.IntegerField(required=False, allow_null=True, default=None)


class SkipSerializer(HoldingSerializer):
    reason = TextBoxField(allow_blank=True, default="", max_length=300)


class ReleaseSerializer(serializers.Serializer[Any]):
    item_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), max_length=MAX_HOLDING
    )


class EditSerializer(serializers.Serializer[Any]):
    scores = serializers.DictField(child=serializers.IntegerField(), required=False)
    comment = TextBoxField(allow_blank=True, required=False, trim_whitespace=False)
    flags = serializers.ListField(child=serializers.ChoiceField(Flag.choices), required=False)


class ScoresSerializer(serializers.Serializer[Any]):
    scores = serializers.DictField(child=serializers.IntegerField())
    note = TextBoxField(allow_blank=True, default="")


class AdjudicationNextSerializer(serializers.Serializer[Any]):
    after = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Item id to continue after (skip ahead).",
    )


class PinSerializer(serializers.Serializer[Any]):
    reviewer = serializers.CharField()
    item_ids = serializers.ListField(child=serializers.IntegerField(), default=list)
    from_position = serializers.IntegerField(required=False, allow_null=True, default=None)
    to_position = serializers.IntegerField(required=False, allow_null=True, default=None)
    unpin = serializers.BooleanField(default=False)


class ReviewerQuotaSerializer(serializers.Serializer[Any]):
    username = serializers.CharField()
    quota = column_integer(
        QueueReviewer, "quota", min_value=0, required=False, allow_null=True, default=None
    )


class ReviewersSerializer(serializers.Serializer[Any]):
    reviewers = ReviewerQuotaSerializer(many=True)


class QueueUpdateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200, required=False)
    status = serializers.ChoiceField(["open", "paused", "closed"], required=False)
    guidelines = TextBoxField(allow_blank=True, required=False)
    blind = serializers.BooleanField(required=False)
    lease_seconds = column_integer(
        Queue, "lease_seconds", min_value=10, max_value=MAX_LEASE_SECONDS, required=False
    )
    overlap = serializers.IntegerField(min_value=1, max_value=50, required=False)
    max_overlap = serializers.IntegerField(
        min_value=1, max_value=50, required=False, allow_null=True
    )
    disagreement_threshold = column_integer(
        Queue, "disagreement_threshold", min_value=1, required=False, allow_null=True
    )
    gold_every = column_integer(Queue, "gold_every", min_value=2, required=False)
    rubric_version_id = serializers.IntegerField(required=False)
    order = serializers.ChoiceField(
        QueueOrder.choices, required=False, help_text="Only before the first review."
    )
    seed = serializers.IntegerField(
        min_value=0, max_value=2**31 - 1, required=False, help_text="Only before the first review."
    )


class QueueItemSerializer(serializers.ModelSerializer[QueueItem]):
    output_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = QueueItem
        fields = [
            "id",
            "position",
            "output_id",
            "target_reviews",
            "done_count",
            "leased_count",
            "skip_count",
            "flag_count",
            "is_gold",
            "gold_scores",
            "pinned",
            "contested",
        ]


class MyAnnotationSerializer(serializers.ModelSerializer[Annotation]):
    scores = serializers.SerializerMethodField()
    preview = serializers.SerializerMethodField()

    class Meta:
        model = Annotation
        fields = [
            "id",
            "item_id",
            "rubric_version_id",
            "scores",
            "comment",
            "flags",
            "active_ms",
            "created_at",
            "updated_at",
            "preview",
        ]

    def get_scores(self, annotation: Annotation) -> dict[str, int]:
        return {r.criterion.name: r.score for r in annotation.ratings.all()}

    def get_preview(self, annotation: Annotation) -> str:
        text = annotation.item.output.output_text
        return text[:140]
