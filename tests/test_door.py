"""The one door into the annotation app: ``llmops_core`` reads annotate's data only through it.

The import contract (``pyproject.toml``) lets ``llmops_core`` import only ``annotate.selectors``;
it cannot see a query that reaches annotate's tables through a reverse relation of a core model
(``Project.objects.filter(queues__id=...)``, ``output.queue_items``), nor a door that hands out a
queryset to build on. These tests hold the rest: the door lists exactly what it offers, hands out
plain data only, and ``llmops_core`` (migrations aside) names none of annotate's relations or
tables in its queries, templates included.
"""

from __future__ import annotations

import ast
import dataclasses
import re
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.apps import apps
from django.db.models import Manager, Model, QuerySet

import annotate.selectors as door
from annotate.models import Queue, QueueItem
from annotate.selectors import RatingFilter
from annotate.services.adjudication import adjudication_record
from annotate.services.preferences import preference_submit
from llmops_core.models import Project, Role
from tests.versions.helpers import make_outputs, make_queue, make_versions, rate_all

SCORES = {"fluency": 4, "relevance": 3, "factuality": 5}

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "llmops_core"
CORE_TEMPLATES = ROOT / "templates" / "llmops_core"

# ORM calls whose string arguments are field paths (positional) or lookups (keywords).
PATH_ARGUMENTS = {
    "values",
    "values_list",
    "order_by",
    "select_related",
    "prefetch_related",
    "only",
    "defer",
    "distinct",
    "Count",
    "Sum",
    "Avg",
    "Max",
    "Min",
    "StdDev",
    "Variance",
    "F",
    "Prefetch",
    "FilteredRelation",
    "OuterRef",
}
LOOKUP_KEYWORDS = {"filter", "exclude", "get", "get_or_create", "update_or_create", "Q"}
# What a related manager offers: ``project.queues.all()``, ``output.queue_items.count()``.
MANAGER_METHODS = {
    "all",
    "filter",
    "exclude",
    "count",
    "exists",
    "first",
    "last",
    "values_list",
    "order_by",
    "aggregate",
    "annotate",
    "select_related",
    "prefetch_related",
    "iterator",
    "create",
    "delete",
    "none",
    "latest",
    "earliest",
    "in_bulk",
    "only",
    "defer",
}  # not get, values, update, clear: dicts have them too


def annotate_relations() -> set[str]:
    """Return the names by which models outside annotate reach annotate's models.

    Reverse accessors and query names (``queues``, ``queue_items``, ``ratings``, ...) and any
    forward relation a core model might grow; relations hidden with ``related_name="+"`` have
    no name to query by.
    """
    names: set[str] = set()
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label == "annotate":
            continue
        for f in model._meta.get_fields(include_hidden=True):
            related = getattr(f, "related_model", None)
            if not f.is_relation or related is None or related._meta.app_label != "annotate":
                continue
            accessor = f.get_accessor_name() if hasattr(f, "get_accessor_name") else f.name
            names.update(n for n in (f.name, accessor) if n and not n.endswith("+"))
    return names


def annotate_tables() -> set[str]:
    """Return the database tables of annotate's models (raw SQL must not name them)."""
    return {
        m._meta.db_table
        for m in apps.get_app_config("annotate").get_models(include_auto_created=True)
    }


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _docstrings(tree: ast.AST) -> set[int]:
    """Return the ids of the string nodes that are docstrings (prose, not queries)."""
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                found.add(id(value))
    return found


