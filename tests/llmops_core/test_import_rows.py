"""Import reports: repeated errors folded into row ranges, repeated ids, prompts made on request."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from llmops_core.io.errors import ErrorGroups, RowError
from llmops_core.io.imports import iter_records
from llmops_core.models import ImportJob, ImportJobOutput, ModelOutput, Project, PromptVersion
from llmops_core.services.import_jobs import import_bytes
from llmops_core.services.imports import outputs_import
from llmops_core.services.prompts import prompt_template_create, prompt_version_create

pytestmark = pytest.mark.django_db


def jsonl(rows: list[dict[str, object]]) -> bytes:
    return "\n".join(json.dumps(r) for r in rows).encode()


def source(data: bytes) -> Callable[[], object]:
    return lambda: iter_records(io.BytesIO(data), "jsonl")


def row(external_id: str, **extra: object) -> dict[str, object]:
    return {"external_id": external_id, "output": "o", "input": "i", **extra}


def travel_rows(count: int, **extra: object) -> list[dict[str, object]]:
    return [row(f"q-{i}", prompt="travel-faq", **extra) for i in range(count)]


def test_repeats_of_one_error_fold_into_row_ranges() -> None:
    groups = ErrorGroups(limit=10)
    for number in [*range(3, 303), 305, 306, 400]:
        groups.add(RowError(number, "prompt", 'no prompt "travel-faq" in this project'))
    groups.add(RowError(304, "output", "required"))
    assert groups.messages() == [
        'rows 3-302, 305-306, 400, field "prompt": no prompt "travel-faq" in this project',
        'row 304, field "output": required',
    ]


def test_an_unknown_prompt_is_one_grouped_error_not_one_per_row(project: Project) -> None:
    rows = [row("first"), *travel_rows(300), row("bad", tokens_in="many")]
    result = outputs_import(project=project, source=source(jsonl(rows)))
    assert result.rejected and result.rows_failed == 301
    assert [str(e) for e in result.errors] == [
        'rows 2-301, field "prompt": no prompt "travel-faq" in this project',
        'row 302, field "tokens_in": "many" is not an integer',
    ]


def test_create_prompts_makes_the_template_and_versions_with_the_outputs(
    project: Project,
) -> None:
    rows = [*travel_rows(3, prompt_version=1, model="m-1")]
    rows += [row("v2", prompt="travel-faq", prompt_version=2, model="m-2")]
    rows += [row("plain", prompt="other")]
    result = outputs_import(project=project, source=source(jsonl(rows)), create_prompts=True)
    assert (result.rejected, result.rows_created) == (False, 5)
    assert result.prompts_created == [
        "travel-faq",
        "travel-faq v1",
        "travel-faq v2",
        "other",
        "other v1",
    ]
    versions = PromptVersion.objects.filter(template__project=project, template__name="travel-faq")
    assert sorted((v.number, v.model_name) for v in versions) == [(1, "m-1"), (2, "m-2")]
    assert ModelOutput.objects.get(external_id="v2").prompt_version.number == 2
    assert ModelOutput.objects.get(external_id="plain").prompt_version.template.name == "other"
    again = outputs_import(
        project=project,
        source=source(jsonl([row("v3", prompt="travel-faq", prompt_version=2)])),
        create_prompts=True,
    )
    assert again.prompts_created == [] and again.rows_created == 1


def test_create_prompts_adds_a_missing_version_to_an_existing_template(project: Project) -> None:
    template = prompt_template_create(project=project, name="support")
    prompt_version_create(template=template, template_text="a", model_name="m")
    rows = [row("x", prompt="support", prompt_version=2)]
    result = outputs_import(project=project, source=source(jsonl(rows)), create_prompts=True)
    assert result.prompts_created == ["support v2"]
    assert template.versions.count() == 2


def test_create_prompts_refuses_a_name_that_cannot_be_a_prompt(project: Project) -> None:
    rows = [row("x", prompt="travel faq")]
    result = outputs_import(project=project, source=source(jsonl(rows)), create_prompts=True)
    assert result.rejected
    assert "cannot be created" in str(result.errors[0])
    assert not PromptVersion.objects.filter(template__project=project).exists()


def test_a_rejected_file_creates_no_prompts(project: Project) -> None:
    rows = [*travel_rows(2), row("bad", output=5)]
    result = outputs_import(project=project, source=source(jsonl(rows)), create_prompts=True)
    assert result.rejected
    assert not project.prompt_templates.exists()


def test_a_repeated_external_id_is_a_row_error_naming_both_rows(project: Project) -> None:
    rows = [row("q-1"), row("q-2"), row("q-3"), row("q-17"), row("q-5"), row("q-17")]
    result = outputs_import(project=project, source=source(jsonl(rows)))
    assert result.rejected and result.rows_created == 0
    assert [str(e) for e in result.errors] == ['row 6, field "external_id": "q-17" repeats row 4']


def test_with_partial_the_first_row_wins_and_the_repeat_is_skipped(project: Project) -> None:
    rows = [row("q-17", output="first"), row("q-2"), row("q-17", output="second")]
    result = outputs_import(project=project, source=source(jsonl(rows)), partial=True)
    assert (result.rows_created, result.rows_skipped, result.rows_failed) == (2, 1, 0)
    assert [str(s) for s in result.skipped] == ['row 3, field "external_id": "q-17" repeats row 1']
    assert ModelOutput.objects.get(external_id="q-17").output_text == "first"


def test_ids_from_an_earlier_import_are_existing_not_repeats(project: Project) -> None:
    outputs_import(project=project, source=source(jsonl([row("q-1")])))
    again = outputs_import(project=project, source=source(jsonl([row("q-1"), row("q-2")])))
    assert (again.rows_created, again.rows_existing, again.rows_failed) == (1, 1, 0)
    assert again.errors == [] and again.skipped == []


def test_repeats_are_found_across_batches(project: Project) -> None:
    rows = [row(f"id-{i}") for i in range(25)] + [row("id-3")]
    result = outputs_import(
        project=project, source=source(jsonl(rows)), partial=True, batch_size=10
    )
    assert (result.rows_created, result.rows_skipped) == (25, 1)
    assert [str(s) for s in result.skipped] == ['row 26, field "external_id": "id-3" repeats row 4']


def test_the_job_records_each_rows_output_in_row_order(project: Project) -> None:
    outputs_import(project=project, source=source(jsonl([row("b")])))
    job, _ = import_bytes(
        project=project,
        created_by=None,
        data=jsonl([row("a"), row("b"), row("c")]),
        fmt="jsonl",
        partial=False,
        source="api",
    )
    links = list(ImportJobOutput.objects.filter(job=job).order_by("id"))
    ids = {o.external_id: o.pk for o in ModelOutput.objects.filter(project=project)}
    assert [(link.row, link.output_id, link.created) for link in links] == [
        (1, ids["a"], True),
        (2, ids["b"], False),
        (3, ids["c"], True),
    ]


def test_cli_groups_errors_and_creates_prompts_on_request(
    project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "travel.jsonl"
    path.write_bytes(jsonl([row("first"), *travel_rows(300)]))
    with pytest.raises(CommandError, match="rejected"):
        call_command("import_outputs", str(path), "--project", project.slug)
    err = capsys.readouterr().err
    assert err.strip() == 'rows 2-301, field "prompt": no prompt "travel-faq" in this project'
    call_command("import_outputs", str(path), "--project", project.slug, "--create-prompts")
    out = capsys.readouterr().out
    assert "created prompt travel-faq v1" in out and "301 created" in out
    job = ImportJob.objects.filter(project=project, source="cli").first()
    assert job is not None and job.create_prompts and job.rows_created == 301


def test_cli_lists_skipped_repeats(
    project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "dup.jsonl"
    path.write_bytes(jsonl([row("q-4"), row("q-4")]))
    call_command("import_outputs", str(path), "--project", project.slug, "--partial")
    captured = capsys.readouterr()
    assert 'skipped row 2, field "external_id": "q-4" repeats row 1' in captured.err
    assert "1 created, 0 already present, 1 skipped, 0 bad" in captured.out


def test_a_rejection_names_the_missing_prompts_and_the_cli_says_how_to_create_them(
    project: Project, tmp_path: Path
) -> None:
    rows = [*travel_rows(2), row("x", prompt="travel-faq", prompt_version=3)]
    result = outputs_import(project=project, source=source(jsonl(rows)))
    assert result.prompts_missing == ["travel-faq", "travel-faq v3"]
    path = tmp_path / "travel.jsonl"
    path.write_bytes(jsonl(rows))
    with pytest.raises(CommandError, match="lacks travel-faq, travel-faq v3: --create-prompts"):
        call_command("import_outputs", str(path), "--project", project.slug)
