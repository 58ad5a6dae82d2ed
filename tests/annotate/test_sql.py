"""Rows read and written in SQL on the hot path are the rows the ORM reads and writes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db.models import Model

from annotate import sql
from annotate.models import Annotation, Queue, QueueItem
from llmops_core.models import ModelOutput
from tests.annotate.helpers import rate_next

pytestmark = pytest.mark.django_db


def _values(obj: Model) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


@pytest.mark.parametrize("model", [Queue, QueueItem, ModelOutput, Annotation])
def test_select_builds_what_the_orm_builds(queue: Queue, reviewers: list[Any], model: Any) -> None:
    """Datetimes, JSON, UUIDs and booleans come back converted, as from a queryset."""
    rate_next(queue, reviewers[0], flags=["broken"], comment="odd")
    expected = model.objects.order_by("pk").first()
    found = sql.select(
        [(model, None)],
        f"SELECT {sql.columns(model, 't')} FROM {model._meta.db_table} t WHERE t.id = %s",  # noqa: S608
        [expected.pk],
    )
    read = found[0][0]
    assert read is not None
    assert _values(read) == _values(expected)


def test_select_defers_fields_left_out(queue: Queue) -> None:
    item = QueueItem.objects.filter(queue=queue).first()
    assert item is not None
    found = sql.select(
        [(QueueItem, ("id", "position"))],
        f"SELECT {sql.columns(QueueItem, 'i', ('id', 'position'))} FROM "  # noqa: S608
        f"{QueueItem._meta.db_table} i WHERE i.id = %s",
        [item.pk],
    )
    read = found[0][0]
    assert isinstance(read, QueueItem)
    assert read.get_deferred_fields() >= {"done_count", "queue_id"}
    assert read.done_count == item.done_count  # loaded on demand, as with only()


def test_insert_writes_what_create_writes(queue: Queue, reviewers: list[Any]) -> None:
    rated = rate_next(queue, reviewers[0])
    token = uuid.uuid4()
    row = {**_values(rated), "client_token": token, "flags": ["unsafe"]}
    del row["id"]
    Annotation.objects.filter(pk=rated.pk).delete()
    (made,) = sql.insert(Annotation, [row])
    stored = Annotation.objects.get(pk=made.pk)
    assert stored.client_token == token and stored.flags == ["unsafe"]
    assert _values(stored) == _values(made)