def orm_reaches(source: str, relations: set[str], tables: set[str]) -> list[tuple[int, str]]:
    """Return (line, what) for each place the source reaches annotate's relations or tables."""
    tree = ast.parse(source)
    prose = _docstrings(tree)
    found: list[tuple[int, str]] = []

    def through(path: str) -> bool:
        return any(part in relations for part in path.split("__"))

    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose:
            text = node.value
            if "__" in text and re.fullmatch(r"[a-z_][a-z0-9_]*", text) and through(text):
                found.append((node.lineno, f'lookup "{text}"'))
            for table in tables:
                if re.search(rf"\b{table}\b", text):
                    found.append((node.lineno, f"table {table}"))
        elif isinstance(node, ast.Call):
            name = _call_name(node)
            if name in PATH_ARGUMENTS:
                for arg in node.args:
                    if isinstance(arg, ast.Constant) and arg.value in relations:
                        found.append((node.lineno, f'{name}("{arg.value}")'))
            if name in LOOKUP_KEYWORDS:
                for keyword in node.keywords:
                    if keyword.arg and through(keyword.arg):
                        found.append((node.lineno, f"{name}({keyword.arg}=...)"))
            if name == "get_model" and any(
                isinstance(a, ast.Constant) and str(a.value).startswith("annotate")
                for a in node.args
            ):
                found.append((node.lineno, "get_model of an annotate model"))
        elif (
            isinstance(node, ast.Attribute)
            and node.attr in MANAGER_METHODS
            and isinstance(node.value, ast.Attribute)
            and node.value.attr in relations
        ):
            found.append((node.lineno, f".{node.value.attr}.{node.attr}"))
    return found


def template_reaches(text: str, relations: set[str]) -> list[tuple[int, str]]:
    """Return (line, what) where a template walks a relation into annotate's models."""
    names = "|".join(sorted(relations))
    pattern = re.compile(rf"\.({names})(\.(all|count|exists|first|last)\b|\s*\|\s*length)")
    return [(text.count("\n", 0, m.start()) + 1, m.group(0)) for m in pattern.finditer(text)]


def core_sources(root: Path = CORE) -> Iterator[Path]:
    """Yield the Python files of ``llmops_core`` except its migrations."""
    for path in sorted(root.rglob("*.py")):
        if "migrations" not in path.relative_to(root).parts:
            yield path


def test_the_scan_knows_annotates_relations() -> None:
    """The names come from the models, so a new related_name is covered without a list."""
    relations = annotate_relations()
    assert {"queues", "queue_items", "ratings", "annotations", "review_queues"} <= relations
    assert {"annotate_queue", "annotate_rating"} <= annotate_tables()


@pytest.mark.parametrize(
    "source",
    [
        "Project.objects.filter(queues__id=1)",
        "ModelOutput.objects.filter(project=p, queue_items__queue_id=2).values_list('id')",
        "qs.values('queues__name')",
        "qs.annotate(n=Count('queue_items'))",
        "project.queues.all()",
        "Criterion.objects.filter(Q(ratings__score=3))",
        "qs.order_by('template__project__queues__name')",
        "connection.cursor().execute('SELECT id FROM annotate_rating')",
    ],
)
def test_the_scan_catches_each_way_through(source: str) -> None:
    assert orm_reaches(source, annotate_relations(), annotate_tables()), source


@pytest.mark.parametrize(
    "source",
    [
        'row = {"queues": [], "ratings": 3}',
        "qs.aggregate(ratings=Count('id'))",
        "stats.queues[annotation.queue_id] += 1",
        "context.queues.get(1)",
        '"""Reads queue_items__queue_id only through the door."""',
    ],
)
def test_the_scan_leaves_plain_words_alone(source: str) -> None:
    assert not orm_reaches(source, annotate_relations(), annotate_tables()), source


def test_llmops_core_never_queries_annotates_tables_itself() -> None:
    """Every read of queues, items, annotations and ratings goes through ``annotate.selectors``."""
    relations, tables = annotate_relations(), annotate_tables()
    found = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in core_sources()
        for line, what in orm_reaches(path.read_text(encoding="utf-8"), relations, tables)
    ]
    found += [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in sorted(CORE_TEMPLATES.rglob("*.html"))
        for line, what in template_reaches(path.read_text(encoding="utf-8"), relations)
    ]
    assert not found, "read these through a function of annotate.selectors:\n" + "\n".join(found)


def test_llmops_core_imports_only_what_the_door_lists() -> None:
    """``import annotate.selectors`` would reach its submodules as attributes: from-imports only."""
    listed = set(door.__all__)
    found = []
    for path in core_sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Import) and any(
                a.name.startswith("annotate") for a in node.names
            ):
                found.append(f"{where}: import {', '.join(a.name for a in node.names)}")
            if isinstance(node, ast.ImportFrom) and node.module == "annotate.selectors":
                found += [f"{where}: {a.name}" for a in node.names if a.name not in listed]
    assert not found, "not in annotate.selectors.__all__:\n" + "\n".join(found)


