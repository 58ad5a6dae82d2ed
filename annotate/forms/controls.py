"""Forms of a queue's controls page: its reviewers and quotas, pins and gold items."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django import forms

from annotate.models import Queue
from annotate.selectors.queues import queue_item_ids_by_external_id
from annotate.selectors.reviewers import ReviewerCandidate
from llmops_core.models import Criterion

MAX_QUOTA = 2**31 - 1
MAX_ITEMS = 10_000  # items pinned in one request
ITEM_KEYS = [("id", "item ids"), ("external", "output external ids")]


class ReviewersForm(forms.Form):
    """The queue's reviewers and quotas: a tick and a quota box per member of the project.

    ``shown`` lists the members the page showed: one added or removed elsewhere since then
    keeps their place and quota rather than being dropped by a stale page.
    """

    shown = forms.CharField(
        widget=forms.HiddenInput,
        error_messages={"required": "the form is incomplete: reload the page and try again"},
    )

    def __init__(self, *args: Any, candidates: Sequence[ReviewerCandidate], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.candidates = {c.user.pk: c for c in candidates}
        self.fields["shown"].initial = " ".join(str(pk) for pk in self.candidates)
        for c in candidates:
            name = c.user.get_username()
            self.fields[f"reviewer_{c.user.pk}"] = forms.BooleanField(
                required=False, initial=c.is_reviewer, label=name
            )
            self.fields[f"quota_{c.user.pk}"] = forms.CharField(
                required=False,
                initial="" if c.quota is None else c.quota,
                label=f"Quota of {name}",
                widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 6}),
            )

    def rows(self) -> list[tuple[ReviewerCandidate, forms.BoundField, forms.BoundField]]:
        """Return each member with their tick and quota box, for the template."""
        return [
            (c, self[f"reviewer_{pk}"], self[f"quota_{pk}"]) for pk, c in self.candidates.items()
        ]

    def _quota(self, pk: int, name: str) -> int | None:
        raw = (self.cleaned_data.get(f"quota_{pk}") or "").strip()
        if not raw:
            return None
        if not re.fullmatch(r"[0-9]+", raw):
            raise forms.ValidationError(f'quota for "{name}": {raw} is not a whole number ≥ 0')
        if int(raw) > MAX_QUOTA:
            raise forms.ValidationError(f'quota for "{name}": {raw} is over {MAX_QUOTA}')
        return int(raw)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            shown = {int(p) for p in data.get("shown", "").split()}
        except ValueError:
            raise forms.ValidationError("the form is incomplete: reload the page") from None
        chosen: list[tuple[Any, int | None]] = []
        for pk, c in self.candidates.items():
            name = c.user.get_username()
            if pk not in shown:
                if c.is_reviewer:
                    chosen.append((c.user, c.quota))
                continue
            try:
                quota = self._quota(pk, name)
            except forms.ValidationError as exc:
                self.add_error(f"quota_{pk}", exc)
                continue
            if data.get(f"reviewer_{pk}"):
                chosen.append((c.user, quota))
            elif quota is not None:
                self.add_error(
                    f"quota_{pk}",
                    f'quota for "{name}": tick {name} as a reviewer or leave the quota blank',
                )
        data["reviewers"] = chosen
        return data


def _item_ids(queue: Queue, raw: str, by: str) -> list[int]:
    """Return the ids of the queue's items named in ``raw`` (item ids or output external ids)."""
    tokens = list(dict.fromkeys(raw.replace(",", " ").split()))
    if not tokens:
        raise forms.ValidationError("name at least one item")
    if len(tokens) > MAX_ITEMS:
        raise forms.ValidationError(f"{len(tokens)} items: at most {MAX_ITEMS} at a time")
    if by == "external":
        found = queue_item_ids_by_external_id(queue=queue, external_ids=tokens)
        missing = [t for t in tokens if t not in found]
        if missing:
            shown = ", ".join(f'"{t}"' for t in missing[:10])
            raise forms.ValidationError(f"no item of this queue has output external id {shown}")
        return [found[t] for t in tokens]
    wrong = [t for t in tokens if not re.fullmatch(r"[0-9]{1,18}", t)]
    if wrong:
        raise forms.ValidationError(f'item ids are whole numbers, not "{wrong[0]}"')
    return [int(t) for t in tokens]


class PinForm(forms.Form):
    """Pin items to one reviewer of the queue, or unpin them."""

    reviewer = forms.ChoiceField(choices=[])
    items = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), help_text="Comma or space separated."
    )
    by = forms.ChoiceField(choices=ITEM_KEYS, initial="id", label="The items are")
    action = forms.ChoiceField(choices=[("pin", "Pin"), ("unpin", "Unpin")])

    def __init__(self, *args: Any, queue: Queue, reviewers: Sequence[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = queue
        self.reviewers = {u.get_username(): u for u in reviewers}
        field = self.fields["reviewer"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—"), *((name, name) for name in self.reviewers)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "items" in data and "by" in data:
            try:
                data["item_ids"] = _item_ids(self.queue, data["items"], data["by"])
            except forms.ValidationError as exc:
                self.add_error("items", exc)
        if "reviewer" in data:
            data["reviewer_user"] = self.reviewers[data["reviewer"]]
        return data


class GoldForm(forms.Form):
    """Mark one item gold with its expected scores (per criterion of the rubric), or unmark it."""

    item = forms.CharField(max_length=255, help_text="One item id or output external id.")
    by = forms.ChoiceField(choices=ITEM_KEYS, initial="id", label="The item is")
    action = forms.ChoiceField(choices=[("mark", "Mark gold"), ("unmark", "Unmark")])

    def __init__(
        self, *args: Any, queue: Queue, criteria: Sequence[Criterion], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.queue = queue
        self.criteria = list(criteria)
        for c in self.criteria:
            scale = f'score for "{c.name}" must be {c.scale_min}-{c.scale_max}'
            self.fields[f"score_{c.pk}"] = forms.IntegerField(
                required=False,
                min_value=c.scale_min,
                max_value=c.scale_max,
                label=c.name,
                error_messages={
                    "invalid": f'score for "{c.name}" must be a whole number',
                    "min_value": scale,
                    "max_value": scale,
                },
            )

    def score_fields(self) -> list[forms.BoundField]:
        return [self[f"score_{c.pk}"] for c in self.criteria]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "item" in data and "by" in data:
            try:
                ids = _item_ids(self.queue, data["item"], data["by"])
            except forms.ValidationError as exc:
                self.add_error("item", exc)
            else:
                if len(ids) > 1:
                    self.add_error("item", "name one item")
                data["item_id"] = ids[0]
        data["scores"] = {
            c.name: data[f"score_{c.pk}"]
            for c in self.criteria
            if data.get(f"score_{c.pk}") is not None
        }
        if data.get("action") == "mark" and not data["scores"] and not self.errors:
            raise forms.ValidationError("give the expected score of at least one criterion")
        return data