def test_the_door_lists_exactly_what_it_offers() -> None:
    """``__all__`` is the door: every public name of the package is listed, and nothing else."""
    public = {
        name
        for name, value in vars(door).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert sorted(door.__all__) == sorted(public)
    assert list(door.__all__) == sorted(door.__all__, key=lambda n: (n[0].islower(), n))
    assert len(set(door.__all__)) == len(door.__all__)


PLAIN_LEAVES: tuple[type, ...] = (
    int,
    float,
    str,
    bool,
    bytes,
    type(None),
    datetime,
    Decimal,
    np.ndarray,
    np.generic,
)


def _plain_type_problems(hint: Any, seen: set[Any], where: str) -> list[str]:
    """Return why a type hint could carry a model or queryset (empty when it cannot)."""
    if hint is Any or hint in seen:
        return []
    origin = typing.get_origin(hint)
    if origin is not None:
        if isinstance(origin, type) and issubclass(origin, QuerySet | Manager):
            return [f"{where}: {hint}"]
        return [
            p
            for arg in typing.get_args(hint)
            if arg is not Ellipsis
            for p in _plain_type_problems(arg, seen, where)
        ]
    if not isinstance(hint, type):
        return [f"{where}: {hint!r} is not a type the test understands"]
    if issubclass(hint, Model | QuerySet | Manager):
        return [f"{where}: {hint.__name__}"]
    if issubclass(hint, PLAIN_LEAVES):
        return []
    seen.add(hint)
    if dataclasses.is_dataclass(hint) or (issubclass(hint, tuple) and hasattr(hint, "_fields")):
        fields = typing.get_type_hints(hint)
        return [
            p
            for name, f in fields.items()
            for p in _plain_type_problems(f, seen, f"{where}.{name}")
        ]
    if issubclass(hint, Iterable | Mapping):
        return []  # a bare container: its items are checked when called (see below)
    return [f"{where}: {hint.__name__} is neither plain data nor a dataclass"]


def test_the_door_hands_out_plain_data_by_its_types() -> None:
    """No function of the door is typed to return a model, a queryset or a manager."""
    problems = []
    for name in door.__all__:
        value = getattr(door, name)
        if isinstance(value, type):
            problems += _plain_type_problems(value, set(), name)
        else:
            hint = typing.get_type_hints(value)["return"]
            problems += _plain_type_problems(hint, set(), f"{name}()")
    assert not problems, "\n".join(problems)


def _models_in(value: Any, where: str, depth: int = 0) -> list[str]:
    """Return where a model, queryset or manager hides in a value the door handed out."""
    if isinstance(value, Model | QuerySet | Manager):
        return [f"{where}: {type(value).__name__}"]
    if depth > 6 or isinstance(value, PLAIN_LEAVES):
        return []
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        items: Iterable[tuple[str, Any]] = (
            (f.name, getattr(value, f.name)) for f in dataclasses.fields(value)
        )
    elif isinstance(value, Mapping):
        items = ((f"[{k!r}]", v) for k, v in value.items())
    elif isinstance(value, Iterable):
        items = ((f"[{i}]", v) for i, v in enumerate(value))
    else:
        return [f"{where}: {type(value).__name__} is not plain data"]
    return [p for key, item in items for p in _models_in(item, f"{where}.{key}", depth + 1)]


@dataclasses.dataclass
class DoorWorld:
    project: Project
    lead: Any
    queue_id: int
    item_id: int
    output_id: int
    version_id: int
    other_version_id: int


@pytest.fixture
def door_world(project: Project, make_member: Callable[..., Any]) -> DoorWorld:
    """Two versions' answers to two inputs in one queue: rated, flagged, gold, adjudicated, and
    compared side by side."""
    lead = make_member(Role.LEAD, "door-lead")
    reviewers = [make_member(Role.REVIEWER, f"door-rev{i}") for i in (1, 2)]
    v1, v2 = make_versions(project)
    outputs = make_outputs(project, v1, 2) + make_outputs(project, v2, 2)
    queue = make_queue(project, outputs, reviewers)
    for reviewer in reviewers:
        rate_all(queue, reviewer, lambda o: ("flag", SCORES) if o.pk == outputs[0].pk else SCORES)
    Queue.objects.filter(pk=queue.pk).update(sampling="uniform", calibrates=v1, sample_frame=4)
    item = QueueItem.objects.get(queue=queue, output=outputs[0])
    item.is_gold, item.gold_scores = True, {"fluency": 4}
    item.save(update_fields=["is_gold", "gold_scores"])
    adjudication_record(item=item, adjudicator=lead, scores=SCORES)
    preference_submit(
        queue=queue,
        reviewer=reviewers[0],
        left_id=outputs[0].pk,
        right_id=outputs[2].pk,
        side="left",
    )
    return DoorWorld(project, lead, queue.pk, item.pk, outputs[0].pk, v1.pk, v2.pk)


def _calls(w: DoorWorld) -> dict[str, Callable[[], Any]]:
    """Return one call of each door function on the world (names must match ``__all__``)."""
    flt = RatingFilter(project_id=w.project.pk)
    ids = [w.output_id]
    return {
        "adjudicated_scores": lambda: door.adjudicated_scores(flt),
        "calibration_designs": lambda: door.calibration_designs(version_id=w.version_id),
        "export_annotation_rows": lambda: door.export_annotation_rows(flt, output_ids=None),
        "export_flags_by_output": lambda: door.export_flags_by_output(
            project_id=w.project.pk, output_ids=ids
        ),
        "export_output_boundaries": lambda: door.export_output_boundaries(flt, parts=2, total=6),
        "export_pairwise_preference_rows": lambda: list(door.export_pairwise_preference_rows(flt)),
        "export_queue_rows": lambda: door.export_queue_rows(w.project.pk),
        "export_rating_count": lambda: door.export_rating_count(flt),
        "export_rating_rows": lambda: list(door.export_rating_rows(flt, by_input=True)),
        "export_rubric_version_ids": lambda: door.export_rubric_version_ids(flt),
        "flag_and_skip_counts": lambda: door.flag_and_skip_counts(flt),
        "gold_scores": lambda: door.gold_scores(flt),
        "human_ratings": lambda: door.human_ratings(project_id=w.project.pk, criterion="fluency"),
        "item_ratings_for_user": lambda: door.item_ratings_for_user(
            user=w.lead, project=w.project, item_id=w.item_id
        ),
        "output_ids_queued": lambda: door.output_ids_queued(project_id=w.project.pk),
        "output_ids_rated": lambda: door.output_ids_rated(project_id=w.project.pk),
        "output_label_counts": lambda: door.output_label_counts(output_ids=ids),
        "output_labels": lambda: door.output_labels(output_id=w.output_id),
        "output_queues": lambda: door.output_queues(output_ids=ids),
        "preference_fingerprint": lambda: door.preference_fingerprint(version_id=w.version_id),
        "preference_outcomes": lambda: door.preference_outcomes(
            candidate_id=w.version_id, baseline_id=w.other_version_id
        ),
        "queue_cards_for_user": lambda: door.queue_cards_for_user(user=w.lead),
        "queue_output_counts": lambda: door.queue_output_counts(prompt_version_id=w.version_id),
        "queue_output_ids": lambda: door.queue_output_ids(
            project_id=w.project.pk, queue_id=w.queue_id
        ),
        "queue_row": lambda: door.queue_row(queue_id=w.queue_id),
        "queue_rows_for_user": lambda: door.queue_rows_for_user(user=w.lead, project=w.project),
        "rating_counts_by_rubric_version": lambda: door.rating_counts_by_rubric_version(flt),
        "rating_fingerprint": lambda: door.rating_fingerprint(flt),
        "rating_rows": lambda: list(door.rating_rows(flt)),
        "ratings_snapshot": lambda: door.ratings_snapshot(flt),
    }


@pytest.mark.django_db
def test_the_door_hands_out_plain_data_when_called(door_world: DoorWorld) -> None:
    """Each door function, called on real ratings, returns data with no model inside."""
    calls = _calls(door_world)
    functions = {n for n in door.__all__ if not isinstance(getattr(door, n), type)}
    assert set(calls) == functions, "give each door function a call in _calls"
    problems = []
    for name, call in calls.items():
        result = call()
        assert result not in (None, [], {}), f"{name} read nothing: the world does not reach it"
        problems += _models_in(result, name)
    assert not problems, "\n".join(problems)
